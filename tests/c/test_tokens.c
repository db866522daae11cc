/* Token management from C: create (personal and service), the token format, get/list JSON,
   visibility and IAM, rename, deactivate/activate, revoke, delete, rotation with grace, and what
   removing a member does to their tokens. */
#include "harness.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define HOUR 3600000LL
#define DAY (24 * HOUR)

static ta_store *store;

/* Creates a token or reports why not; the caller frees both strings. */
static int create(const char *actor, ta_token_spec spec, char **secret, char **id)
{
    ta_status s = ta_token_create(store, actor, &spec, secret, id);
    if (s != TA_OK) {
        fprintf(stderr, "create %s by %s: %s (%s)\n", spec.name, actor ? actor : "host", ta_status_name(s),
                ta_last_error());
        return 0;
    }
    return 1;
}

static char *get(const char *actor, const char *id)
{
    char *json = NULL;
    ta_status s = ta_token_get(store, actor, id, &json);
    if (s != TA_OK)
        fprintf(stderr, "get %s by %s: %s (%s)\n", id, actor ? actor : "host", ta_status_name(s), ta_last_error());
    return json;
}

static ta_status verify(const char *secret, const char *scopes)
{
    ta_verdict v;
    return ta_verify(store, secret, scopes, &v);
}

static int audit_count(const char *query)
{
    char *json = NULL;
    int n;
    if (ta_audit(store, NULL, query, &json) != TA_OK)
        return -1;
    n = json_array_len(json);
    ta_free(json);
    return n;
}

int main(void)
{
    char *dev_secret = NULL, *dev_id = NULL, *svc_secret = NULL, *svc_id = NULL, *host_secret = NULL,
         *host_id = NULL, *ci2_secret = NULL, *json = NULL, *p = NULL, *q = NULL;
    char hint[16], name200[201], name201[202], forged[64];
    ta_token_spec spec;
    ta_verdict v;
    int n_tokens = 0;

    memset(name200, 'n', 200);
    name200[200] = '\0';
    memset(name201, 'n', 201);
    name201[201] = '\0';

    store = th_open(th_db_path("tokens.db"), NULL);
    ta_set_clock(store, T0);
    CHECK_STATUS(ta_member_put(store, "root", "admin"), TA_OK);
    CHECK_STATUS(ta_member_put(store, "dev", "ManagePersonalAccessTokens tickets:write assets:read"), TA_OK);
    CHECK_STATUS(ta_member_put(store, "ops", "ManageServiceAccessTokens tickets:read users:read"), TA_OK);
    CHECK_STATUS(ta_member_put(store, "auditor", "ListAccessTokens"), TA_OK);
    CHECK_STATUS(ta_member_put(store, "nobody", ""), TA_OK);

    /* ---- create a personal token */
    spec = th_spec("laptop", TA_KIND_PERSONAL, "tickets:write");
    CHECK(create("dev", spec, &dev_secret, &dev_id));
    n_tokens++;
    CHECK(th_token_well_formed(dev_secret, "tka", 'p'));
    CHECK_INT(strlen(dev_secret), 3 + 40); /* DECISIONS.md: 32 random + 6 checksum characters */
    CHECK(dev_id && strncmp(dev_id, "tok_", 4) == 0 && strlen(dev_id) == 20);
    snprintf(hint, sizeof hint, "%.9s", dev_secret); /* prefix, kind, '_' and 4 random characters */

    json = get("dev", dev_id);
    CHECK(json_valid(json));
    CHECK(json_str_is(json, "id", dev_id));
    CHECK(json_str_is(json, "name", "laptop"));
    CHECK(json_str_is(json, "kind", "personal"));
    CHECK(json_str_is(json, "owner", "dev"));
    CHECK(json_str_is(json, "created_by", "dev"));
    CHECK(json_len_is(json, "scopes", 1) && json_has_item(json, "scopes", "tickets:write"));
    CHECK(json_len_is(json, "effective_scopes", 2) && json_has_item(json, "effective_scopes", "tickets:read") &&
          json_has_item(json, "effective_scopes", "tickets:write"));
    CHECK(json_str_is(json, "status", "active"));
    CHECK_INT(json_int(json, "created_at", -1), T0);
    CHECK(json_raw_is(json, "expires_at", "null"));
    CHECK(json_raw_is(json, "last_used_at", "null"));
    CHECK_INT(json_int(json, "use_count", -1), 0);
    CHECK(json_str_is(json, "hint", hint));
    CHECK(json_raw_is(json, "rate_limit", "null"));
    CHECK(json_raw_is(json, "rotated_from", "null"));
    CHECK(json_raw_is(json, "rotated_to", "null"));
    CHECK(!strstr(json, dev_secret) && !strstr(json, dev_secret + 5)); /* never the secret */
    if (!json_str_is(json, "status", "active"))
        SHOW_JSON("personal token", json);
    ta_free(json);

    /* ---- create: what the actor may grant */
    spec = th_spec("too wide", TA_KIND_PERSONAL, "tickets:write users:read");
    CHECK_STATUS(ta_token_create(store, "dev", &spec, &p, &q), TA_PERMISSION_DENIED);
    CHECK(p == NULL && q == NULL);
    spec = th_spec("unknown", TA_KIND_PERSONAL, "tickets:write nope:nope");
    CHECK_STATUS(ta_token_create(store, "dev", &spec, &p, &q), TA_UNKNOWN_SCOPE);
    CHECK_STATUS(ta_token_create(store, "nobody", &spec, NULL, NULL), TA_UNKNOWN_SCOPE); /* scopes before IAM */
    CHECK_STATUS(ta_token_create(store, "ghost", &spec, NULL, NULL), TA_PERMISSION_DENIED); /* not a member */
    spec = th_spec("bad syntax", TA_KIND_PERSONAL, "Tickets:Write");
    CHECK_STATUS(ta_token_create(store, "dev", &spec, NULL, NULL), TA_INVALID_ARGUMENT);
    spec = th_spec("no scopes", TA_KIND_PERSONAL, "");
    CHECK_STATUS(ta_token_create(store, "dev", &spec, NULL, NULL), TA_INVALID_ARGUMENT);
    spec = th_spec("", TA_KIND_PERSONAL, "tickets:read");
    CHECK_STATUS(ta_token_create(store, "dev", &spec, NULL, NULL), TA_INVALID_ARGUMENT);
    spec = th_spec(name201, TA_KIND_PERSONAL, "tickets:read");
    CHECK_STATUS(ta_token_create(store, "dev", &spec, NULL, NULL), TA_INVALID_ARGUMENT);
    spec = th_spec("bad \xc3\x28 utf8", TA_KIND_PERSONAL, "tickets:read");
    CHECK_STATUS(ta_token_create(store, "dev", &spec, NULL, NULL), TA_INVALID_ARGUMENT);
    spec = th_spec("kind", (ta_token_kind)3, "tickets:read");
    CHECK_STATUS(ta_token_create(store, "dev", &spec, NULL, NULL), TA_INVALID_ARGUMENT);
    spec = th_spec("past", TA_KIND_PERSONAL, "tickets:read");
    spec.expires_at_ms = T0 - 1;
    CHECK_STATUS(ta_token_create(store, "dev", &spec, NULL, NULL), TA_INVALID_ARGUMENT);
    spec.expires_at_ms = T0; /* "in the future" */
    CHECK_STATUS(ta_token_create(store, "dev", &spec, NULL, NULL), TA_INVALID_ARGUMENT);
    spec = th_spec("service", TA_KIND_SERVICE, "tickets:read");
    CHECK_STATUS(ta_token_create(store, "dev", &spec, NULL, NULL), TA_PERMISSION_DENIED); /* no MSAT */
    spec = th_spec("host personal", TA_KIND_PERSONAL, "tickets:read");
    CHECK_STATUS(ta_token_create(store, NULL, &spec, NULL, NULL), TA_INVALID_ARGUMENT); /* host owns none */
    /* A 200-byte UTF-8 name is fine, and out pointers may be NULL. */
    spec = th_spec(name200, TA_KIND_PERSONAL, "assets:read");
    CHECK_STATUS(ta_token_create(store, "dev", &spec, NULL, NULL), TA_OK);
    n_tokens++;
    spec = th_spec("caf\xc3\xa9 \xe2\x9c\x93", TA_KIND_PERSONAL, "assets:read");
    CHECK_STATUS(ta_token_create(store, "dev", &spec, NULL, &q), TA_OK);
    n_tokens++;
    json = get("dev", q);
    CHECK(json_str_is(json, "name", "caf\xc3\xa9 \xe2\x9c\x93") || (json && strstr(json, "caf\\u00e9")));
    ta_free(json);
    ta_free(q);
    q = NULL;

    /* ---- service tokens */
    spec = th_spec("ci", TA_KIND_SERVICE, "tickets:read");
    CHECK(create("ops", spec, &svc_secret, &svc_id));
    n_tokens++;
    CHECK(th_token_well_formed(svc_secret, "tka", 's'));
    json = get("ops", svc_id);
    CHECK(json_str_is(json, "kind", "service") && json_raw_is(json, "owner", "null") &&
          json_str_is(json, "created_by", "ops"));
    ta_free(json);
    spec = th_spec("ci wide", TA_KIND_SERVICE, "tickets:write");
    CHECK_STATUS(ta_token_create(store, "ops", &spec, NULL, NULL), TA_PERMISSION_DENIED);
    spec = th_spec("host service", TA_KIND_SERVICE, "users:write");
    spec.rate_limit = 7;
    spec.rate_window_ms = 1000;
    CHECK(create(NULL, spec, &host_secret, &host_id));
    n_tokens++;
    json = get(NULL, host_id);
    CHECK(json_str_is(json, "created_by", "system") && json_int(json, "limit", -1) == 7 &&
          json_int(json, "window_ms", -1) == 1000);
    CHECK(json_len_is(json, "effective_scopes", 2) && json_has_item(json, "effective_scopes", "users:read"));
    ta_free(json);
    spec = th_spec("root token", TA_KIND_PERSONAL, "admin"); /* admin implies every IAM action */
    CHECK_STATUS(ta_token_create(store, "root", &spec, NULL, NULL), TA_OK);
    n_tokens++;

    /* ---- visibility */
    CHECK_STATUS(ta_token_list(store, "dev", NULL, &json), TA_OK);
    CHECK(json_array_len(json) == 3 && json_count_objects(json, "owner", "dev") == 3);
    ta_free(json);
    CHECK_STATUS(ta_token_list(store, "ops", NULL, &json), TA_OK); /* every service token */
    CHECK(json_array_len(json) == 2 && json_count_objects(json, "kind", "service") == 2);
    ta_free(json);
    CHECK_STATUS(ta_token_list(store, "auditor", NULL, &json), TA_OK); /* every token */
    CHECK_INT(json_array_len(json), n_tokens);
    CHECK(!strstr(json, dev_secret + 5) && !strstr(json, svc_secret + 5));
    /* newest first (same created_at: the last created first) */
    CHECK(json && strstr(json, "\"root token\"") && strstr(json, "\"root token\"") < strstr(json, "\"host service\"") &&
          strstr(json, "\"host service\"") < strstr(json, "\"laptop\""));
    ta_free(json);
    CHECK_STATUS(ta_token_list(store, "nobody", NULL, &json), TA_OK);
    CHECK(json_array_len(json) == 0);
    ta_free(json);
    CHECK_STATUS(ta_token_list(store, "ghost", NULL, &json), TA_PERMISSION_DENIED);
    CHECK(json == NULL);
    CHECK_STATUS(ta_token_list(store, NULL, NULL, &json), TA_OK); /* the host sees everything */
    CHECK_INT(json_array_len(json), n_tokens);
    ta_free(json);

    json = (char *)"sentinel";
    CHECK_STATUS(ta_token_get(store, "nobody", dev_id, &json), TA_NOT_FOUND); /* exists, not visible */
    CHECK(json == NULL);
    CHECK_STATUS(ta_token_get(store, "ops", dev_id, &json), TA_NOT_FOUND);
    CHECK_STATUS(ta_token_get(store, "dev", svc_id, &json), TA_NOT_FOUND);
    CHECK_STATUS(ta_token_get(store, "dev", "tok_0000000000000000", &json), TA_NOT_FOUND); /* does not exist */
    CHECK_STATUS(ta_token_get(store, "dev", "not an id", &json), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_token_get(store, "ghost", dev_id, &json), TA_PERMISSION_DENIED);
    CHECK_STATUS(ta_token_get(store, "auditor", dev_id, &json), TA_OK);
    ta_free(json);
    /* Visible but not manageable: permission denied; invisible: not found (even for a revoke). */
    CHECK_STATUS(ta_token_revoke(store, "auditor", dev_id), TA_PERMISSION_DENIED);
    CHECK_STATUS(ta_token_revoke(store, "nobody", dev_id), TA_NOT_FOUND);
    CHECK_STATUS(ta_token_rename(store, "ops", dev_id, "x"), TA_NOT_FOUND);
    CHECK_STATUS(ta_token_set_active(store, "dev", svc_id, false), TA_NOT_FOUND);
    CHECK(verify(dev_secret, NULL) == TA_OK && verify(svc_secret, NULL) == TA_OK);
    /* Refusals by IAM are audited as iam.denied, aggregated, with the function's name. */
    CHECK_STATUS(ta_audit(store, NULL, "event=iam.denied actor=nobody", &json), TA_OK);
    CHECK(json_array_len(json) >= 1 && json_count_objects(json, "event", "iam.denied") == json_array_len(json));
    CHECK(json && strstr(json, "\"token_get\"") != NULL);
    CHECK(json && strstr(json, "\"token_revoke\"") != NULL);
    ta_free(json);

    /* ---- list filters */
    CHECK_STATUS(ta_token_list(store, "auditor", "kind=service", &json), TA_OK);
    CHECK(json_array_len(json) == 2 && json_count_objects(json, "kind", "service") == 2);
    ta_free(json);
    CHECK_STATUS(ta_token_list(store, "auditor", "kind=personal owner=dev", &json), TA_OK);
    CHECK(json_array_len(json) == 3 && json_count_objects(json, "owner", "dev") == 3);
    ta_free(json);
    CHECK_STATUS(ta_token_list(store, "auditor", "status=revoked", &json), TA_OK);
    CHECK(json_array_len(json) == 0);
    ta_free(json);
    CHECK_STATUS(ta_token_list(store, "auditor", "kind=service kind=personal", &json), TA_INVALID_ARGUMENT);
    CHECK(json == NULL);
    CHECK_STATUS(ta_token_list(store, "auditor", "color=red", &json), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_token_list(store, "auditor", "kind=robot", &json), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_token_list(store, "auditor", "status=sleeping", &json), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_token_list(store, "auditor", "owner=bad/id", &json), TA_INVALID_ARGUMENT);

    /* ---- rename */
    CHECK_STATUS(ta_token_rename(store, "dev", dev_id, "laptop (work)"), TA_OK);
    CHECK_STATUS(ta_token_rename(store, "root", dev_id, "renamed by an admin"), TA_OK);
    CHECK_STATUS(ta_token_rename(store, NULL, dev_id, "renamed by the host"), TA_OK);
    CHECK_STATUS(ta_token_rename(store, "dev", dev_id, ""), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_token_rename(store, "dev", dev_id, NULL), TA_INVALID_ARGUMENT);
    json = get("dev", dev_id);
    CHECK(json_str_is(json, "name", "renamed by the host"));
    ta_free(json);
    CHECK_INT(audit_count("event=token.renamed"), 3);

    /* ---- deactivate / activate */
    CHECK_STATUS(ta_token_set_active(store, "dev", dev_id, false), TA_OK);
    json = get("dev", dev_id);
    CHECK(json_str_is(json, "status", "inactive") && json_len_is(json, "effective_scopes", 0));
    ta_free(json);
    CHECK_STATUS(verify(dev_secret, NULL), TA_INACTIVE);
    CHECK_STATUS(ta_token_list(store, "auditor", "status=inactive", &json), TA_OK);
    CHECK(json_array_len(json) == 1 && json_str_is(json, "id", dev_id));
    ta_free(json);
    CHECK_STATUS(ta_token_set_active(store, "root", dev_id, true), TA_OK); /* an admin may */
    CHECK_STATUS(verify(dev_secret, NULL), TA_OK);
    CHECK_STATUS(ta_token_set_active(store, "ops", svc_id, false), TA_OK);
    CHECK_STATUS(verify(svc_secret, NULL), TA_INACTIVE);
    CHECK_STATUS(ta_token_set_active(store, "ops", svc_id, true), TA_OK);
    CHECK_STATUS(verify(svc_secret, NULL), TA_OK);

    /* ---- rotation with grace */
    {
        char *old_secret = NULL, *old_id = NULL, *new_secret = NULL, *new_id = NULL;
        ta_status s;
        spec = th_spec("rotating", TA_KIND_PERSONAL, "tickets:read");
        spec.expires_at_ms = T0 + 10 * DAY;
        spec.rate_limit = 100;
        spec.rate_window_ms = 60000;
        CHECK(create("dev", spec, &old_secret, &old_id));
        n_tokens++;
        ta_set_clock(store, T0 + HOUR);
        p = (char *)"x";
        q = (char *)"x";
        CHECK_STATUS(ta_token_rotate(store, "root", old_id, 0, &p, &q), TA_PERMISSION_DENIED); /* not the owner */
        CHECK(p == NULL && q == NULL);
        CHECK_STATUS(ta_token_rotate(store, NULL, old_id, 0, &p, &q), TA_PERMISSION_DENIED);   /* nor the host */
        CHECK_STATUS(ta_token_rotate(store, "dev", old_id, -1, &p, &q), TA_INVALID_ARGUMENT);
        s = ta_token_rotate(store, "dev", old_id, 60000, &new_secret, &new_id);
        CHECK_STATUS(s, TA_OK);
        n_tokens++;
        CHECK(th_token_well_formed(new_secret, "tka", 'p') && strcmp(new_secret, old_secret) != 0);
        CHECK(new_id && strcmp(new_id, old_id) != 0);
        json = get("dev", new_id);
        CHECK(json_str_is(json, "name", "rotating") && json_str_is(json, "kind", "personal") &&
              json_str_is(json, "owner", "dev") && json_str_is(json, "created_by", "dev") &&
              json_has_item(json, "scopes", "tickets:read") && json_str_is(json, "status", "active"));
        CHECK_INT(json_int(json, "expires_at", -1), T0 + HOUR + 10 * DAY); /* same lifetime, from now */
        CHECK(json_int(json, "limit", -1) == 100 && json_int(json, "window_ms", -1) == 60000);
        CHECK(json_str_is(json, "rotated_from", old_id));
        ta_free(json);
        json = get("dev", old_id);
        CHECK(json_str_is(json, "rotated_to", new_id));
        ta_free(json);
        /* The old one works until rotation time + grace, then is revoked. */
        CHECK_STATUS(verify(old_secret, "tickets:read"), TA_OK);
        ta_set_clock(store, T0 + HOUR + 59999);
        CHECK_STATUS(verify(old_secret, "tickets:read"), TA_OK);
        ta_set_clock(store, T0 + HOUR + 60000);
        CHECK_STATUS(verify(old_secret, "tickets:read"), TA_REVOKED);
        CHECK_STATUS(verify(new_secret, "tickets:read"), TA_OK);
        json = get("dev", old_id);
        CHECK(json_str_is(json, "status", "revoked"));
        ta_free(json);
        CHECK_STATUS(ta_token_rotate(store, "dev", old_id, 0, NULL, NULL), TA_CONFLICT); /* already rotated */
        /* Without grace the old token is revoked at once. */
        CHECK_STATUS(ta_token_rotate(store, "dev", new_id, 0, &p, &q), TA_OK);
        n_tokens++;
        CHECK_STATUS(verify(new_secret, NULL), TA_REVOKED);
        CHECK_STATUS(verify(p, NULL), TA_OK);
        CHECK_INT(audit_count("event=token.rotated"), 2);
        ta_free(p);
        ta_free(q);
        ta_free(old_secret);
        ta_free(old_id);
        ta_free(new_secret);
        ta_free(new_id);
    }
    /* Service tokens: ManageServiceAccessTokens plus every scope of the token. */
    CHECK_STATUS(ta_token_rotate(store, "ops", host_id, 0, NULL, NULL), TA_PERMISSION_DENIED); /* users:write */
    CHECK_STATUS(ta_token_rotate(store, "ops", svc_id, 1000, &ci2_secret, &q), TA_OK);
    n_tokens++;
    CHECK_STATUS(verify(svc_secret, NULL), TA_OK); /* within its grace */
    CHECK_STATUS(verify(ci2_secret, NULL), TA_OK);
    json = get("ops", q);
    CHECK(json_str_is(json, "created_by", "ops") && json_raw_is(json, "owner", "null"));
    ta_free(json);
    ta_free(q);
    /* An expired or inactive token may be rotated; the new one is active. */
    {
        char *e_id = NULL;
        ta_set_clock(store, T0 + 2 * HOUR);
        spec = th_spec("short-lived", TA_KIND_SERVICE, "users:read");
        spec.expires_at_ms = T0 + 3 * HOUR; /* a lifetime of one hour */
        CHECK(create(NULL, spec, NULL, &e_id));
        n_tokens++;
        CHECK_STATUS(ta_token_set_active(store, NULL, e_id, false), TA_OK);
        ta_set_clock(store, T0 + 4 * HOUR);
        json = get(NULL, e_id);
        CHECK(json_str_is(json, "status", "expired")); /* the first failing check */
        ta_free(json);
        CHECK_STATUS(ta_token_rotate(store, NULL, e_id, 0, &p, &q), TA_OK);
        n_tokens++;
        CHECK_STATUS(verify(p, "users:read"), TA_OK);
        json = get(NULL, q);
        CHECK_INT(json_int(json, "expires_at", -1), T0 + 5 * HOUR); /* one hour from the rotation */
        ta_free(json);
        ta_free(p);
        ta_free(q);
        ta_free(e_id);
    }

    /* ---- revoke */
    CHECK_STATUS(ta_token_revoke(store, "dev", dev_id), TA_OK);
    CHECK_STATUS(verify(dev_secret, NULL), TA_REVOKED);
    json = get("dev", dev_id);
    CHECK(json_str_is(json, "status", "revoked") && json_len_is(json, "effective_scopes", 0));
    ta_free(json);
    CHECK_STATUS(ta_token_set_active(store, "dev", dev_id, true), TA_CONFLICT);
    CHECK_STATUS(ta_token_set_active(store, "auditor", dev_id, true), TA_PERMISSION_DENIED); /* IAM before state */
    CHECK_STATUS(ta_token_set_active(store, "nobody", dev_id, true), TA_NOT_FOUND);
    CHECK_STATUS(ta_token_rotate(store, "dev", dev_id, 0, NULL, NULL), TA_CONFLICT);
    CHECK_STATUS(ta_token_set_active(store, "dev", dev_id, false), TA_OK); /* harmless */
    CHECK_STATUS(ta_token_rename(store, "dev", dev_id, "revoked laptop"), TA_OK);
    CHECK_STATUS(ta_token_revoke(store, "dev", dev_id), TA_OK);
    CHECK_STATUS(verify(dev_secret, NULL), TA_REVOKED);
    CHECK_STATUS(ta_token_list(store, "auditor", "status=revoked", &json), TA_OK);
    CHECK(json_count_objects(json, "id", dev_id) == 1);
    ta_free(json);
    {
        char query[80];
        snprintf(query, sizeof query, "event=token.revoked token=%s", dev_id);
        CHECK_INT(audit_count(query), 2); /* also the call that changed nothing */
    }

    /* ---- delete */
    CHECK_STATUS(ta_token_delete(store, "auditor", host_id), TA_PERMISSION_DENIED);
    CHECK_STATUS(ta_token_delete(store, "ops", host_id), TA_OK);
    CHECK_STATUS(verify(host_secret, NULL), TA_UNKNOWN_TOKEN);
    n_tokens--;
    CHECK_STATUS(ta_token_get(store, NULL, host_id, &json), TA_NOT_FOUND);
    CHECK_STATUS(ta_token_delete(store, "ops", host_id), TA_NOT_FOUND);
    CHECK_STATUS(ta_token_revoke(store, NULL, host_id), TA_NOT_FOUND);
    CHECK_INT(audit_count("event=token.deleted"), 1);
    {
        char query[80];
        snprintf(query, sizeof query, "token=%s", host_id);
        CHECK(audit_count(query) >= 2); /* created and deleted: its entries stay */
    }
    CHECK_STATUS(ta_token_list(store, NULL, NULL, &json), TA_OK);
    CHECK_INT(json_array_len(json), n_tokens);
    ta_free(json);

    /* ---- removing the owner */
    {
        char *s1 = NULL, *id1 = NULL;
        spec = th_spec("dev's other", TA_KIND_PERSONAL, "assets:read");
        CHECK(create("dev", spec, &s1, &id1));
        n_tokens++;
        CHECK_STATUS(ta_member_remove(store, "dev"), TA_OK);
        CHECK_STATUS(ta_verify(store, s1, NULL, &v), TA_REVOKED);
        CHECK_STR(v.subject, "");
        CHECK_STATUS(ta_token_list(store, "auditor", "owner=dev", &json), TA_OK);
        CHECK(json_array_len(json) >= 1 && json_count_objects(json, "status", "revoked") == json_array_len(json));
        ta_free(json);
        json = get("auditor", id1);
        CHECK(json_str_is(json, "owner", "dev") && json_str_is(json, "status", "revoked")); /* the old owner stays */
        ta_free(json);
        /* A new member with the same id neither uses, sees nor manages the old tokens. */
        CHECK_STATUS(ta_member_put(store, "dev", "ManagePersonalAccessTokens assets:read"), TA_OK);
        CHECK_STATUS(verify(s1, NULL), TA_REVOKED);
        CHECK_STATUS(ta_token_list(store, "dev", NULL, &json), TA_OK);
        CHECK(json_array_len(json) == 0);
        ta_free(json);
        CHECK_STATUS(ta_token_get(store, "dev", id1, &json), TA_NOT_FOUND);
        CHECK_STATUS(ta_token_rename(store, "dev", id1, "mine?"), TA_NOT_FOUND);
        CHECK_STATUS(ta_token_rotate(store, "dev", id1, 0, NULL, NULL), TA_NOT_FOUND);
        /* Service tokens the removed member created are unaffected. */
        CHECK_STATUS(ta_member_remove(store, "ops"), TA_OK);
        CHECK_STATUS(ta_verify(store, ci2_secret, "tickets:read", &v), TA_OK);
        CHECK_STR(v.subject, v.token_id); /* a service token acts as itself */
        /* A well-formed token that was never issued here. */
        th_forge_token("tka", 's', 1, forged);
        CHECK_STATUS(verify(forged, NULL), TA_UNKNOWN_TOKEN);
        ta_free(s1);
        ta_free(id1);
    }

    /* ---- every call by an actor that is not an active member is denied */
    CHECK_STATUS(ta_member_set_active(store, "auditor", false), TA_OK);
    CHECK_STATUS(ta_token_list(store, "auditor", NULL, &json), TA_PERMISSION_DENIED);
    CHECK_STATUS(ta_token_get(store, "auditor", svc_id, &json), TA_PERMISSION_DENIED);
    CHECK_STATUS(ta_member_set_active(store, "auditor", true), TA_OK);
    CHECK_STATUS(ta_token_get(store, "auditor", svc_id, &json), TA_OK);
    ta_free(json);

    ta_free(dev_secret);
    ta_free(dev_id);
    ta_free(svc_secret);
    ta_free(svc_id);
    ta_free(host_secret);
    ta_free(host_id);
    ta_free(ci2_secret);
    ta_close(store);
    return finish();
}

/* Oversight from C: usage statistics (ta_token_stats, ta_record_usage), the audit log (events,
   filters, aggregation of denials, who may read it) and the least-privilege report. */
#include "harness.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define HOUR 3600000LL
#define DAY (24 * HOUR)

static ta_store *store;

static char *create(const char *actor, ta_token_kind kind, const char *name, const char *scopes, int64_t expires,
                    char **id)
{
    ta_token_spec spec;
    char *secret = NULL;
    ta_status s;
    memset(&spec, 0, sizeof spec);
    spec.name = name;
    spec.kind = kind;
    spec.scopes = scopes;
    spec.expires_at_ms = expires;
    s = ta_token_create(store, actor, &spec, &secret, id);
    if (s != TA_OK) {
        fprintf(stderr, "cannot create %s (%s): %s\n", name, ta_status_name(s), ta_last_error());
        exit(99);
    }
    return secret;
}

static char *audit(const char *actor, const char *query)
{
    char *json = NULL;
    ta_status s = ta_audit(store, actor, query, &json);
    if (s != TA_OK)
        fprintf(stderr, "audit \"%s\": %s (%s)\n", query ? query : "", ta_status_name(s), ta_last_error());
    return json;
}

int main(void)
{
    char *a_secret, *a_id = NULL, *b_secret, *b_id = NULL, *c_secret, *c_id = NULL, *json = NULL, *obj;
    char query[128], op200[201], op201[202], forged_id[32];
    ta_verdict v;
    int i;

    memset(op200, 'o', 200);
    op200[200] = '\0';
    memset(op201, 'o', 201);
    op201[201] = '\0';
    strcpy(forged_id, "tok_0000000000000000");

    store = th_open(th_db_path("oversight.db"), NULL);
    ta_set_clock(store, T0);
    CHECK_STATUS(ta_member_put(store, "root", "admin"), TA_OK);
    CHECK_STATUS(ta_member_put(store, "dev", "ManagePersonalAccessTokens tickets:read assets:read"), TA_OK);
    CHECK_STATUS(ta_member_put(store, "nobody", ""), TA_OK);

    a_secret = create("dev", TA_KIND_PERSONAL, "integration", "tickets:read assets:read", 0, &a_id);
    b_secret = create("dev", TA_KIND_PERSONAL, "unused", "assets:read", T0 + 5 * DAY, &b_id);
    c_secret = create(NULL, TA_KIND_SERVICE, "to revoke", "users:read", 0, &c_id);

    /* ---- usage: three uses on day 1, two on day 2, one denial on day 1 */
    for (i = 0; i < 3; i++)
        CHECK_STATUS(ta_verify(store, a_secret, "tickets:read", &v), TA_OK);
    CHECK_STATUS(ta_verify(store, a_secret, "users:read", &v), TA_FORBIDDEN);
    CHECK_STATUS(ta_record_usage(store, a_id, "GET /api/tickets", 200), TA_OK);
    CHECK_STATUS(ta_record_usage(store, a_id, "GET /api/tickets", 200), TA_OK);
    CHECK_STATUS(ta_record_usage(store, a_id, "POST /api/tickets", 403), TA_OK);
    ta_set_clock(store, T0 + DAY + 2 * HOUR);
    CHECK_STATUS(ta_verify(store, a_secret, "tickets:read", &v), TA_OK);
    CHECK_STATUS(ta_verify(store, a_secret, NULL, &v), TA_OK);

    /* ---- ta_record_usage arguments */
    CHECK_STATUS(ta_record_usage(store, forged_id, "GET /x", 200), TA_NOT_FOUND);
    CHECK_STATUS(ta_record_usage(store, "not an id", "GET /x", 200), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_record_usage(store, NULL, "GET /x", 200), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_record_usage(store, b_id, NULL, 200), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_record_usage(store, b_id, op201, 200), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_record_usage(store, b_id, "GET /x", 99), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_record_usage(store, b_id, "GET /x", 600), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_record_usage(store, b_id, "GET /\xff", 200), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_record_usage(NULL, b_id, "GET /x", 200), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_record_usage(store, c_id, op200, 100), TA_OK);
    CHECK_STATUS(ta_record_usage(store, c_id, "GET /x", 599), TA_OK);

    /* ---- stats, all time */
    CHECK_STATUS(ta_token_stats(store, "dev", a_id, 0, &json), TA_OK);
    CHECK(json_valid(json));
    CHECK(json_str_is(json, "token_id", a_id));
    CHECK_INT(json_int(json, "use_count", -1), 5);
    CHECK_INT(json_int(json, "denied_count", -1), 1);
    CHECK_INT(json_int(json, "last_used_at", -1), T0 + DAY + 2 * HOUR);
    CHECK_INT(json_int(json, "2026-01-01", -1), 3);
    CHECK_INT(json_int(json, "2026-01-02", -1), 2);
    CHECK_INT(json_int(json, "GET /api/tickets", -1), 2);
    CHECK_INT(json_int(json, "POST /api/tickets", -1), 1);
    CHECK_INT(json_int(json, "200", -1), 2);
    CHECK_INT(json_int(json, "403", -1), 1);
    CHECK(json_len_is(json, "scopes_used", 1) && json_has_item(json, "scopes_used", "tickets:read"));
    if (json_int(json, "use_count", -1) != 5)
        SHOW_JSON("stats", json);
    ta_free(json);
    /* ...from day 2 on: whole UTC days from since's day; last_used_at stays exact */
    CHECK_STATUS(ta_token_stats(store, "dev", a_id, T0 + DAY + 5 * HOUR, &json), TA_OK);
    CHECK_INT(json_int(json, "use_count", -1), 2);
    CHECK_INT(json_int(json, "denied_count", -1), 0);
    CHECK_INT(json_int(json, "2026-01-02", -1), 2);
    CHECK(json_get(json, "2026-01-01") == NULL);
    CHECK_INT(json_int(json, "last_used_at", -1), T0 + DAY + 2 * HOUR);
    ta_free(json);
    /* ...for a token that was never used */
    CHECK_STATUS(ta_token_stats(store, "dev", b_id, 0, &json), TA_OK);
    CHECK(json_int(json, "use_count", -1) == 0 && json_raw_is(json, "last_used_at", "null"));
    ta_free(json);
    /* ...and who may read them */
    CHECK_STATUS(ta_token_stats(store, "nobody", a_id, 0, &json), TA_NOT_FOUND);
    CHECK(json == NULL);
    CHECK_STATUS(ta_token_stats(store, "ghost", a_id, 0, &json), TA_PERMISSION_DENIED);
    CHECK_STATUS(ta_token_stats(store, "dev", forged_id, 0, &json), TA_NOT_FOUND);
    CHECK_STATUS(ta_token_stats(store, "dev", NULL, 0, &json), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_token_stats(store, "root", a_id, 0, NULL), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_token_stats(store, NULL, c_id, 0, &json), TA_OK);
    CHECK_INT(json_int(json, "100", -1), 1);
    CHECK_INT(json_int(json, "599", -1), 1);
    CHECK_INT(json_int(json, op200, -1), 1);
    ta_free(json);
    /* Lists show the same counts (reads flush this handle's buffered usage first). */
    CHECK_STATUS(ta_token_get(store, "dev", a_id, &json), TA_OK);
    CHECK_INT(json_int(json, "use_count", -1), 5);
    CHECK_INT(json_int(json, "last_used_at", -1), T0 + DAY + 2 * HOUR);
    ta_free(json);

    /* ---- the audit log */
    CHECK_STATUS(ta_token_revoke(store, NULL, c_id), TA_OK);
    for (i = 0; i < 3; i++)
        CHECK_STATUS(ta_verify(store, c_secret, NULL, &v), TA_REVOKED);
    ta_set_clock(store, T0 + DAY + 2 * HOUR + 30000); /* same minute */
    CHECK_STATUS(ta_verify(store, c_secret, NULL, &v), TA_REVOKED);
    ta_set_clock(store, T0 + DAY + 2 * HOUR + 90000); /* the next minute */
    CHECK_STATUS(ta_verify(store, c_secret, NULL, &v), TA_REVOKED);

    json = NULL;
    CHECK_STATUS(ta_audit(store, "dev", NULL, &json), TA_PERMISSION_DENIED); /* needs admin */
    CHECK(json == NULL);
    CHECK_STATUS(ta_audit(store, "ghost", NULL, &json), TA_PERMISSION_DENIED);
    json = audit("root", NULL);
    CHECK(json_array_len(json) > 10);
    CHECK(json_get(json, "at") && json_get(json, "event") && json_get(json, "actor") && json_get(json, "token_id") &&
          json_get(json, "member_id") && json_get(json, "detail"));
    CHECK(!strstr(json, a_secret + 5) && !strstr(json, b_secret + 5) && !strstr(json, c_secret + 5));
    ta_free(json);
    json = audit(NULL, NULL);
    CHECK(json_array_len(json) > 10);
    ta_free(json);

    /* Events carry their token, actor and detail. */
    snprintf(query, sizeof query, "event=token.created token=%s", a_id);
    json = audit("root", query);
    CHECK(json_array_len(json) == 1);
    CHECK(json_str_is(json, "actor", "dev") && json_str_is(json, "token_id", a_id));
    CHECK(json_str_is(json, "name", "integration") && json_str_is(json, "kind", "personal"));
    CHECK_INT(json_int(json, "at", -1), T0);
    ta_free(json);
    /* Denials: one entry per (token, status, UTC minute), counted. */
    snprintf(query, sizeof query, "event=verify.denied token=%s", c_id);
    json = audit("root", query);
    CHECK(json_array_len(json) == 2);
    CHECK_INT(json_int(json, "count", -1), 1); /* newest first: the later minute */
    ta_free(json);
    snprintf(query, sizeof query, "event=verify.denied token=%s limit=1 until=%lld", c_id, T0 + DAY + 2 * HOUR + 60000);
    json = audit("root", query);
    CHECK(json_array_len(json) == 1);
    CHECK(json_str_is(json, "status", "TA_REVOKED"));
    CHECK_INT(json_int(json, "http_status", -1), 401);
    CHECK_INT(json_int(json, "count", -1), 4);
    CHECK_INT(json_int(json, "first_at", -1), T0 + DAY + 2 * HOUR);
    CHECK_INT(json_int(json, "last_at", -1), T0 + DAY + 2 * HOUR + 30000);
    CHECK_INT(json_int(json, "at", -1), T0 + DAY + 2 * HOUR);
    if (json_int(json, "count", -1) != 4)
        SHOW_JSON("verify.denied", json);
    ta_free(json);
    snprintf(query, sizeof query, "event=verify.denied token=%s", a_id);
    json = audit("root", query);
    CHECK(json_array_len(json) == 1 && json_str_is(json, "status", "TA_FORBIDDEN") &&
          json_str_is(json, "missing_scope", "users:read") && json_str_is(json, "actor", "dev"));
    ta_free(json);
    /* IAM refusals: iam.denied with the function's name. */
    json = audit("root", "event=iam.denied");
    CHECK(json_array_len(json) >= 2);
    CHECK(json && strstr(json, "\"token_stats\"") && strstr(json, "\"audit\""));
    ta_free(json);
    /* Filters. */
    json = audit("root", "limit=1");
    CHECK(json_array_len(json) == 1);
    ta_free(json);
    json = audit("root", "actor=system event=token.revoked");
    CHECK(json_array_len(json) == 1 && json_str_is(json, "token_id", c_id));
    ta_free(json);
    json = audit("root", "event=no.such.event");
    CHECK(json_array_len(json) == 0);
    ta_free(json);
    snprintf(query, sizeof query, "until=%lld", T0 - 1);
    json = audit("root", query);
    CHECK(json_array_len(json) == 0);
    ta_free(json);
    snprintf(query, sizeof query, "since=%lld event=token.created", T0 + 1);
    json = audit("root", query);
    CHECK(json_array_len(json) == 0);
    ta_free(json);
    CHECK_STATUS(ta_audit(store, "root", "limit=0", &json), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_audit(store, "root", "limit=many", &json), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_audit(store, "root", "color=red", &json), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_audit(store, "root", "limit=1 limit=2", &json), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_audit(store, "root", "since=yesterday", &json), TA_INVALID_ARGUMENT);
    CHECK(json == NULL);

    /* ---- the report, three days and an hour after the last use */
    ta_set_clock(store, T0 + 4 * DAY + 3 * HOUR);
    CHECK_STATUS(ta_report(store, "root", 0, &json), TA_OK);
    CHECK(json_valid(json));
    CHECK_INT(json_int(json, "generated_at", -1), T0 + 4 * DAY + 3 * HOUR);
    CHECK_INT(json_int(json, "since", -1), 0);
    CHECK(json && strstr(json, c_id) == NULL); /* revoked: not listed */
    {
        char tokens[16384];
        CHECK(json_get_raw(json, "tokens", tokens, sizeof tokens) && json_array_len(tokens) == 2);
        obj = json_find_object(tokens, "token_id", a_id);
        CHECK(obj && json_str_is(obj, "name", "integration"));
        CHECK(obj && json_len_is(obj, "unused_scopes", 1) && json_has_item(obj, "unused_scopes", "assets:read"));
        CHECK(obj && json_raw_is(obj, "never_used", "false"));
        CHECK(obj && json_int(obj, "idle_days", -1) == 3);
        CHECK(obj && json_raw_is(obj, "never_expires", "true") && json_raw_is(obj, "expires_soon", "false"));
        {
            char recs[4096];
            CHECK(obj && json_get_raw(obj, "recommendations", recs, sizeof recs) && json_array_len(recs) >= 1);
        }
        if (!obj || !json_len_is(obj, "unused_scopes", 1))
            SHOW_JSON("report entry", obj);
        free(obj);
        obj = json_find_object(tokens, "token_id", b_id);
        CHECK(obj && json_raw_is(obj, "never_used", "true") && json_raw_is(obj, "idle_days", "null"));
        CHECK(obj && json_raw_is(obj, "never_expires", "false") && json_raw_is(obj, "expires_soon", "true"));
        CHECK(obj && json_has_item(obj, "unused_scopes", "assets:read"));
        free(obj);
    }
    ta_free(json);
    /* since: scopes required before it no longer count as used */
    CHECK_STATUS(ta_report(store, "root", T0 + DAY, &json), TA_OK);
    obj = NULL;
    {
        char tokens[16384];
        if (json_get_raw(json, "tokens", tokens, sizeof tokens))
            obj = json_find_object(tokens, "token_id", a_id);
    }
    CHECK(obj && json_len_is(obj, "unused_scopes", 1) && json_has_item(obj, "unused_scopes", "assets:read"));
    free(obj);
    ta_free(json);
    CHECK_STATUS(ta_report(store, "root", T0 + 2 * DAY, &json), TA_OK);
    obj = NULL;
    {
        char tokens[16384];
        if (json_get_raw(json, "tokens", tokens, sizeof tokens))
            obj = json_find_object(tokens, "token_id", a_id);
    }
    CHECK(obj && json_len_is(obj, "unused_scopes", 2));
    free(obj);
    ta_free(json);
    /* Visibility: each actor reports on what it may see. */
    CHECK_STATUS(ta_report(store, "nobody", 0, &json), TA_OK);
    {
        char tokens[256];
        CHECK(json_get_raw(json, "tokens", tokens, sizeof tokens) && json_array_len(tokens) == 0);
    }
    ta_free(json);
    CHECK_STATUS(ta_report(store, "ghost", 0, &json), TA_PERMISSION_DENIED);
    CHECK(json == NULL);
    CHECK_STATUS(ta_report(NULL, "root", 0, &json), TA_INVALID_ARGUMENT);

    ta_free(a_secret);
    ta_free(a_id);
    ta_free(b_secret);
    ta_free(b_id);
    ta_free(c_secret);
    ta_free(c_id);
    ta_close(store);
    return finish();
}

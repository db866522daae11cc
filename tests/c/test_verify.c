/* The hot path from C: every verification status of the contract's table, the verdict's fields,
   credential parsing (bare token or Authorization header), ta_verify_n, scopes in force for
   personal and service tokens, and rate limiting. */
#include "harness.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

static ta_store *store;

static char *create(const char *actor, ta_token_kind kind, const char *scopes, int64_t expires, uint32_t limit,
                    uint32_t window, char **id)
{
    ta_token_spec spec;
    char *secret = NULL;
    ta_status s;
    memset(&spec, 0, sizeof spec);
    spec.name = "verify test";
    spec.kind = kind;
    spec.scopes = scopes;
    spec.expires_at_ms = expires;
    spec.rate_limit = limit;
    spec.rate_window_ms = window;
    s = ta_token_create(store, actor, &spec, &secret, id);
    if (s != TA_OK) {
        fprintf(stderr, "cannot create a token (%s): %s\n", ta_status_name(s), ta_last_error());
        exit(99);
    }
    return secret;
}

/* A verdict must always be fully consistent with its status. */
static void check_verdict_shape(const ta_verdict *v, ta_status returned)
{
    CHECK(v->status == returned);
    CHECK_INT(v->http_status, ta_status_http(returned));
    CHECK(memchr(v->token_id, '\0', sizeof v->token_id) && memchr(v->subject, '\0', sizeof v->subject) &&
          memchr(v->missing_scope, '\0', sizeof v->missing_scope));
    CHECK((v->retry_after_ms > 0) == (returned == TA_RATE_LIMITED));
    CHECK((v->missing_scope[0] != '\0') == (returned == TA_FORBIDDEN));
}

/* An unknown or malformed credential: nothing about any token. */
static void check_unknown_verdict(const ta_verdict *v)
{
    CHECK(v->kind == 0 && v->token_id[0] == '\0' && v->subject[0] == '\0');
    CHECK(v->expires_at_ms == 0 && v->rate_limit == 0 && v->retry_after_ms == 0);
}

int main(void)
{
    char *p_secret, *p_id = NULL, *s_secret, *s_id = NULL, *json = NULL;
    char header[256], forged[64], bad[64];
    ta_verdict v;
    ta_status st;
    size_t n;
    int i;

    store = th_open(th_db_path("verify.db"), NULL);
    ta_set_clock(store, T0);
    CHECK_STATUS(ta_member_put(store, "root", "admin"), TA_OK);
    CHECK_STATUS(ta_member_put(store, "dev", "ManagePersonalAccessTokens tickets:write assets:read"), TA_OK);
    CHECK_STATUS(ta_member_put(store, "ops", "ManageServiceAccessTokens tickets:read users:read"), TA_OK);

    p_secret = create("dev", TA_KIND_PERSONAL, "tickets:write assets:read", 0, 0, 0, &p_id);
    s_secret = create("ops", TA_KIND_SERVICE, "tickets:read", 0, 0, 0, &s_id);

    /* ---- TA_OK, and every field of the verdict */
    memset(&v, 0x5a, sizeof v); /* garbage in: the library zeroes first */
    st = ta_verify(store, p_secret, "tickets:read", &v);
    CHECK_STATUS(st, TA_OK);
    check_verdict_shape(&v, st);
    CHECK_INT(v.http_status, 200);
    CHECK(v.kind == TA_KIND_PERSONAL);
    CHECK_STR(v.token_id, p_id);
    CHECK_STR(v.subject, "dev");
    CHECK_INT(v.expires_at_ms, 0);
    CHECK_INT(v.rate_limit, 0);
    CHECK_STR(v.missing_scope, "");
    CHECK_STATUS(ta_verify(store, p_secret, "tickets:read tickets:write assets:read", &v), TA_OK);
    CHECK_STATUS(ta_verify(store, p_secret, NULL, &v), TA_OK);
    CHECK_STATUS(ta_verify(store, p_secret, "", &v), TA_OK);
    CHECK_STATUS(ta_verify(store, p_secret, "tickets:read", NULL), TA_OK); /* out may be NULL */
    st = ta_verify(store, s_secret, "tickets:read", &v);
    CHECK_STATUS(st, TA_OK);
    CHECK(v.kind == TA_KIND_SERVICE);
    CHECK_STR(v.subject, s_id); /* a service token acts as itself */

    /* ---- credentials: a bare token or an Authorization header value */
    snprintf(header, sizeof header, "Bearer %s", p_secret);
    CHECK_STATUS(ta_verify(store, header, "tickets:read", &v), TA_OK);
    snprintf(header, sizeof header, "bEaReR    %s", p_secret);
    CHECK_STATUS(ta_verify(store, header, "tickets:read", &v), TA_OK);
    {
        const char *bad_forms[] = {"Bearer", "Bearer ", "Basic %s", "Bearer\t%s", " %s", "%s ", "Bearer  %s x",
                                   "Token %s", "Bearer:%s", "%s\n"};
        for (i = 0; i < (int)(sizeof bad_forms / sizeof bad_forms[0]); i++) {
            snprintf(header, sizeof header, bad_forms[i], p_secret);
            st = ta_verify(store, header, NULL, &v);
            if (st != TA_MALFORMED)
                fprintf(stderr, "    credential form \"%s\"\n", bad_forms[i]);
            CHECK_STATUS(st, TA_MALFORMED);
        }
    }

    /* ---- TA_MALFORMED: decided without any lookup */
    st = ta_verify(store, "hello", NULL, &v);
    CHECK_STATUS(st, TA_MALFORMED);
    check_verdict_shape(&v, st);
    check_unknown_verdict(&v);
    CHECK_INT(v.http_status, 401);
    CHECK_STATUS(ta_verify(store, "", NULL, &v), TA_MALFORMED);
    CHECK_STATUS(ta_verify(store, NULL, NULL, &v), TA_MALFORMED);
    CHECK_INT(v.http_status, 401);
    strcpy(bad, p_secret);
    n = strlen(bad);
    bad[n - 1] = bad[n - 1] == 'A' ? 'B' : 'A'; /* a wrong checksum */
    CHECK_STATUS(ta_verify(store, bad, NULL, &v), TA_MALFORMED);
    strcpy(bad, p_secret);
    bad[10] = bad[10] == 'A' ? 'B' : 'A'; /* a changed character: the checksum catches it */
    CHECK_STATUS(ta_verify(store, bad, NULL, &v), TA_MALFORMED);
    check_unknown_verdict(&v);
    th_forge_token("xyz", 'p', 3, forged); /* another prefix */
    CHECK_STATUS(ta_verify(store, forged, NULL, &v), TA_MALFORMED);
    th_forge_token("tka", 'x', 3, forged); /* another kind letter */
    CHECK_STATUS(ta_verify(store, forged, NULL, &v), TA_MALFORMED);
    CHECK_STATUS(ta_verify(store, "tkap_\xff\xfe", NULL, &v), TA_MALFORMED);

    /* ---- TA_UNKNOWN_TOKEN: well formed, never issued here */
    th_forge_token("tka", 'p', 42, forged);
    st = ta_verify(store, forged, "tickets:read", &v);
    CHECK_STATUS(st, TA_UNKNOWN_TOKEN);
    check_verdict_shape(&v, st);
    check_unknown_verdict(&v);
    CHECK_INT(v.http_status, 401);

    /* ---- TA_FORBIDDEN: the first required scope not in force */
    st = ta_verify(store, p_secret, "tickets:read users:read users:write", &v);
    CHECK_STATUS(st, TA_FORBIDDEN);
    check_verdict_shape(&v, st);
    CHECK_INT(v.http_status, 403);
    CHECK_STR(v.missing_scope, "users:read");
    CHECK_STR(v.token_id, p_id);
    CHECK_STR(v.subject, "dev");
    st = ta_verify(store, s_secret, "tickets:write", &v);
    CHECK_STATUS(st, TA_FORBIDDEN);
    CHECK_STR(v.missing_scope, "tickets:write");
    /* A well-formed scope that is not in the catalog is never in force, not even through admin. */
    {
        char *admin_secret = create("root", TA_KIND_PERSONAL, "admin", 0, 0, 0, NULL);
        CHECK_STATUS(ta_verify(store, admin_secret, "users:write tickets:write", &v), TA_OK);
        CHECK_STATUS(ta_verify(store, admin_secret, "billing:read", &v), TA_FORBIDDEN);
        CHECK_STR(v.missing_scope, "billing:read");
        /* admin covers scopes defined after the token was created */
        CHECK_STATUS(ta_scope_define(store, "billing:read", NULL, "Read invoices"), TA_OK);
        CHECK_STATUS(ta_verify(store, admin_secret, "billing:read", &v), TA_OK);
        ta_free(admin_secret);
    }
    /* Bad scope syntax in required_scopes: invalid argument, checked before the credential. */
    CHECK_STATUS(ta_verify(store, p_secret, "Tickets:Read", &v), TA_INVALID_ARGUMENT);
    CHECK_INT(v.http_status, 400);
    CHECK_STATUS(ta_verify(store, "garbage", "bad scope!", &v), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_verify(NULL, p_secret, NULL, &v), TA_INVALID_ARGUMENT);
    CHECK_INT(v.http_status, 400);

    /* ---- personal tokens follow their owner's permissions now; service tokens do not */
    CHECK_STATUS(ta_member_put(store, "dev", "ManagePersonalAccessTokens assets:read tickets:read"), TA_OK);
    CHECK_STATUS(ta_verify(store, p_secret, "tickets:write", &v), TA_FORBIDDEN); /* downgraded */
    CHECK_STR(v.missing_scope, "tickets:write");
    CHECK_STATUS(ta_verify(store, p_secret, "tickets:read", &v), TA_OK);
    CHECK_STATUS(ta_token_get(store, "dev", p_id, &json), TA_OK);
    CHECK(json_len_is(json, "effective_scopes", 2) && json_has_item(json, "effective_scopes", "assets:read") &&
          json_has_item(json, "effective_scopes", "tickets:read"));
    ta_free(json);
    CHECK_STATUS(ta_member_put(store, "dev", "ManagePersonalAccessTokens tickets:write assets:read"), TA_OK);
    CHECK_STATUS(ta_verify(store, p_secret, "tickets:write", &v), TA_OK); /* restored */
    CHECK_STATUS(ta_member_put(store, "ops", ""), TA_OK);                 /* the creator loses everything */
    CHECK_STATUS(ta_verify(store, s_secret, "tickets:read", &v), TA_OK);
    CHECK_STATUS(ta_member_set_active(store, "ops", false), TA_OK);
    CHECK_STATUS(ta_verify(store, s_secret, "tickets:read", &v), TA_OK);

    /* ---- TA_OWNER_INACTIVE, and back */
    CHECK_STATUS(ta_member_set_active(store, "dev", false), TA_OK);
    st = ta_verify(store, p_secret, "tickets:read", &v);
    CHECK_STATUS(st, TA_OWNER_INACTIVE);
    check_verdict_shape(&v, st);
    CHECK_INT(v.http_status, 403);
    CHECK_STR(v.token_id, p_id);
    CHECK_STATUS(ta_member_set_active(store, "dev", true), TA_OK);
    CHECK_STATUS(ta_verify(store, p_secret, "tickets:read", &v), TA_OK);

    /* ---- TA_INACTIVE, and back */
    CHECK_STATUS(ta_token_set_active(store, "dev", p_id, false), TA_OK);
    st = ta_verify(store, p_secret, "tickets:read", &v);
    CHECK_STATUS(st, TA_INACTIVE);
    check_verdict_shape(&v, st);
    CHECK_INT(v.http_status, 403);
    CHECK_STATUS(ta_member_set_active(store, "dev", false), TA_OK);
    CHECK_STATUS(ta_verify(store, p_secret, NULL, &v), TA_INACTIVE); /* checked before the owner */
    CHECK_STATUS(ta_member_set_active(store, "dev", true), TA_OK);
    CHECK_STATUS(ta_token_set_active(store, "dev", p_id, true), TA_OK);
    CHECK_STATUS(ta_verify(store, p_secret, "tickets:read", &v), TA_OK);

    /* ---- TA_EXPIRED */
    {
        char *e_id = NULL, *e_secret = create("dev", TA_KIND_PERSONAL, "tickets:read", T0 + 1000, 0, 0, &e_id);
        st = ta_verify(store, e_secret, NULL, &v);
        CHECK_STATUS(st, TA_OK);
        CHECK_INT(v.expires_at_ms, T0 + 1000);
        ta_set_clock(store, T0 + 999);
        CHECK_STATUS(ta_verify(store, e_secret, NULL, &v), TA_OK);
        ta_set_clock(store, T0 + 1000);
        st = ta_verify(store, e_secret, NULL, &v);
        CHECK_STATUS(st, TA_EXPIRED);
        check_verdict_shape(&v, st);
        CHECK_INT(v.http_status, 401);
        CHECK_INT(v.expires_at_ms, T0 + 1000);
        CHECK_STATUS(ta_token_set_active(store, "dev", e_id, false), TA_OK);
        CHECK_STATUS(ta_verify(store, e_secret, NULL, &v), TA_EXPIRED); /* expired before inactive */
        CHECK_STATUS(ta_token_revoke(store, "dev", e_id), TA_OK);
        CHECK_STATUS(ta_verify(store, e_secret, NULL, &v), TA_REVOKED); /* revoked before expired */
        ta_set_clock(store, T0);
        ta_free(e_secret);
        ta_free(e_id);
    }

    /* ---- TA_RATE_LIMITED: a bucket of 2 per minute, spent only by verifications that pass */
    {
        char *r_id = NULL, *r_secret = create("dev", TA_KIND_PERSONAL, "tickets:read", 0, 2, 60000, &r_id);
        ta_set_clock(store, T0 + 10000);
        st = ta_verify(store, r_secret, "tickets:read", &v);
        CHECK_STATUS(st, TA_OK);
        CHECK_INT(v.rate_limit, 2);
        CHECK_INT(v.rate_remaining, 1);
        CHECK_INT(v.retry_after_ms, 0);
        CHECK_STATUS(ta_verify(store, r_secret, "tickets:write", &v), TA_FORBIDDEN); /* takes no unit */
        CHECK_INT(v.rate_remaining, 1);
        st = ta_verify(store, r_secret, "tickets:read", &v);
        CHECK_STATUS(st, TA_OK);
        CHECK_INT(v.rate_remaining, 0);
        CHECK_INT(v.rate_reset_ms, 60000); /* two units at one per 30 s */
        st = ta_verify(store, r_secret, "tickets:read", &v);
        CHECK_STATUS(st, TA_RATE_LIMITED);
        check_verdict_shape(&v, st);
        CHECK_INT(v.http_status, 429);
        CHECK_INT(v.retry_after_ms, 30000);
        CHECK_INT(v.rate_remaining, 0);
        CHECK_STR(v.token_id, r_id);
        ta_set_clock(store, T0 + 10000 + 29999);
        CHECK_STATUS(ta_verify(store, r_secret, "tickets:read", &v), TA_RATE_LIMITED);
        CHECK_INT(v.retry_after_ms, 1);
        ta_set_clock(store, T0 + 10000 + 30000);
        CHECK_STATUS(ta_verify(store, r_secret, "tickets:read", &v), TA_OK);
        CHECK_INT(v.rate_remaining, 0);
        /* A clock that moves back refills nothing. */
        ta_set_clock(store, T0);
        CHECK_STATUS(ta_verify(store, r_secret, "tickets:read", &v), TA_RATE_LIMITED);
        ta_set_clock(store, T0 + 10000 + 30000 + 120000);
        CHECK_STATUS(ta_verify(store, r_secret, "tickets:read", &v), TA_OK);
        CHECK_INT(v.rate_remaining, 1); /* full again (capacity 2), minus this one */
        ta_set_clock(store, T0);
        ta_free(r_secret);
        ta_free(r_id);
    }

    /* ---- TA_REVOKED */
    st = ta_verify(store, p_secret, NULL, &v);
    CHECK_STATUS(st, TA_OK);
    CHECK_STATUS(ta_token_revoke(store, "root", p_id), TA_OK); /* an admin may revoke it */
    st = ta_verify(store, p_secret, "tickets:read", &v);
    CHECK_STATUS(st, TA_REVOKED);
    check_verdict_shape(&v, st);
    CHECK_INT(v.http_status, 401);
    CHECK_STR(v.token_id, p_id);
    CHECK(v.kind == TA_KIND_PERSONAL);
    CHECK(strstr(ta_last_error(), p_secret) == NULL && strstr(ta_last_error(), p_secret + 5) == NULL);

    /* ---- deleted: unknown */
    CHECK_STATUS(ta_token_delete(store, NULL, s_id), TA_OK);
    CHECK_STATUS(ta_verify(store, s_secret, NULL, &v), TA_UNKNOWN_TOKEN);

    /* ---- ta_verify_n: a credential inside a buffer, not NUL-terminated */
    {
        char *k_secret = create("dev", TA_KIND_PERSONAL, "tickets:read", 0, 0, 0, NULL);
        char buffer[300];
        size_t len = strlen(k_secret);
        memset(buffer, 'Z', sizeof buffer);
        memcpy(buffer, "Bearer ", 7);
        memcpy(buffer + 7, k_secret, len); /* followed by 'Z's, no NUL */
        CHECK_STATUS(ta_verify_n(store, buffer, 7 + len, "tickets:read", &v), TA_OK);
        CHECK_STATUS(ta_verify_n(store, buffer + 7, len, NULL, &v), TA_OK);
        CHECK_STATUS(ta_verify_n(store, buffer + 7, len + 1, NULL, &v), TA_MALFORMED);
        CHECK_STATUS(ta_verify_n(store, buffer + 7, len - 1, NULL, &v), TA_MALFORMED);
        CHECK_STATUS(ta_verify_n(store, buffer, 0, NULL, &v), TA_MALFORMED);
        CHECK_STATUS(ta_verify_n(store, NULL, 0, NULL, &v), TA_MALFORMED);
        buffer[7 + len] = '\0';
        CHECK_STATUS(ta_verify_n(store, buffer + 7, len + 1, NULL, &v), TA_MALFORMED); /* embedded NUL */
        buffer[7 + 10] = '\0';
        CHECK_STATUS(ta_verify_n(store, buffer + 7, len, NULL, &v), TA_MALFORMED);
        CHECK_STATUS(ta_verify_n(NULL, k_secret, len, NULL, &v), TA_INVALID_ARGUMENT);
        ta_free(k_secret);
    }

    /* ---- over-long credentials */
    {
        size_t big = 1u << 20;
        char *huge = malloc(big + 1);
        memset(huge, 'a', big);
        huge[big] = '\0';
        CHECK_STATUS(ta_verify(store, huge, NULL, &v), TA_MALFORMED);
        memcpy(huge, "Bearer ", 7);
        CHECK_STATUS(ta_verify_n(store, huge, big, NULL, &v), TA_MALFORMED);
        free(huge);
    }

    ta_free(p_secret);
    ta_free(p_id);
    ta_free(s_secret);
    ta_free(s_id);
    ta_close(store);
    return finish();
}

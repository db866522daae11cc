/*
 * A C program that calls every function of the ABI — successes and failures, an in-memory store
 * and a WAL file, two threads verifying while a third manages — and frees everything it gets.
 * Run under valgrind memcheck (run-valgrind.sh): no invalid reads or writes, no use of
 * uninitialised values, and no block "definitely lost". REL_ROUNDS (default 2) repeats the whole
 * sequence, so that a leak per call shows up as a multiple.
 */
#include "rel.h"

#include <pthread.h>
#include <stdbool.h>

static ta_store *shared;
static char shared_secret[64];

static void use_json(ta_status st, char *json)
{
    CHECK(st != TA_OK || rel_json_valid(json));
    ta_free(json);
}

#define USE_JSON(call)                                                                             \
    do {                                                                                           \
        ta_status st_ = (call);                                                                    \
        use_json(st_, json);                                                                       \
        json = NULL;                                                                               \
    } while (0)

static void *verify_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++) {
        ta_verdict v;
        CHECK_STATUS(ta_verify(shared, shared_secret, "tickets:read", &v), TA_OK);
        CHECK_STATUS(ta_verify_n(shared, "Bearer x", 8, NULL, &v), TA_MALFORMED);
        (void)ta_last_error();
    }
    return NULL;
}

static void round_on(const char *path)
{
    ta_config cfg = {"acme", 1000000, 1000, 20, 2000};
    ta_store *s = rel_open(path, &cfg);
    char *secret = NULL, *id = NULL, *secret2 = NULL, *id2 = NULL, *json = NULL;
    ta_verdict v;

    CHECK_STATUS(ta_scope_define(s, "reports:read", NULL, "Read reports"), TA_OK);
    CHECK_STATUS(ta_scope_define(s, "reports:write", "reports:read", NULL), TA_OK);
    CHECK_STATUS(ta_scope_define(s, "reports:read", "reports:write", NULL), TA_INVALID_ARGUMENT); /* a cycle */
    CHECK_STATUS(ta_member_put(s, "alice", "admin ManagePersonalAccessTokens"), TA_OK);
    CHECK_STATUS(ta_member_put(s, "bob", "tickets:read reports:write ManagePersonalAccessTokens"), TA_OK);
    CHECK_STATUS(ta_member_put(s, "bob", "nope:scope"), TA_UNKNOWN_SCOPE);
    CHECK_STATUS(ta_member_put(s, "system", ""), TA_INVALID_ARGUMENT);
    USE_JSON(ta_scope_list(s, &json));
    USE_JSON(ta_member_list(s, &json));

    ta_token_spec spec = {"ci", TA_KIND_SERVICE, "tickets:read tickets:write", 0, 0, 0};
    CHECK_STATUS(ta_token_create(s, NULL, &spec, &secret, &id), TA_OK);
    ta_token_spec pspec = {"mine", TA_KIND_PERSONAL, "tickets:read reports:read", rel_wall_ms() + 86400000, 5, 1000};
    CHECK_STATUS(ta_token_create(s, "bob", &pspec, &secret2, &id2), TA_OK);
    CHECK_STATUS(ta_token_create(s, NULL, &pspec, NULL, NULL), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_token_create(s, "bob", &spec, NULL, NULL), TA_PERMISSION_DENIED);
    {
        ta_token_spec many[3] = {spec, spec, spec};
        char *secrets[3] = {NULL, NULL, NULL}, *ids[3] = {NULL, NULL, NULL};
        CHECK_STATUS(ta_token_create_batch(s, NULL, many, 3, secrets, ids), TA_OK);
        for (int i = 0; i < 3; i++) {
            CHECK(secrets[i] && ids[i]);
            ta_free(secrets[i]);
            ta_free(ids[i]);
        }
        CHECK_STATUS(ta_token_create_batch(s, NULL, many, 2, NULL, ids), TA_OK);
        ta_free(ids[0]);
        ta_free(ids[1]);
        many[1] = pspec; /* the host cannot own a personal token: nothing is created */
        CHECK_STATUS(ta_token_create_batch(s, NULL, many, 3, secrets, ids), TA_INVALID_ARGUMENT);
        CHECK(!secrets[0] && !secrets[2] && !ids[0] && !ids[2]);
        CHECK_STATUS(ta_token_create_batch(s, "bob", many, 3, secrets, NULL), TA_PERMISSION_DENIED);
        CHECK_STATUS(ta_token_create_batch(s, NULL, many, 0, secrets, ids), TA_INVALID_ARGUMENT);
        CHECK_STATUS(ta_token_create_batch(s, NULL, NULL, 3, secrets, ids), TA_INVALID_ARGUMENT);
    }

    CHECK_STATUS(ta_verify(s, secret, "tickets:read", &v), TA_OK);
    CHECK_STATUS(ta_verify(s, secret2, "reports:read", &v), TA_OK);
    CHECK_STATUS(ta_verify(s, secret2, "users:write", &v), TA_FORBIDDEN);
    CHECK_STATUS(ta_verify(s, "Bearer acmes_000", NULL, &v), TA_MALFORMED);
    CHECK_STATUS(ta_verify(s, secret, "Bad Scope", &v), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_verify_n(s, secret, strlen(secret), NULL, NULL), TA_OK);
    for (int i = 0; i < 8; i++)
        ta_verify(s, secret2, NULL, &v); /* into the rate limit */
    CHECK_STATUS(ta_record_usage(s, id, "GET /api/tickets", 200), TA_OK);
    CHECK_STATUS(ta_record_usage(s, "tok_0000000000000000", "GET /x", 200), TA_NOT_FOUND);

    CHECK_STATUS(ta_token_rename(s, NULL, id, "ci-renamed"), TA_OK);
    CHECK_STATUS(ta_token_set_active(s, "bob", id2, false), TA_OK);
    CHECK_STATUS(ta_token_set_active(s, "bob", id2, true), TA_OK);
    USE_JSON(ta_token_get(s, "bob", id2, &json));
    USE_JSON(ta_token_list(s, "alice", "kind=personal", &json));
    CHECK_STATUS(ta_token_list(s, "alice", "bogus", &json), TA_INVALID_ARGUMENT);
    CHECK(json == NULL);
    USE_JSON(ta_token_stats(s, "alice", id, 0, &json));
    USE_JSON(ta_audit(s, "alice", "limit=20", &json));
    CHECK_STATUS(ta_audit(s, "bob", NULL, &json), TA_PERMISSION_DENIED);
    USE_JSON(ta_report(s, NULL, 0, &json));

    /* threads on this handle while the main thread manages */
    shared = s;
    snprintf(shared_secret, sizeof shared_secret, "%s", secret);
    pthread_t t[2];
    for (int k = 0; k < 2; k++)
        pthread_create(&t[k], NULL, verify_thread, NULL);
    char *rs = NULL, *rid = NULL;
    CHECK_STATUS(ta_token_rotate(s, "bob", id2, 0, &rs, &rid), TA_OK);
    CHECK_STATUS(ta_token_rotate(s, "bob", id2, 0, NULL, NULL), TA_CONFLICT);
    CHECK_STATUS(ta_token_revoke(s, "bob", rid), TA_OK);
    CHECK_STATUS(ta_token_delete(s, "alice", rid), TA_OK);
    CHECK_STATUS(ta_member_set_active(s, "bob", false), TA_OK);
    CHECK_STATUS(ta_member_remove(s, "bob"), TA_OK);
    CHECK_STATUS(ta_flush(s), TA_OK);
    for (int k = 0; k < 2; k++)
        pthread_join(t[k], NULL);
    CHECK_STATUS(ta_verify(s, rs, NULL, &v), TA_UNKNOWN_TOKEN);
    CHECK_STATUS(ta_verify(s, secret2, NULL, &v), TA_REVOKED);

    /* helpers and bad arguments */
    CHECK(ta_status_name(TA_FORBIDDEN) && ta_status_http(TA_RATE_LIMITED) == 429 && ta_error_json(TA_OK) == NULL);
    CHECK(ta_error_json(TA_FORBIDDEN) != NULL && ta_version() != NULL);
    CHECK_STATUS(ta_token_get(NULL, NULL, id, &json), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_token_get(s, NULL, "\xC3\x28", &json), TA_INVALID_ARGUMENT);
    char *rs2 = (char *)1, *rid2 = (char *)1;
    CHECK_STATUS(ta_token_rotate(s, NULL, id, -5, &rs2, &rid2), TA_INVALID_ARGUMENT);
    CHECK(rs2 == NULL && rid2 == NULL);
    CHECK_STATUS(ta_verify(NULL, secret, NULL, &v), TA_INVALID_ARGUMENT);
    ta_set_clock(s, rel_wall_ms() + 1000);
    ta_set_clock(s, 0);

    ta_free(secret);
    ta_free(id);
    ta_free(secret2);
    ta_free(id2);
    ta_free(rs);
    ta_free(rid);
    ta_free(NULL);
    ta_close(s);
    ta_close(NULL);

    /* a failed open leaves nothing behind */
    ta_store *bad = NULL;
    ta_config wrong = {"other", 0, 0, 0, 0};
    if (strcmp(path, ":memory:") != 0)
        CHECK_STATUS(ta_open(path, &wrong, &bad), TA_CONFLICT);
    CHECK_STATUS(ta_open(NULL, NULL, &bad), TA_INVALID_ARGUMENT);
    CHECK(bad == NULL);
}

int main(void)
{
    rel_name = "memcheck";
    long rounds = rel_env_long("REL_ROUNDS", 2);
    for (long r = 0; r < rounds; r++) {
        char name[32];
        snprintf(name, sizeof name, "memcheck-%ld.db", r);
        round_on(":memory:");
        round_on(rel_path(name));
    }
    return rel_finish();
}

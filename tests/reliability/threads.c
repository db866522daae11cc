/*
 * Threads on one shared ta_store: verifiers race creators, revokers, rotators and readers.
 *
 * One handle on a WAL database file (or ":memory:" with REL_MEMORY=1). For REL_SECONDS (default
 * 5) seconds:
 *   - REL_VERIFIERS (default 4) threads verify random published tokens;
 *   - one thread creates tokens (service by the host, personal by alice) and publishes them;
 *   - one thread revokes live tokens; one rotates them (grace 0) and publishes the successor;
 *   - one thread reads JSON (get, list, stats, audit, report) and flushes usage.
 * A token's slot goes live -> revoking (just before the revoke or rotate call) -> revoked (after
 * it returned TA_OK). A verifier reads the slot's state before and after its call:
 *   - revoked before the call began  -> must be TA_REVOKED;
 *   - live before and after           -> must be TA_OK (no rate limits here);
 *   - anything in between             -> TA_OK or TA_REVOKED.
 * Anything else (TA_STORAGE_ERROR, TA_INTERNAL_ERROR, TA_UNKNOWN_TOKEN, ...) is a failure, as is
 * any management call that fails, or JSON that does not parse. After the run the handle is
 * closed (flushing usage) and reopened: every token's use_count equals the number of TA_OK
 * verifications the threads counted, every revoked token is TA_REVOKED, every live one TA_OK.
 *
 * Built three times: against the installed library, and against the library sources compiled
 * with -sanitize=address and -sanitize=thread (the sanitizer reports make those runs fail).
 */
#include "rel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define MAXSLOTS 50000

enum { EMPTY = 0, LIVE = 1, REVOKING = 2, REVOKED = 3 };

typedef struct {
    char secret[64];
    char id[TA_ID_MAX];
    atomic_int state;
    atomic_long ok;
} slot_t;

static slot_t slots[MAXSLOTS];
static atomic_int nslots;
static atomic_bool stop;
static atomic_long n_verify, n_wrong, n_bad_status, n_mgmt_fail, n_created, n_revoked, n_rotated, n_reads, n_json_bad;
static ta_store *store;

static int publish(const char *secret, const char *id)
{
    int i = atomic_load(&nslots);
    if (i >= MAXSLOTS)
        return -1;
    snprintf(slots[i].secret, sizeof slots[i].secret, "%s", secret);
    snprintf(slots[i].id, sizeof slots[i].id, "%s", id);
    atomic_store(&slots[i].state, LIVE);
    atomic_store(&nslots, i + 1); /* only the creator and the rotator publish: under `publish_lock` */
    return i;
}

static pthread_mutex_t publish_lock = PTHREAD_MUTEX_INITIALIZER;

static void mgmt_failed(const char *what, ta_status st)
{
    atomic_fetch_add(&n_mgmt_fail, 1);
    fprintf(stderr, "threads: %s failed: %s (%s)\n", what, ta_status_name(st), ta_last_error());
}

/* Claims a random live slot for revoking; -1 if none found. */
static int claim_live(uint64_t *rng)
{
    int n = atomic_load(&nslots);
    for (int tries = 0; tries < 50 && n > 0; tries++) {
        int i = (int)rel_below(rng, (unsigned)n);
        int expected = LIVE;
        if (atomic_compare_exchange_strong(&slots[i].state, &expected, REVOKING))
            return i;
    }
    return -1;
}

static void *verifier(void *arg)
{
    uint64_t rng = (uint64_t)(uintptr_t)arg * 7919 + 1;
    ta_verdict v;
    while (!atomic_load(&stop)) {
        int n = atomic_load(&nslots);
        if (n == 0)
            continue;
        int i = (int)rel_below(&rng, (unsigned)n);
        int before = atomic_load(&slots[i].state);
        ta_status st = ta_verify(store, slots[i].secret, (rng & 1) ? "tickets:read" : NULL, &v);
        int after = atomic_load(&slots[i].state);
        atomic_fetch_add(&n_verify, 1);
        if (st == TA_OK)
            atomic_fetch_add(&slots[i].ok, 1);
        if (st != TA_OK && st != TA_REVOKED) {
            atomic_fetch_add(&n_bad_status, 1);
            fprintf(stderr, "threads: verify %s: unexpected %s (%s)\n", slots[i].id, ta_status_name(st), ta_last_error());
            continue;
        }
        bool wrong = (before == REVOKED && st != TA_REVOKED) || (before == LIVE && after == LIVE && st != TA_OK);
        if (wrong) {
            atomic_fetch_add(&n_wrong, 1);
            fprintf(stderr, "threads: WRONG ANSWER: %s was %d..%d, got %s\n", slots[i].id, before, after,
                    ta_status_name(st));
        }
    }
    return NULL;
}

static void *creator(void *arg)
{
    uint64_t rng = 11;
    (void)arg;
    while (!atomic_load(&stop)) {
        bool personal = rel_below(&rng, 2);
        ta_token_spec spec = {"threaded", personal ? TA_KIND_PERSONAL : TA_KIND_SERVICE, "tickets:write", 0, 0, 0};
        char *secret = NULL, *id = NULL;
        ta_status st = ta_token_create(store, personal ? "alice" : NULL, &spec, &secret, &id);
        if (st != TA_OK) {
            mgmt_failed("ta_token_create", st);
            continue;
        }
        pthread_mutex_lock(&publish_lock);
        int i = publish(secret, id);
        pthread_mutex_unlock(&publish_lock);
        ta_free(secret);
        ta_free(id);
        atomic_fetch_add(&n_created, 1);
        if (i < 0)
            break;
    }
    return NULL;
}

static void *revoker(void *arg)
{
    uint64_t rng = 23;
    (void)arg;
    while (!atomic_load(&stop)) {
        int i = claim_live(&rng);
        if (i < 0) {
            rel_sleep_ms(1);
            continue;
        }
        ta_status st = ta_token_revoke(store, (rng & 1) ? "alice" : NULL, slots[i].id);
        if (st != TA_OK) {
            mgmt_failed("ta_token_revoke", st);
            atomic_store(&slots[i].state, LIVE); /* unknown: leave it out of the strict checks */
            continue;
        }
        atomic_store(&slots[i].state, REVOKED);
        atomic_fetch_add(&n_revoked, 1);
        rel_sleep_ms(2);
    }
    return NULL;
}

static void *rotator(void *arg)
{
    uint64_t rng = 37;
    (void)arg;
    while (!atomic_load(&stop)) {
        int i = claim_live(&rng);
        if (i < 0) {
            rel_sleep_ms(1);
            continue;
        }
        char *secret = NULL, *id = NULL;
        /* the owner rotates a personal token; the host a service token */
        const char *actor = slots[i].secret[3] == 'p' ? "alice" : NULL;
        ta_status st = ta_token_rotate(store, actor, slots[i].id, 0, &secret, &id);
        if (st != TA_OK) {
            mgmt_failed("ta_token_rotate", st);
            atomic_store(&slots[i].state, LIVE);
            continue;
        }
        atomic_store(&slots[i].state, REVOKED);
        pthread_mutex_lock(&publish_lock);
        publish(secret, id);
        pthread_mutex_unlock(&publish_lock);
        ta_free(secret);
        ta_free(id);
        atomic_fetch_add(&n_rotated, 1);
        rel_sleep_ms(2);
    }
    return NULL;
}

static void json_check(const char *what, ta_status st, char *json)
{
    if (st != TA_OK) {
        mgmt_failed(what, st);
    } else if (!rel_json_valid(json)) {
        atomic_fetch_add(&n_json_bad, 1);
        fprintf(stderr, "threads: %s: invalid JSON: %.200s\n", what, json);
    }
    ta_free(json);
    atomic_fetch_add(&n_reads, 1);
}

static void *reader(void *arg)
{
    uint64_t rng = 41;
    (void)arg;
    while (!atomic_load(&stop)) {
        char *json = NULL;
        int n = atomic_load(&nslots);
        int i = n ? (int)rel_below(&rng, (unsigned)n) : 0;
        ta_status st;
        switch (rel_below(&rng, 6)) {
        case 0:
            st = ta_token_get(store, NULL, slots[i].id, &json);
            json_check("ta_token_get", st, json);
            break;
        case 1:
            st = ta_token_stats(store, NULL, slots[i].id, 0, &json);
            json_check("ta_token_stats", st, json);
            break;
        case 2:
            st = ta_token_list(store, "alice", "kind=personal status=revoked", &json);
            json_check("ta_token_list", st, json);
            break;
        case 3:
            st = ta_audit(store, NULL, "limit=50", &json);
            json_check("ta_audit", st, json);
            break;
        case 4: {
            st = ta_flush(store);
            if (st != TA_OK)
                mgmt_failed("ta_flush", st);
            break;
        }
        default: {
            st = ta_record_usage(store, slots[i].id, "GET /api/tickets", 200);
            if (st != TA_OK)
                mgmt_failed("ta_record_usage", st);
            break;
        }
        }
        rel_sleep_ms(3);
    }
    return NULL;
}

int main(void)
{
    rel_name = "threads";
    long seconds = rel_env_long("REL_SECONDS", 5);
    long nverifiers = rel_env_long("REL_VERIFIERS", 4);
    bool memory = rel_env_long("REL_MEMORY", 0) != 0;
    const char *path = memory ? ":memory:" : rel_path("threads.db");
    ta_config cfg = {NULL, 0, 0, 100, 0};
    pthread_t vt[64], ct, rt, rot, rd;

    if (nverifiers < 1 || nverifiers > 64)
        nverifiers = 4;
    store = rel_open(path, &cfg);
    REQUIRE(ta_member_put(store, "alice", "admin ManagePersonalAccessTokens") == TA_OK);
    for (int k = 0; k < 50; k++) {
        ta_token_spec spec = {"seed", k % 2 ? TA_KIND_PERSONAL : TA_KIND_SERVICE, "tickets:write", 0, 0, 0};
        char *secret = NULL, *id = NULL;
        REQUIRE(ta_token_create(store, k % 2 ? "alice" : NULL, &spec, &secret, &id) == TA_OK);
        publish(secret, id);
        ta_free(secret);
        ta_free(id);
    }

    int64_t t0 = rel_now_ms();
    for (long k = 0; k < nverifiers; k++)
        REQUIRE(pthread_create(&vt[k], NULL, verifier, (void *)(uintptr_t)(k + 1)) == 0);
    REQUIRE(pthread_create(&ct, NULL, creator, NULL) == 0);
    REQUIRE(pthread_create(&rt, NULL, revoker, NULL) == 0);
    REQUIRE(pthread_create(&rot, NULL, rotator, NULL) == 0);
    REQUIRE(pthread_create(&rd, NULL, reader, NULL) == 0);
    rel_sleep_ms(seconds * 1000);
    atomic_store(&stop, true);
    for (long k = 0; k < nverifiers; k++)
        pthread_join(vt[k], NULL);
    pthread_join(ct, NULL);
    pthread_join(rt, NULL);
    pthread_join(rot, NULL);
    pthread_join(rd, NULL);
    int64_t elapsed = rel_now_ms() - t0;

    rel_note("%s, %ld s, %ld verifier threads + creator, revoker, rotator, reader: %ld verifications "
             "(%.0f/s), %ld created, %ld revoked, %ld rotated, %ld reads",
             memory ? ":memory:" : "WAL file", seconds, nverifiers, atomic_load(&n_verify),
             atomic_load(&n_verify) * 1000.0 / (double)(elapsed ? elapsed : 1), atomic_load(&n_created),
             atomic_load(&n_revoked), atomic_load(&n_rotated), atomic_load(&n_reads));
    CHECK(atomic_load(&n_wrong) == 0);
    CHECK(atomic_load(&n_bad_status) == 0);
    CHECK(atomic_load(&n_mgmt_fail) == 0);
    CHECK(atomic_load(&n_json_bad) == 0);
    CHECK(atomic_load(&n_verify) > 0);
    CHECK(atomic_load(&n_revoked) > 0 && atomic_load(&n_rotated) > 0 && atomic_load(&n_created) > 0);

    if (memory) {
        /* a private in-memory store cannot be reopened: check usage through this handle */
        REQUIRE(ta_flush(store) == TA_OK);
    } else {
        ta_close(store);
        store = rel_open(path, &cfg);
    }
    long mismatched = 0, wrong_state = 0, total_ok = 0;
    int n = atomic_load(&nslots);
    for (int i = 0; i < n; i++) {
        char *json = NULL;
        ta_status st = ta_token_get(store, NULL, slots[i].id, &json);
        if (st != TA_OK || !rel_json_valid(json)) {
            mismatched++;
            ta_free(json);
            continue;
        }
        long long uses = rel_json_int(json, "use_count", -1);
        total_ok += atomic_load(&slots[i].ok);
        if (uses != atomic_load(&slots[i].ok)) {
            if (mismatched < 5)
                fprintf(stderr, "threads: %s: use_count %lld, but %ld verifications returned TA_OK\n", slots[i].id,
                        uses, atomic_load(&slots[i].ok));
            mismatched++;
        }
        ta_free(json);
    }
    for (int i = 0; i < n; i++) {
        int state = atomic_load(&slots[i].state);
        ta_status st = ta_verify(store, slots[i].secret, NULL, NULL);
        if ((state == REVOKED && st != TA_REVOKED) || (state == LIVE && st != TA_OK))
            wrong_state++;
    }
    rel_note("after %s: %d tokens, %ld TA_OK verifications counted, %ld use_count mismatches, "
             "%ld tokens in the wrong state",
             memory ? "the run (same handle)" : "reopening", n, total_ok, mismatched, wrong_state);
    CHECK(mismatched == 0);
    CHECK(wrong_state == 0);
    ta_close(store);
    return rel_finish();
}

/*
 * Contention: 2 processes x 2 threads verifying and 2 processes writing, on one database file,
 * for REL_SECONDS (default 6).
 *
 * The token table lives in shared memory (mmap before fork). Writers create tokens (service by
 * the host, personal by alice or bob) and publish them after ta_token_create returned; they revoke
 * and rotate (grace 0) live ones, marking the slot "revoking" before the call and "revoked" after
 * it returned TA_OK; they also rename, deactivate and activate again (tracked the same way).
 * Verifiers (each process its own handle, usage flushed every 200 ms, so that they write too)
 * read a slot's state before and after each ta_verify:
 *   - revoked (or deactivated) before the call began  -> must be TA_REVOKED (TA_INACTIVE)
 *   - live before and after                           -> must be TA_OK
 *   - changing meanwhile                              -> the old or the new answer
 * Every TA_OK is counted per token in shared memory. Checked: zero TA_STORAGE_ERROR in any call
 * of any process, zero wrong answers, and after every process has called ta_close, the
 * use_count of every token equals the number of TA_OK verifications of it (exact totals). Also
 * printed: the slowest management call and the slowest verification. Writers work back-to-back;
 * REL_WRITER_PAUSE_MS=N makes them pause N ms before each call.
 */
#include "rel.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define MAXSLOTS 30000

enum { EMPTY = 0, LIVE, CHANGING, REVOKED, INACTIVE };

typedef struct {
    char secret[64];
    char id[TA_ID_MAX];
    atomic_int state;
    atomic_long ok;
    atomic_int busy; /* a writer holds it */
    int owner;       /* -1: a service token; 0: alice's (writer 0); 1: bob's (writer 1) */
} slot_t;

typedef struct {
    atomic_int nslots;
    atomic_int stop;
    atomic_flag publish_lock;
    atomic_long verifies, wrong, storage_errors, other_errors, created, revoked, rotated, toggled, flushes;
    atomic_long max_write_ms, max_verify_ms; /* the slowest management call, and verification */
    slot_t slots[MAXSLOTS];
} shared_t;

static shared_t *sh;
static const char *db_path;

static void note_error(const char *who, const char *what, ta_status st, int64_t took_ms)
{
    if (st == TA_STORAGE_ERROR)
        atomic_fetch_add(&sh->storage_errors, 1);
    else
        atomic_fetch_add(&sh->other_errors, 1);
    fprintf(stderr, "contention %s (pid %d, at %lld ms): %s: %s after %lld ms (%s)\n", who, (int)getpid(), (long long)(rel_now_ms() % 1000000), what, ta_status_name(st), (long long)took_ms,
            ta_last_error());
}

static void note_time(atomic_long *max, int64_t took_ms)
{
    long seen = atomic_load(max);
    while (took_ms > seen && !atomic_compare_exchange_weak(max, &seen, (long)took_ms)) {
    }
}

static void publish(const char *secret, const char *id, int owner)
{
    while (atomic_flag_test_and_set(&sh->publish_lock)) {
    }
    int i = atomic_load(&sh->nslots);
    if (i < MAXSLOTS) {
        slot_t *s = &sh->slots[i];
        snprintf(s->secret, sizeof s->secret, "%s", secret);
        snprintf(s->id, sizeof s->id, "%s", id);
        s->owner = owner;
        atomic_store(&s->state, LIVE);
        atomic_store(&sh->nslots, i + 1);
    }
    atomic_flag_clear(&sh->publish_lock);
}

/* ---------------------------------------------------------------- verifiers */

static ta_store *vstore;

static void *verify_thread(void *arg)
{
    uint64_t rng = (uint64_t)(uintptr_t)arg;
    ta_verdict v;
    while (!atomic_load(&sh->stop)) {
        int n = atomic_load(&sh->nslots);
        int i = (int)rel_below(&rng, (unsigned)n);
        slot_t *s = &sh->slots[i];
        int before = atomic_load(&s->state);
        int64_t t0 = rel_now_ms();
        ta_status st = ta_verify(vstore, s->secret, "tickets:read", &v);
        int64_t took = rel_now_ms() - t0;
        int after = atomic_load(&s->state);
        note_time(&sh->max_verify_ms, took);
        atomic_fetch_add(&sh->verifies, 1);
        if (st == TA_OK)
            atomic_fetch_add(&s->ok, 1);
        if (st == TA_STORAGE_ERROR || st == TA_INTERNAL_ERROR) {
            note_error("verifier", "ta_verify", st, took);
            continue;
        }
        bool wrong;
        if (before == after && before != CHANGING)
            wrong = st != (before == LIVE ? TA_OK : before == REVOKED ? TA_REVOKED : TA_INACTIVE);
        else if (before == REVOKED)
            wrong = st != TA_REVOKED;
        else
            wrong = st != TA_OK && st != TA_REVOKED && st != TA_INACTIVE;
        if (wrong) {
            atomic_fetch_add(&sh->wrong, 1);
            fprintf(stderr, "contention: WRONG ANSWER: %s state %d..%d got %s\n", s->id, before, after,
                    ta_status_name(st));
        }
    }
    return NULL;
}

static int verifier_process(int which)
{
    ta_config cfg = {NULL, 0, 0, 200, 0};
    ta_status st = ta_open(db_path, &cfg, &vstore);
    pthread_t t[2];
    if (st != TA_OK) {
        note_error("verifier", "ta_open", st, 0);
        return 1;
    }
    for (int k = 0; k < 2; k++)
        pthread_create(&t[k], NULL, verify_thread, (void *)(uintptr_t)(which * 100 + k + 1));
    for (int k = 0; k < 2; k++)
        pthread_join(t[k], NULL);
    st = ta_flush(vstore);
    if (st != TA_OK)
        note_error("verifier", "ta_flush", st, 0);
    ta_close(vstore); /* flushes again: nothing may be left */
    return 0;
}

/* ---------------------------------------------------------------- writers */

static int claim(uint64_t *rng, int want_state)
{
    int n = atomic_load(&sh->nslots);
    for (int tries = 0; tries < 40; tries++) {
        int i = (int)rel_below(rng, (unsigned)n);
        int zero = 0;
        if (atomic_load(&sh->slots[i].state) != want_state)
            continue;
        if (atomic_compare_exchange_strong(&sh->slots[i].busy, &zero, 1)) {
            if (atomic_load(&sh->slots[i].state) == want_state)
                return i;
            atomic_store(&sh->slots[i].busy, 0);
        }
    }
    return -1;
}


static int writer_process(int which)
{
    ta_store *s = NULL;
    uint64_t rng = 1000 + (uint64_t)which;
    ta_status st = ta_open(db_path, NULL, &s);
    const char *me = which ? "bob" : "alice";
    if (st != TA_OK) {
        note_error("writer", "ta_open", st, 0);
        return 1;
    }
    long pause_ms = rel_env_long("REL_WRITER_PAUSE_MS", 0);
    while (!atomic_load(&sh->stop)) {
        unsigned r = rel_below(&rng, 10);
        if (pause_ms)
            rel_sleep_ms(pause_ms);
        if (r < 3) {
            bool personal = rel_below(&rng, 2);
            ta_token_spec spec = {"contention", personal ? TA_KIND_PERSONAL : TA_KIND_SERVICE, "tickets:write", 0, 0, 0};
            char *secret = NULL, *id = NULL;
            int64_t t0 = rel_now_ms();
            st = ta_token_create(s, personal ? me : NULL, &spec, &secret, &id);
            int64_t took = rel_now_ms() - t0;
            note_time(&sh->max_write_ms, took);
            if (st != TA_OK) {
                note_error("writer", "ta_token_create", st, took);
                continue;
            }
            publish(secret, id, personal ? which : -1);
            ta_free(secret);
            ta_free(id);
            atomic_fetch_add(&sh->created, 1);
            continue;
        }
        int i = claim(&rng, r < 8 ? LIVE : INACTIVE);
        if (i < 0)
            continue;
        slot_t *t = &sh->slots[i];
        /* a personal token is managed by its owner's writer only (bob may not see alice's) */
        if (t->owner >= 0 && t->owner != which) {
            atomic_store(&t->busy, 0);
            continue;
        }
        const char *actor = t->owner >= 0 ? me : NULL;
        int prev = atomic_load(&t->state);
        atomic_store(&t->state, CHANGING);
        int64_t t0 = rel_now_ms();
        if (r < 5) {
            st = ta_token_revoke(s, actor, t->id);
            if (st == TA_OK) {
                atomic_store(&t->state, REVOKED);
                atomic_fetch_add(&sh->revoked, 1);
            }
        } else if (r < 7) {
            char *secret = NULL, *id = NULL;
            st = ta_token_rotate(s, actor, t->id, 0, &secret, &id);
            if (st == TA_OK) {
                atomic_store(&t->state, REVOKED);
                publish(secret, id, t->owner);
                atomic_fetch_add(&sh->rotated, 1);
            }
            ta_free(secret);
            ta_free(id);
        } else {
            bool activate = prev == INACTIVE;
            st = ta_token_set_active(s, actor, t->id, activate);
            if (st == TA_OK) {
                atomic_store(&t->state, activate ? LIVE : INACTIVE);
                atomic_fetch_add(&sh->toggled, 1);
            }
        }
        int64_t took = rel_now_ms() - t0;
        note_time(&sh->max_write_ms, took);
        if (st != TA_OK) {
            note_error("writer", r < 5 ? "ta_token_revoke" : r < 7 ? "ta_token_rotate" : "ta_token_set_active", st, took);
            atomic_store(&t->state, prev); /* unknown outcome: it may still be either */
        }
        atomic_store(&t->busy, 0);
    }
    ta_close(s);
    return 0;
}

int main(void)
{
    rel_name = "contention";
    long seconds = rel_env_long("REL_SECONDS", 6);
    pid_t pids[4];
    int64_t t0;

    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(sh != MAP_FAILED);
    memset(sh, 0, sizeof *sh);
    db_path = rel_path("contention.db");
    {
        ta_store *s = rel_open(db_path, NULL);
        REQUIRE(ta_member_put(s, "alice", "tickets:write ManagePersonalAccessTokens") == TA_OK);
        REQUIRE(ta_member_put(s, "bob", "tickets:write ManagePersonalAccessTokens") == TA_OK);
        for (int k = 0; k < 300; k++) {
            ta_token_spec spec = {"seed", TA_KIND_SERVICE, "tickets:write", 0, 0, 0};
            char *secret = NULL, *id = NULL;
            REQUIRE(ta_token_create(s, NULL, &spec, &secret, &id) == TA_OK);
            publish(secret, id, -1);
            ta_free(secret);
            ta_free(id);
        }
        ta_close(s);
    }

    t0 = rel_now_ms();
    for (int p = 0; p < 4; p++) {
        pids[p] = fork();
        REQUIRE(pids[p] >= 0);
        if (pids[p] == 0)
            _exit(p < 2 ? verifier_process(p) : writer_process(p - 2));
    }
    rel_sleep_ms(seconds * 1000);
    atomic_store(&sh->stop, 1);
    int bad_exit = 0;
    for (int p = 0; p < 4; p++) {
        int status = 0;
        waitpid(pids[p], &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            bad_exit++;
            fprintf(stderr, "contention: process %d ended with status 0x%x\n", p, status);
        }
    }
    int64_t elapsed = rel_now_ms() - t0;

    /* exact usage totals */
    ta_store *s = rel_open(db_path, NULL);
    int n = atomic_load(&sh->nslots);
    long mismatched = 0, ok_total = 0, uses_total = 0, unreadable = 0;
    for (int i = 0; i < n; i++) {
        char *json = NULL;
        ta_status st = ta_token_get(s, NULL, sh->slots[i].id, &json);
        if (st != TA_OK || !rel_json_valid(json)) {
            unreadable++;
            ta_free(json);
            continue;
        }
        long long uses = rel_json_int(json, "use_count", -1);
        long ok = atomic_load(&sh->slots[i].ok);
        ok_total += ok;
        uses_total += uses;
        if (uses != ok) {
            if (mismatched < 5)
                fprintf(stderr, "contention: %s: use_count %lld, TA_OK verifications %ld\n", sh->slots[i].id, uses, ok);
            mismatched++;
        }
        ta_free(json);
    }
    ta_close(s);

    rel_note("%ld s, 2 verifier processes x 2 threads + 2 writer processes on one WAL file: %ld verifications "
             "(%.0f/s), %ld created, %ld revoked, %ld rotated, %ld (de)activated; %ld TA_STORAGE_ERROR, %ld other "
             "errors, %ld wrong answers; usage: %ld TA_OK counted, %ld in use_count, %ld tokens mismatched; "
             "slowest management call %ld ms, slowest verification %ld ms",
             seconds, atomic_load(&sh->verifies), atomic_load(&sh->verifies) * 1000.0 / (double)elapsed,
             atomic_load(&sh->created), atomic_load(&sh->revoked), atomic_load(&sh->rotated),
             atomic_load(&sh->toggled), atomic_load(&sh->storage_errors), atomic_load(&sh->other_errors),
             atomic_load(&sh->wrong), ok_total, uses_total, mismatched, atomic_load(&sh->max_write_ms),
             atomic_load(&sh->max_verify_ms));
    CHECK(bad_exit == 0);
    CHECK(atomic_load(&sh->storage_errors) == 0);
    CHECK(atomic_load(&sh->other_errors) == 0);
    CHECK(atomic_load(&sh->wrong) == 0);
    CHECK(unreadable == 0);
    CHECK(mismatched == 0);
    CHECK(atomic_load(&sh->verifies) > 0 && atomic_load(&sh->revoked) > 0 && atomic_load(&sh->rotated) > 0);
    return rel_finish();
}

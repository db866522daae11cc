/*
 * Rate limits under threads and processes at once (run plain and under ThreadSanitizer): PROCS
 * processes, each with THREADS threads on one handle, verify the same tokens with one frozen clock.
 * Every token's bucket is shared by all of them, so exactly `limit` verifications of each token are
 * TA_OK in all, the rest TA_RATE_LIMITED; ThreadSanitizer sees the table's atomics and reports no
 * race in the library. A second round repeats it on tokens verified first by another process, so
 * buckets are claimed concurrently in slots that are already taken.
 *
 *   REL_PROCS (default 3), REL_THREADS (default 3), REL_TOKENS (default 8), REL_LIMIT (default 200)
 */
#include "rel.h"

#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define FROZEN 1700000000000LL

static const char *path;
static char secrets[64][128];
static long tokens, limit, threads_per_proc;
/* Per-token TA_OK counts, in memory shared by the processes. */
static long *ok_counts;
static long *other_counts;

struct worker {
    ta_store *store;
    int index;
};

static void *verify_all(void *arg)
{
    struct worker *w = arg;
    for (long round = 0; round < limit; round++) {
        for (long t = 0; t < tokens; t++) {
            long k = (t + w->index) % tokens; /* threads start on different tokens */
            ta_verdict v;
            ta_status st = ta_verify(w->store, secrets[k], "tickets:read", &v);
            if (st == TA_OK)
                __atomic_fetch_add(&ok_counts[k], 1, __ATOMIC_RELAXED);
            else if (st != TA_RATE_LIMITED)
                __atomic_fetch_add(&other_counts[k], 1, __ATOMIC_RELAXED);
        }
    }
    return NULL;
}

static int run_process(int proc)
{
    ta_store *s = NULL;
    pthread_t th[16];
    struct worker w[16];
    if (ta_open(path, NULL, &s) != TA_OK)
        return 97;
    ta_set_clock(s, FROZEN);
    for (long i = 0; i < threads_per_proc; i++) {
        w[i].store = s;
        w[i].index = (int)(proc * threads_per_proc + i);
        if (pthread_create(&th[i], NULL, verify_all, &w[i]) != 0)
            return 96;
    }
    for (long i = 0; i < threads_per_proc; i++)
        pthread_join(th[i], NULL);
    ta_close(s);
    return 0;
}

static void create_tokens(ta_store *admin)
{
    for (long t = 0; t < tokens; t++) {
        ta_token_spec spec = {"mix", TA_KIND_SERVICE, "tickets:read", 0, (uint32_t)limit, 3600000};
        char *secret = NULL;
        REQUIRE(ta_token_create(admin, NULL, &spec, &secret, NULL) == TA_OK);
        snprintf(secrets[t], sizeof secrets[t], "%s", secret);
        ta_free(secret);
        ok_counts[t] = other_counts[t] = 0;
    }
}

static void one_round(const char *label, long procs)
{
    pid_t pids[16];
    for (long p = 0; p < procs; p++) {
        fflush(stdout);
        pids[p] = fork();
        REQUIRE(pids[p] >= 0);
        if (pids[p] == 0)
            _exit(run_process((int)p));
    }
    for (long p = 0; p < procs; p++) {
        int status = 0;
        REQUIRE(waitpid(pids[p], &status, 0) == pids[p]);
        rel_result(WIFEXITED(status) && WEXITSTATUS(status) == 0, __FILE__, __LINE__, "a worker process exited cleanly");
    }
    long exact = 0, others = 0;
    for (long t = 0; t < tokens; t++) {
        exact += ok_counts[t] == limit;
        others += other_counts[t];
    }
    rel_result(exact == tokens, __FILE__, __LINE__, "every token was TA_OK exactly `limit` times");
    rel_result(others == 0, __FILE__, __LINE__, "no status but TA_OK and TA_RATE_LIMITED");
    rel_note("%s: %ld processes x %ld threads x %ld tokens: %ld of %ld tokens TA_OK exactly %ld times (of %ld tries each)",
             label, procs, threads_per_proc, tokens, exact, tokens, limit, procs * threads_per_proc * limit);
}

int main(void)
{
    long procs = rel_env_long("REL_PROCS", 3);
    ta_store *admin = NULL;
    rel_name = "rate_mix";
    threads_per_proc = rel_env_long("REL_THREADS", 3);
    tokens = rel_env_long("REL_TOKENS", 8);
    limit = rel_env_long("REL_LIMIT", 200);
    REQUIRE(procs >= 1 && procs <= 16 && threads_per_proc >= 1 && threads_per_proc <= 16);
    REQUIRE(tokens >= 1 && tokens <= 64 && limit >= 1);
    path = rel_path("mix.db");
    ok_counts = mmap(NULL, 2 * 64 * sizeof(long), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(ok_counts != MAP_FAILED);
    other_counts = ok_counts + 64;
    /* The admin handle is closed (its thread joined) before each fork: a process must not fork
       while it runs threads (and ThreadSanitizer refuses to). */
    REQUIRE(ta_open(path, NULL, &admin) == TA_OK);
    create_tokens(admin);
    ta_close(admin);
    one_round("fresh buckets", procs);
    {
        /* The admin process takes nothing but touches every bucket first, claiming its slot. */
        ta_verdict v;
        REQUIRE(ta_open(path, NULL, &admin) == TA_OK);
        create_tokens(admin);
        ta_set_clock(admin, FROZEN);
        for (long t = 0; t < tokens; t++)
            REQUIRE(ta_verify(admin, secrets[t], "tickets:write", &v) == TA_FORBIDDEN);
        ta_close(admin);
    }
    one_round("claimed buckets", procs);
    return rel_finish();
}

/* Benchmarks of the PostgreSQL backend (docs/fleets.md).
 *
 * usage: bench_postgres PG_URI SQLITE_PATH [--revocations N] [--tokens N] [--ops N] [--runs N]
 *
 * 1. Revocation propagation between two processes: a console process revokes tokens one at a time;
 *    a gateway process (its own handle, its own connections) holds each in its index and verifies
 *    it every ~100 us until it is refused. For each revocation: from calling ta_token_revoke to the
 *    gateway's first refusal (end to end), and from ta_token_revoke's return to that refusal
 *    (negative: refused before the revoke returned, which is what the listeners' acknowledgements
 *    give). p50/p99/max over N revocations (default 1,000). Target: p99 <= 100 ms on loopback.
 * 2. Hot verify: ta_verify of tokens already in the index, one thread, PostgreSQL vs SQLite
 *    (same library, same tokens count); best of --runs. Target: PostgreSQL within 10% of SQLite.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tokenauth.h"

#define SECRET_MAX 96

struct slot {
    char secret[SECRET_MAX];
    char id[64];
    int64_t start_ns, returned_ns, refused_ns;
};

struct shared {
    atomic_int ready;     /* console: tokens created */
    atomic_int cached;    /* gateway: every token verified once (in its index) */
    atomic_int revoked;   /* console: revocations started (index of the current one + 1) */
    atomic_int refused;   /* gateway: revocations seen */
    atomic_int failed;
    struct slot slots[];
};

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void sleep_us(long us)
{
    struct timespec t = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&t, NULL);
}

static ta_store *open_store(const char *path)
{
    ta_store *s = NULL;
    ta_status st = ta_open(path, NULL, &s);
    if (st != TA_OK) {
        fprintf(stderr, "bench_postgres: ta_open(%s): %s (%s)\n", path, ta_status_name(st), ta_last_error());
        exit(2);
    }
    return s;
}

static void create_tokens(ta_store *s, int n, char (*secrets)[SECRET_MAX], char (*ids)[64])
{
    ta_token_spec spec;
    int i;
    memset(&spec, 0, sizeof spec);
    spec.name = "bench";
    spec.kind = TA_KIND_SERVICE;
    spec.scopes = "tickets:read";
    for (i = 0; i < n; i++) {
        char *secret = NULL, *id = NULL;
        ta_status st = ta_token_create(s, NULL, &spec, &secret, &id);
        if (st != TA_OK) {
            fprintf(stderr, "bench_postgres: ta_token_create: %s (%s)\n", ta_status_name(st), ta_last_error());
            exit(2);
        }
        snprintf(secrets[i], SECRET_MAX, "%s", secret);
        if (ids)
            snprintf(ids[i], 64, "%s", id);
        ta_free(secret);
        ta_free(id);
    }
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double percentile_ms(int64_t *sorted, int n, double p)
{
    int index = (int)(p * (n - 1) + 0.5);
    return sorted[index] / 1e6;
}

/* ---------------------------------------------------------------- 1. propagation */

static void gateway(const char *uri, struct shared *sh, int n)
{
    ta_store *s = open_store(uri);
    ta_verdict v;
    int i;
    while (atomic_load(&sh->ready) == 0)
        sleep_us(1000);
    for (i = 0; i < n; i++) {
        if (ta_verify(s, sh->slots[i].secret, "tickets:read", &v) != TA_OK) {
            fprintf(stderr, "gateway: token %d not TA_OK before its revocation\n", i);
            atomic_store(&sh->failed, 1);
        }
    }
    atomic_store(&sh->cached, 1);
    for (i = 0; i < n && !atomic_load(&sh->failed); i++) {
        ta_status st;
        while (atomic_load(&sh->revoked) <= i)
            sleep_us(50);
        while ((st = ta_verify(s, sh->slots[i].secret, "tickets:read", &v)) == TA_OK)
            sleep_us(100);
        sh->slots[i].refused_ns = now_ns();
        if (st != TA_REVOKED) {
            fprintf(stderr, "gateway: token %d: %s, want TA_REVOKED (%s)\n", i, ta_status_name(st), ta_last_error());
            atomic_store(&sh->failed, 1);
        }
        atomic_store(&sh->refused, i + 1);
    }
    ta_close(s);
}

static int propagation(const char *uri, int n)
{
    size_t size = sizeof(struct shared) + (size_t)n * sizeof(struct slot);
    struct shared *sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int64_t *total, *after;
    pid_t pid;
    int i, status = 0, late = 0;
    if (sh == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    memset(sh, 0, size);
    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        gateway(uri, sh, n);
        _exit(0);
    }
    {
        ta_store *s = open_store(uri);
        char (*secrets)[SECRET_MAX] = calloc((size_t)n, SECRET_MAX);
        char (*ids)[64] = calloc((size_t)n, 64);
        create_tokens(s, n, secrets, ids);
        for (i = 0; i < n; i++) {
            memcpy(sh->slots[i].secret, secrets[i], SECRET_MAX);
            memcpy(sh->slots[i].id, ids[i], 64);
        }
        free(secrets);
        free(ids);
        atomic_store(&sh->ready, 1);
        while (!atomic_load(&sh->cached) && !atomic_load(&sh->failed))
            sleep_us(1000);
        for (i = 0; i < n && !atomic_load(&sh->failed); i++) {
            ta_status st;
            sleep_us(1000 + rand() % 2000); /* revocations arrive at random moments */
            sh->slots[i].start_ns = now_ns();
            atomic_store(&sh->revoked, i + 1);
            st = ta_token_revoke(s, NULL, sh->slots[i].id);
            sh->slots[i].returned_ns = now_ns();
            if (st != TA_OK) {
                fprintf(stderr, "console: ta_token_revoke: %s (%s)\n", ta_status_name(st), ta_last_error());
                atomic_store(&sh->failed, 1);
            }
            while (atomic_load(&sh->refused) <= i && !atomic_load(&sh->failed))
                sleep_us(50);
        }
        ta_close(s);
    }
    waitpid(pid, &status, 0);
    if (atomic_load(&sh->failed) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_postgres: the propagation run failed\n");
        return 1;
    }
    total = calloc((size_t)n, sizeof *total);
    after = calloc((size_t)n, sizeof *after);
    for (i = 0; i < n; i++) {
        total[i] = sh->slots[i].refused_ns - sh->slots[i].start_ns;
        after[i] = sh->slots[i].refused_ns - sh->slots[i].returned_ns;
        late += after[i] > 0;
    }
    qsort(total, (size_t)n, sizeof *total, compare_i64);
    qsort(after, (size_t)n, sizeof *after, compare_i64);
    printf("propagation over %d revocations (console process -> gateway process, PostgreSQL on loopback):\n", n);
    printf("  from calling ta_token_revoke to the gateway's refusal: p50 %.2f ms  p99 %.2f ms  max %.2f ms"
           "  (target p99 <= 100 ms)\n", percentile_ms(total, n, 0.50), percentile_ms(total, n, 0.99),
           total[n - 1] / 1e6);
    printf("  from ta_token_revoke's return to the refusal:           p50 %.2f ms  p99 %.2f ms  max %.2f ms"
           "  (%d of %d refused only after the return; the gateway polls every ~0.1 ms)\n",
           percentile_ms(after, n, 0.50), percentile_ms(after, n, 0.99), after[n - 1] / 1e6, late, n);
    free(total);
    free(after);
    munmap(sh, size);
    return 0;
}

/* ---------------------------------------------------------------- 2. hot verify */

static double hot_ns(const char *path, int tokens, long ops, int runs)
{
    ta_store *s = open_store(path);
    char (*secrets)[SECRET_MAX] = calloc((size_t)tokens, SECRET_MAX);
    ta_verdict v;
    double best = 1e30;
    long i;
    int r;
    create_tokens(s, tokens, secrets, NULL);
    for (i = 0; i < tokens; i++) /* into the index */
        if (ta_verify(s, secrets[i], "tickets:read", &v) != TA_OK) {
            fprintf(stderr, "bench_postgres: warm-up verify failed on %s: %s\n", path, ta_last_error());
            exit(2);
        }
    for (r = 0; r < runs; r++) {
        int64_t start = now_ns();
        for (i = 0; i < ops; i++)
            if (ta_verify(s, secrets[i % tokens], "tickets:read", &v) != TA_OK) {
                fprintf(stderr, "bench_postgres: verify failed on %s: %s\n", path, ta_last_error());
                exit(2);
            }
        double per = (double)(now_ns() - start) / (double)ops;
        if (per < best)
            best = per;
    }
    free(secrets);
    ta_close(s);
    return best;
}

int main(int argc, char **argv)
{
    int revocations = 1000, tokens = 10000, runs = 5, i, rc;
    long ops = 2000000;
    double pg, lite;
    if (argc < 3) {
        fprintf(stderr, "usage: bench_postgres PG_URI SQLITE_PATH [--revocations N] [--tokens N] [--ops N] [--runs N]\n");
        return 2;
    }
    for (i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--revocations"))
            revocations = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--tokens"))
            tokens = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--ops"))
            ops = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--runs"))
            runs = atoi(argv[i + 1]);
    }
    if (revocations < 1 || tokens < 1 || ops < 1 || runs < 1)
        return 2;
    srand((unsigned)now_ns());
    rc = propagation(argv[1], revocations);
    if (rc != 0)
        return rc;
    pg = hot_ns(argv[1], tokens, ops, runs);
    lite = hot_ns(argv[2], tokens, ops, runs);
    printf("hot verify (%d tokens in the index, %ld verifications, best of %d, one thread):\n", tokens, ops, runs);
    printf("  PostgreSQL backend %.1f ns/verify   SQLite backend %.1f ns/verify   PostgreSQL/SQLite %.2f"
           "  (target <= 1.10)\n", pg, lite, pg / lite);
    return 0;
}

/* One rate-limit budget per token for a fleet: H handles (processes standing in for hosts) open one
 * PostgreSQL URI and verify the same token. Measured for H = 2, 4 and 8, and printed:
 *
 *  - burst: limit 100 per hour (the window is long enough that nothing refills during the test);
 *    every handle verifies 100 times as fast as it can. Overshoot = TA_OK beyond the budget (must be
 *    0); unused = budget never spent although requests were refused (units other handles held when
 *    they stopped; must stay within (H - 1) × chunk, chunk = limit / (4 × open handles)).
 *  - steady: limit 200 per second; the handles together ask for 100 per second (half the limit) for
 *    two seconds, then 300 per second (one and a half times it) for two seconds. At half the limit
 *    no request may be refused (false 429s: must be 0); above it, TA_OK may exceed what one exact
 *    bucket would allow over the same time (burst + rate × elapsed) by at most H × chunk; how many
 *    fewer it allowed is printed as false 429s.
 *
 * usage: fleet_limits URI. Exit status 0 and a closing "N passed, N failed" line. */
#define _DEFAULT_SOURCE
#include "harness.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

static const char *uri;

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Counters shared by the processes: OK and refused, and the first and last request times. */
struct tally {
    long ok, refused, other;
    int64_t first_us, last_us;
};
static struct tally *shared;

static char *create_token(uint32_t limit, uint32_t window_ms)
{
    ta_store *admin = th_open(uri, NULL);
    ta_token_spec spec;
    char *secret = NULL;
    memset(&spec, 0, sizeof spec);
    spec.name = "fleet";
    spec.kind = TA_KIND_SERVICE;
    spec.scopes = "tickets:read";
    spec.rate_limit = limit;
    spec.rate_window_ms = window_ms;
    CHECK_STATUS(ta_token_create(admin, NULL, &spec, &secret, NULL), TA_OK);
    ta_close(admin);
    return secret;
}

/* One host: `tries` verifications at `per_second` (0: as fast as it can), starting at `start_us`. */
static int host(const char *secret, long tries, double per_second, int64_t start_us)
{
    ta_store *s = NULL;
    if (ta_open(uri, NULL, &s) != TA_OK)
        return 97;
    while (mono_us() < start_us)
        usleep(200);
    for (long i = 0; i < tries; i++) {
        ta_verdict v;
        if (per_second > 0) {
            int64_t due = start_us + (int64_t)((double)i * 1e6 / per_second);
            int64_t wait = due - mono_us();
            if (wait > 0)
                usleep((useconds_t)wait);
        }
        int64_t at = mono_us();
        ta_status st = ta_verify(s, secret, "tickets:read", &v);
        __atomic_fetch_add(st == TA_OK ? &shared->ok : st == TA_RATE_LIMITED ? &shared->refused : &shared->other, 1,
                           __ATOMIC_RELAXED);
        int64_t seen = __atomic_load_n(&shared->first_us, __ATOMIC_RELAXED);
        while ((seen == 0 || at < seen) && !__atomic_compare_exchange_n(&shared->first_us, &seen, at, 0,
                                                                          __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
        }
        seen = __atomic_load_n(&shared->last_us, __ATOMIC_RELAXED);
        while (at > seen && !__atomic_compare_exchange_n(&shared->last_us, &seen, at, 0, __ATOMIC_RELAXED,
                                                         __ATOMIC_RELAXED)) {
        }
    }
    ta_close(s);
    return 0;
}

/* Runs `hosts` processes of `host(...)` together; returns the tally. */
static struct tally fleet(int hosts, const char *secret, long tries, double per_second_each)
{
    pid_t pids[8];
    int64_t start = mono_us() + 1500000; /* after every process has opened its handle */
    memset(shared, 0, sizeof *shared);
    for (int h = 0; h < hosts; h++) {
        fflush(stdout);
        pids[h] = fork();
        if (pids[h] < 0)
            exit(99);
        if (pids[h] == 0) {
            th_dir[0] = '\0';
            _exit(host(secret, tries, per_second_each, start));
        }
    }
    for (int h = 0; h < hosts; h++) {
        int status = 0;
        CHECK(waitpid(pids[h], &status, 0) == pids[h] && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CHECK_INT(shared->other, 0);
    return *shared;
}

int main(int argc, char **argv)
{
    static const int sizes[] = {2, 4, 8};
    if (argc < 2) {
        fprintf(stderr, "usage: fleet_limits URI\n");
        return 2;
    }
    uri = argv[1];
    shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED)
        return 99;
    printf("| hosts | burst: TA_OK of a budget of 100 | overshoot | unused (bound (H-1) x chunk) | steady at 50%%: refused "
           "| steady at 150%%: TA_OK | an exact bucket allows | overshoot (bound H x chunk) | false 429s |\n"
           "|---|---|---|---|---|---|---|---|---|\n");
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int hosts = sizes[k];
        long chunk = 100 / (4 * hosts) > 0 ? 100 / (4 * hosts) : 1;
        char *secret = create_token(100, 3600000);
        struct tally burst = fleet(hosts, secret, 100, 0);
        long overshoot = burst.ok > 100 ? burst.ok - 100 : 0, unused = burst.ok < 100 ? 100 - burst.ok : 0;
        CHECK_INT(overshoot, 0);
        CHECK(unused <= (hosts - 1) * chunk);
        ta_free(secret);

        /* Steady: 200/s; half of it (2 s), then one and a half times it (2 s), on a fresh token each. */
        long chunk_fast = 200 / (4 * hosts) > 0 ? 200 / (4 * hosts) : 1;
        secret = create_token(200, 1000);
        struct tally calm = fleet(hosts, secret, 200 / hosts, 100.0 / hosts);
        CHECK_INT(calm.refused, 0);
        ta_free(secret);
        secret = create_token(200, 1000);
        struct tally busy = fleet(hosts, secret, 600 / hosts, 300.0 / hosts);
        double elapsed = (double)(busy.last_us - busy.first_us) / 1e6;
        long exact = 200 + (long)(200.0 * elapsed);
        long over = busy.ok > exact ? busy.ok - exact : 0;
        CHECK(over <= hosts * chunk_fast);
        ta_free(secret);
        printf("| %d | %ld | %ld | %ld (%ld) | %ld of %ld | %ld of %ld | %ld in %.2f s | %ld (%ld) | %ld |\n", hosts,
               burst.ok, overshoot, unused, (hosts - 1) * chunk, calm.refused, calm.ok + calm.refused, busy.ok,
               busy.ok + busy.refused, exact, elapsed, over, hosts * chunk_fast, busy.ok < exact ? exact - busy.ok : 0);
    }
    return finish();
}

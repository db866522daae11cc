/* One budget per token across processes: every process that opens the same database file draws a
 * token's capacity from one bucket (shared memory beside the file).
 *
 * Round 1: 4 processes each verify the same token (limit 100 per minute) 100 times, with the same
 * frozen clock: exactly 100 verifications are TA_OK in all, every other one is TA_RATE_LIMITED with
 * rate_remaining 0 and the same retry_after_ms (600 ms: one unit of 100 per minute).
 * Round 2: the same with a fresh token, while one process is SIGKILLed part way through its loop
 * (possibly in the middle of a take) and a restarted process joins: at most one unit is lost (the
 * killed process may have taken one it never reported), none is created, no bucket stays locked —
 * a new process is refused at the same frozen time and, a minute later, gets exactly 100 again.
 * Exit status 0 and a closing "N passed, N failed" line. */
#define _DEFAULT_SOURCE
#include "harness.h"

#include <errno.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#define WORKERS 4
#define TRIES 100
#define LIMIT 100
#define WINDOW_MS 60000
#define FROZEN 1700000000000LL

static const char *path;

/* Verifies `secret` `tries` times at the frozen clock `at`, writing one byte per verdict to `out`:
   'O' for TA_OK, 'L' for TA_RATE_LIMITED with the expected fields, 'X' for anything else. */
static int worker(const char *secret, int tries, int64_t at, int start, int out)
{
    ta_store *s = th_open(path, NULL);
    char go;
    int i;
    ta_set_clock(s, at);
    if (start >= 0 && read(start, &go, 1) != 1)
        return 98;
    for (i = 0; i < tries; i++) {
        ta_verdict v;
        ta_status st = ta_verify(s, secret, "tickets:read", &v);
        char mark = 'X';
        if (st == TA_OK)
            mark = 'O';
        else if (st == TA_RATE_LIMITED && v.rate_remaining == 0 && v.retry_after_ms == WINDOW_MS / LIMIT)
            mark = 'L';
        if (write(out, &mark, 1) != 1)
            return 97;
    }
    ta_close(s);
    return 0;
}

static pid_t spawn(const char *secret, int tries, int64_t at, int start, int out)
{
    pid_t pid;
    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(99);
    }
    if (pid == 0) {
        th_dir[0] = '\0'; /* the parent removes the directory */
        exit(worker(secret, tries, at, start, out));
    }
    return pid;
}

/* Reads verdict marks until every writer has closed `in`; counts them. `stop_after` > 0: kill
   `victim` once it has reported that many (its marks come first on `victim_in`). */
struct tally {
    int ok, limited, other;
};

static void count(struct tally *t, char mark)
{
    if (mark == 'O')
        t->ok++;
    else if (mark == 'L')
        t->limited++;
    else
        t->other++;
}

static void drain(int in, struct tally *t)
{
    char buf[256];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) != 0) {
        ssize_t i;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        for (i = 0; i < n; i++)
            count(t, buf[i]);
    }
}

static int reap(pid_t pid)
{
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

/* A new limited token, made through a handle that is closed again before any worker is forked (a
   process forked while a store is open cannot use the library). */
static char *create_token(void)
{
    ta_store *admin = th_open(path, NULL);
    ta_token_spec spec;
    char *secret = NULL;
    spec = th_spec("limited", TA_KIND_SERVICE, "tickets:read");
    spec.rate_limit = LIMIT;
    spec.rate_window_ms = WINDOW_MS;
    CHECK_STATUS(ta_token_create(admin, NULL, &spec, &secret, NULL), TA_OK);
    ta_close(admin);
    return secret;
}

static void round_exact(void)
{
    char *secret = create_token();
    int marks[2], start[2], i;
    pid_t pids[WORKERS];
    struct tally t = {0, 0, 0};
    if (pipe(marks) != 0 || pipe(start) != 0)
        exit(99);
    for (i = 0; i < WORKERS; i++)
        pids[i] = spawn(secret, TRIES, FROZEN, start[0], marks[1]);
    close(marks[1]);
    close(start[0]);
    for (i = 0; i < WORKERS; i++) /* all at once */
        if (write(start[1], "g", 1) != 1)
            exit(99);
    close(start[1]);
    drain(marks[0], &t);
    close(marks[0]);
    for (i = 0; i < WORKERS; i++)
        CHECK_INT(reap(pids[i]), 0);
    CHECK_INT(t.ok, LIMIT);
    CHECK_INT(t.limited, WORKERS * TRIES - LIMIT);
    CHECK_INT(t.other, 0);
    printf("round 1: %d processes x %d verifications, frozen clock: %d TA_OK, %d TA_RATE_LIMITED "
           "(retry_after_ms %d), %d other\n", WORKERS, TRIES, t.ok, t.limited, WINDOW_MS / LIMIT, t.other);
    ta_free(secret);
}

static void round_killed(void)
{
    char *secret = create_token();
    int victim[2], others[2], i, seen = 0;
    pid_t doomed, pids[WORKERS];
    struct tally t = {0, 0, 0}, late = {0, 0, 0};
    char mark;
    ta_verdict v;
    ta_store *fresh;
    if (pipe(victim) != 0 || pipe(others) != 0)
        exit(99);
    /* The victim verifies without end; the others, TRIES times each, start with it. */
    doomed = spawn(secret, 1 << 30, FROZEN, -1, victim[1]);
    close(victim[1]);
    for (i = 1; i < WORKERS; i++)
        pids[i] = spawn(secret, TRIES, FROZEN, -1, others[1]);
    while (seen < 30 && read(victim[0], &mark, 1) == 1) {
        count(&t, mark);
        seen++;
    }
    kill(doomed, SIGKILL); /* wherever it is: perhaps between its load and its swap */
    CHECK(WIFSIGNALED(reap(doomed)));
    drain(victim[0], &t); /* what it wrote before it died */
    close(victim[0]);
    /* A restarted process joins. */
    pids[0] = spawn(secret, TRIES, FROZEN, -1, others[1]);
    close(others[1]);
    drain(others[0], &t);
    close(others[0]);
    for (i = 0; i < WORKERS; i++)
        CHECK_INT(reap(pids[i]), 0);
    CHECK(t.ok == LIMIT || t.ok == LIMIT - 1);
    CHECK_INT(t.other, 0);
    printf("round 2: one process SIGKILLed after %d verifications, a new one joined: %d TA_OK "
           "(%d units unaccounted: the kill's), %d TA_RATE_LIMITED, %d other\n",
           seen, t.ok, LIMIT - t.ok, t.limited, t.other);

    /* Nothing locked, nothing created: refused at the same time, exactly LIMIT a window later. */
    fresh = th_open(path, NULL);
    ta_set_clock(fresh, FROZEN);
    CHECK_STATUS(ta_verify(fresh, secret, "tickets:read", &v), TA_RATE_LIMITED);
    ta_set_clock(fresh, FROZEN + WINDOW_MS);
    for (i = 0; i < LIMIT + 5; i++)
        count(&late, ta_verify(fresh, secret, "tickets:read", &v) == TA_OK ? 'O' : 'L');
    CHECK_INT(late.ok, LIMIT);
    printf("round 2: a minute later, a new process gets %d TA_OK of %d\n", late.ok, LIMIT + 5);
    ta_close(fresh);
    ta_free(secret);
}

int main(int argc, char **argv)
{
    ta_store *admin;
    char *info = NULL;
    path = argc > 1 ? argv[1] : th_db_path("limits.db");
    signal(SIGPIPE, SIG_IGN);
    admin = th_open(path, NULL);
    CHECK_STATUS(ta_rate_limit_info(admin, &info), TA_OK);
    CHECK(info && strstr(info, "\"policy\":\"host\""));
    printf("ta_rate_limit_info: %s\n", info ? info : "(null)");
    ta_free(info);
    ta_close(admin);
    round_exact();
    round_killed();
    return finish();
}

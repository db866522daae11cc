/* Processes that open one store at once, and processes forked from one that has a handle open.
 *
 * Round 1: for each of ROUNDS new database files, OPENERS processes (forked before touching the
 * library) each ta_open the file at the same moment, as the workers of a gateway do on its first
 * start: every open succeeds, each process creates a token and verifies it, and the file then lists
 * every one of them.
 * Round 2: a process with a handle open, whose background thread is busy writing usage (flushed
 * every millisecond while its main thread verifies), forks CHILDREN times. Each child is refused
 * at once: opening any store (the parent's file or another) and every call on the inherited
 * handle answer TA_STORAGE_ERROR with the reason, and closing the inherited handle returns.
 * Round 3: a process that closes its handle before each fork: every child opens the same file,
 * verifies and closes. A child that has not finished within CHILD_SECONDS is killed (SIGALRM)
 * and counted as hung: a lock that one of the parent's threads held at the fork would stay locked
 * in the child. Exit status 0 and a closing "N passed, N failed" line. */
#define _DEFAULT_SOURCE
#include "harness.h"

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#define ROUNDS 12
#define OPENERS 6
#define CHILDREN 150
#define CHILD_SECONDS 10

static int reap(pid_t pid)
{
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

static pid_t fork_or_exit(void)
{
    pid_t pid;
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(99);
    }
    if (pid == 0)
        th_dir[0] = '\0'; /* the parent removes the directory */
    return pid;
}

/* A child's work: open `path`, create a token (round 1: each opener makes one) or verify
   `secret`, close. Exit status 0 when every step answered TA_OK; the step's status otherwise. */
static int open_and_use(const char *path, const char *secret)
{
    ta_store *store = NULL;
    ta_status st = ta_open(path, NULL, &store);
    ta_verdict v;
    if (st != TA_OK) {
        fprintf(stderr, "pid %d: ta_open: %s (%s)\n", (int)getpid(), ta_status_name(st), ta_last_error());
        return 10 + (int)st;
    }
    if (secret) {
        st = ta_verify(store, secret, "tickets:read", &v);
    } else {
        ta_token_spec spec = th_spec("opener", TA_KIND_SERVICE, "tickets:read");
        char *created = NULL;
        st = ta_token_create(store, NULL, &spec, &created, NULL);
        if (st == TA_OK)
            st = ta_verify(store, created, "tickets:read", &v);
        ta_free(created);
    }
    if (st != TA_OK)
        fprintf(stderr, "pid %d: %s (%s)\n", (int)getpid(), ta_status_name(st), ta_last_error());
    ta_close(store);
    return st == TA_OK ? 0 : 10 + (int)st;
}

static void round_simultaneous_first_open(void)
{
    int round, i, failed = 0;
    for (round = 0; round < ROUNDS; round++) {
        char name[32];
        const char *path;
        int start[2];
        pid_t pids[OPENERS];
        ta_store *store;
        char *json = NULL;
        snprintf(name, sizeof name, "first-open-%d.db", round);
        path = th_db_path(name);
        if (pipe(start) != 0)
            exit(99);
        for (i = 0; i < OPENERS; i++) {
            pids[i] = fork_or_exit();
            if (pids[i] == 0) {
                char go;
                close(start[1]);
                if (read(start[0], &go, 1) != 1)
                    _exit(98);
                _exit(open_and_use(path, NULL));
            }
        }
        close(start[0]);
        for (i = 0; i < OPENERS; i++) /* all at once */
            if (write(start[1], "g", 1) != 1)
                exit(99);
        close(start[1]);
        for (i = 0; i < OPENERS; i++)
            if (reap(pids[i]) != 0)
                failed++;
        store = th_open(path, NULL);
        CHECK_STATUS(ta_token_list(store, NULL, NULL, &json), TA_OK);
        CHECK_INT(json_array_len(json), OPENERS);
        ta_free(json);
        ta_close(store);
    }
    CHECK_INT(failed, 0);
    printf("round 1: %d new files, each opened by %d processes at once: %d opens failed\n", ROUNDS, OPENERS,
           failed);
}

/* In a child forked while `inherited` was open: nothing may be opened or used, and closing the
   parent's handle returns at once. Exit status 0 when every answer was the refusal expected. */
static int refuse_after_fork(const char *path, ta_store *inherited, const char *secret)
{
    ta_store *store = NULL;
    ta_verdict v;
    char *json = NULL;
    int wrong = 0;
    if (ta_open(path, NULL, &store) != TA_STORAGE_ERROR || store || !strstr(ta_last_error(), "forked"))
        wrong |= 1;
    if (ta_open(":memory:", NULL, &store) != TA_STORAGE_ERROR || store)
        wrong |= 2;
    if (ta_verify(inherited, secret, "tickets:read", &v) != TA_STORAGE_ERROR)
        wrong |= 4;
    if (ta_token_list(inherited, NULL, NULL, &json) != TA_STORAGE_ERROR || json
        || !strstr(ta_last_error(), "before it forked this process"))
        wrong |= 8;
    ta_close(inherited); /* abandoned: no thread to join, no connection of the parent's touched */
    if (wrong)
        fprintf(stderr, "pid %d: wrong answers after fork (mask %d): %s\n", (int)getpid(), wrong, ta_last_error());
    return wrong;
}

/* Forks `children` times, each child running `child` (killed and counted as hung after
   CHILD_SECONDS); `between` runs in the parent before each fork. */
static void fork_children(const char *what, int children, void (*between)(void), int (*child)(void))
{
    int i, hung = 0, failed = 0;
    for (i = 0; i < children; i++) {
        pid_t pid;
        int status;
        between();
        pid = fork_or_exit();
        if (pid == 0) {
            alarm(CHILD_SECONDS);
            _exit(child());
        }
        status = reap(pid);
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
            hung++;
        else if (status != 0)
            failed++;
    }
    CHECK_INT(hung, 0);
    CHECK_INT(failed, 0);
    printf("%s: %d children: %d hung, %d failed\n", what, children, hung, failed);
}

static const char *fork_path;
static ta_store *parent_store;
static char *fork_secret;

/* The parent's handle stays open; its flush thread has usage to write (flushed every ms). */
static void verify_in_parent(void)
{
    ta_verdict v;
    int k;
    for (k = 0; k < 50; k++)
        ta_verify(parent_store, fork_secret, "tickets:read", &v);
}

static int child_with_parent_store(void)
{
    return refuse_after_fork(fork_path, parent_store, fork_secret);
}

/* The parent opens a handle, uses it and closes it before each fork. */
static void open_use_close_in_parent(void)
{
    ta_config config;
    memset(&config, 0, sizeof config);
    config.usage_flush_ms = 1;
    parent_store = th_open(fork_path, &config);
    verify_in_parent();
    ta_close(parent_store);
    parent_store = NULL;
}

static int child_of_closed_store(void)
{
    return open_and_use(fork_path, fork_secret);
}

static void round_fork(void)
{
    ta_config config;
    ta_token_spec spec;
    fork_path = th_db_path("forks.db");
    memset(&config, 0, sizeof config);
    config.usage_flush_ms = 1;
    parent_store = th_open(fork_path, &config);
    spec = th_spec("forked", TA_KIND_SERVICE, "tickets:read");
    CHECK_STATUS(ta_token_create(parent_store, NULL, &spec, &fork_secret, NULL), TA_OK);
    fork_children("round 2: forked while a store was open (its flush thread busy), each child refused",
                  CHILDREN, verify_in_parent, child_with_parent_store);
    ta_close(parent_store);
    fork_children("round 3: forked after the parent closed its store, each child opened its own",
                  CHILDREN / 3, open_use_close_in_parent, child_of_closed_store);
    ta_free(fork_secret);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    round_simultaneous_first_open();
    round_fork();
    return finish();
}

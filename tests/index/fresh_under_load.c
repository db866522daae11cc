/*
 * The verification index is never stale, across processes, under concurrent verification.
 *
 * The parent process keeps two threads verifying a set of tokens as fast as they can (so every
 * token sits in its index). A child process (forked while no store was open) — another ta_store on
 * the same file — then, token by token, makes each one fail (revoke, deactivate, delete,
 * deactivate or downgrade its owner) and reports each change over a pipe only after the call returned. The parent marks the token as
 * changed when the report arrives; from then on, a verification that *starts* after the mark must
 * not be TA_OK. Any such OK is a stale answer and fails the test.
 *
 * Output ends with the closing line "N passed, N failed".
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tokenauth.h"

#define TOKENS 60
#define THREADS 2

enum change { REVOKE, DEACTIVATE, DELETE, OWNER_DEACTIVATED, OWNER_DOWNGRADED, CHANGES };

static const char *change_names[CHANGES] = {"revoke", "deactivate", "delete", "owner deactivated", "owner downgraded"};
static char *secrets[TOKENS];
static char *ids[TOKENS];
static char owners[TOKENS][32];
static atomic_int changed[TOKENS];
static atomic_int stop;
static atomic_long verifications, stale, after_change;
static ta_store *store;

static void *verify_loop(void *arg) {
    unsigned seed = (unsigned)(size_t)arg;
    ta_verdict verdict;
    while (!atomic_load(&stop)) {
        int i = (int)(rand_r(&seed) % TOKENS);
        int was_changed = atomic_load(&changed[i]); /* read before the verification starts */
        ta_status status = ta_verify(store, secrets[i], "tickets:read", &verdict);
        atomic_fetch_add(&verifications, 1);
        if (was_changed) {
            atomic_fetch_add(&after_change, 1);
            if (status == TA_OK) {
                atomic_fetch_add(&stale, 1);
                fprintf(stderr, "stale OK for token %d after %s\n", i, change_names[i % CHANGES]);
            }
        }
    }
    return NULL;
}

static int child(const char *path, int report) {
    ta_store *writer = NULL;
    if (ta_open(path, NULL, &writer) != TA_OK) return 2;
    for (int i = 0; i < TOKENS; i++) {
        usleep(2000); /* let the verifiers run between changes */
        ta_status status = TA_OK;
        switch (i % CHANGES) {
        case REVOKE: status = ta_token_revoke(writer, NULL, ids[i]); break;
        case DEACTIVATE: status = ta_token_set_active(writer, NULL, ids[i], false); break;
        case DELETE: status = ta_token_delete(writer, NULL, ids[i]); break;
        case OWNER_DEACTIVATED: status = ta_member_set_active(writer, owners[i], false); break;
        case OWNER_DOWNGRADED: status = ta_member_put(writer, owners[i], "ManagePersonalAccessTokens"); break;
        }
        if (status != TA_OK) { fprintf(stderr, "child: change %d failed: %s\n", i, ta_last_error()); return 3; }
        if (write(report, &i, sizeof i) != (ssize_t)sizeof i) return 4;
    }
    ta_close(writer);
    return 0;
}

int main(void) {
    char path[] = "/tmp/tokenauth-fresh-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 2;
    close(fd);
    unlink(path);
    if (ta_open(path, NULL, &store) != TA_OK) { fprintf(stderr, "open: %s\n", ta_last_error()); return 2; }
    for (int i = 0; i < TOKENS; i++) {
        snprintf(owners[i], sizeof owners[i], "member-%d", i);
        if (ta_member_put(store, owners[i], "tickets:read ManagePersonalAccessTokens") != TA_OK) return 2;
        ta_token_spec spec = {"fresh", TA_KIND_PERSONAL, "tickets:read", 0, 0, 0};
        if (i % CHANGES < OWNER_DEACTIVATED) spec.kind = TA_KIND_SERVICE;
        const char *actor = spec.kind == TA_KIND_PERSONAL ? owners[i] : NULL;
        if (ta_token_create(store, actor, &spec, &secrets[i], &ids[i]) != TA_OK) {
            fprintf(stderr, "create: %s\n", ta_last_error());
            return 2;
        }
    }
    /* A process forked while a store is open cannot use the library: the child is forked with
       none open, and waits for the parent's verifiers to fill their index. */
    ta_close(store);
    int pipe_fds[2], go[2];
    if (pipe(pipe_fds) != 0 || pipe(go) != 0) return 2;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        char byte;
        close(pipe_fds[0]);
        close(go[1]);
        if (read(go[0], &byte, 1) != 1) _exit(5);
        _exit(child(path, pipe_fds[1]));
    }
    close(pipe_fds[1]);
    close(go[0]);
    if (ta_open(path, NULL, &store) != TA_OK) { fprintf(stderr, "reopen: %s\n", ta_last_error()); return 2; }
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) pthread_create(&threads[t], NULL, verify_loop, (void *)(size_t)(t + 1));
    usleep(20000); /* every token is in the index by now */
    if (write(go[1], "g", 1) != 1) return 2;
    close(go[1]);
    int i, reported = 0;
    while (read(pipe_fds[0], &i, sizeof i) == (ssize_t)sizeof i) {
        if (i >= 0 && i < TOKENS) atomic_store(&changed[i], 1);
        reported++;
    }
    usleep(20000);
    atomic_store(&stop, 1);
    for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
    int child_status = 0;
    waitpid(pid, &child_status, 0);

    int failed = 0;
    ta_verdict verdict;
    for (int k = 0; k < TOKENS; k++) /* and all of them fail now */
        if (ta_verify(store, secrets[k], "tickets:read", &verdict) == TA_OK) failed++;
    printf("verifications: %ld, after a reported change: %ld, stale OKs: %ld, changes reported: %d/%d\n",
           atomic_load(&verifications), atomic_load(&after_change), atomic_load(&stale), reported, TOKENS);
    int passed = 0;
    int checks[] = {WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0, reported == TOKENS,
                    atomic_load(&stale) == 0, failed == 0, atomic_load(&after_change) > 0};
    for (size_t c = 0; c < sizeof checks / sizeof checks[0]; c++) {
        if (checks[c]) passed++; else fprintf(stderr, "check %zu failed\n", c);
    }
    for (int k = 0; k < TOKENS; k++) { ta_free(secrets[k]); ta_free(ids[k]); }
    ta_close(store);
    unlink(path);
    char side[64];
    snprintf(side, sizeof side, "%s-wal", path); unlink(side);
    snprintf(side, sizeof side, "%s-shm", path); unlink(side);
    printf("%d passed, %d failed\n", passed, (int)(sizeof checks / sizeof checks[0]) - passed);
    return passed == (int)(sizeof checks / sizeof checks[0]) ? 0 : 1;
}

/*
 * SQLite alone (no libtokenauth): why a writer can wait the whole busy_timeout.
 *
 * Two processes write back-to-back on one WAL file (BEGIN IMMEDIATE; INSERT; COMMIT with
 * synchronous=FULL) for REL_SECONDS (default 20) seconds, first with sqlite3_busy_timeout(5000),
 * then with a busy handler that polls every millisecond for at most 5000 ms. Each process prints how
 * many commits it made, how often BEGIN IMMEDIATE failed with SQLITE_BUSY, and its longest wait.
 *
 * SQLite's default handler backs off to 100 ms sleeps, so a waiting process almost never finds the
 * lock free while the other re-takes it a few microseconds after each commit. On the build machine
 * (two runs): default handler, longest waits 5009–5023 ms, 1–2 SQLITE_BUSY per process; 1 ms
 * polling, longest waits 189–613 ms and no SQLITE_BUSY (docs/RELIABILITY.md). Not part of
 * `make test`; `make rel-sqlite-busy` runs it.
 */
#include "rel.h"

#include <sqlite3.h>
#include <sys/wait.h>

static int poll_every_ms(void *arg, int attempts)
{
    int64_t *deadline = arg;
    (void)attempts;
    if (rel_now_ms() >= *deadline)
        return 0;
    rel_sleep_ms(1);
    return 1;
}

static void writer(const char *path, int custom, long seconds)
{
    sqlite3 *db = NULL;
    int64_t deadline = 0, end, worst = 0;
    long commits = 0, busy = 0;
    REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
    if (custom)
        sqlite3_busy_handler(db, poll_every_ms, &deadline);
    else
        sqlite3_busy_timeout(db, 5000);
    sqlite3_exec(db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    end = rel_now_ms() + seconds * 1000;
    while (rel_now_ms() < end) {
        int64_t t0 = rel_now_ms();
        deadline = t0 + 5000;
        int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        int64_t waited = rel_now_ms() - t0;
        if (waited > worst)
            worst = waited;
        if (rc != SQLITE_OK) {
            busy++;
            continue;
        }
        sqlite3_exec(db, "INSERT INTO t(x) VALUES(randomblob(200))", NULL, NULL, NULL);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        commits++;
    }
    printf("    %-28s pid %d: %ld commits, %ld SQLITE_BUSY, longest wait for the write lock %lld ms\n",
           custom ? "1 ms polling handler," : "sqlite3_busy_timeout(5000),", (int)getpid(), commits, busy,
           (long long)worst);
    fflush(stdout);
    sqlite3_close(db);
}

int main(void)
{
    long seconds = rel_env_long("REL_SECONDS", 20);
    const char *path = rel_path("busy.db");
    for (int custom = 0; custom < 2; custom++) {
        sqlite3 *db = NULL;
        char wal[300], shm[300];
        snprintf(wal, sizeof wal, "%s-wal", path);
        snprintf(shm, sizeof shm, "%s-shm", path);
        remove(path);
        remove(wal);
        remove(shm);
        REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE t(x)", NULL, NULL, NULL) == SQLITE_OK);
        sqlite3_close(db);
        for (int p = 0; p < 2; p++) {
            pid_t pid = fork();
            REQUIRE(pid >= 0);
            if (pid == 0) {
                writer(path, custom, seconds);
                _exit(0);
            }
        }
        while (wait(NULL) > 0) {
        }
    }
    return 0;
}

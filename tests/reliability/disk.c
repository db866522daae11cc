/*
 * Disk trouble: read-only database file and directory, a full disk, a file size limit, corrupted
 * and foreign files. Every call either answers correctly or returns TA_STORAGE_ERROR with a clear
 * ta_last_error(); nothing crashes; a failed write leaves nothing behind; once the trouble is gone
 * the database is intact (PRAGMA integrity_check "ok", every acknowledged change present, every
 * failed one absent, usage counted while the disk was full not lost).
 *
 *   A  read-only file       (root: the checks run as "nobody", since root ignores permissions)
 *   B  read-only directory  (existing database, and a new one)
 *   C  full disk            a 2 MiB tmpfs in a private mount namespace, filled to the last byte
 *                           (skipped with a note when mounting is not allowed)
 *   D  file size limit      RLIMIT_FSIZE just above the database's size, SIGXFSZ ignored
 *   E  corruption           random bytes; a truncated file; every page of a database overwritten
 *                           in turn with random bytes (each probe in its own process); another
 *                           application's SQLite file; a garbage -wal file
 * REL_QUICK=1 probes every fourth page only (used for the AddressSanitizer build).
 */
#include "rel.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define MAXF 600

typedef struct {
    int n;
    char secret[MAXF][64];
    char id[MAXF][TA_ID_MAX];
    ta_status want[MAXF];
    long ok[MAXF];   /* TA_OK verifications counted (for exact usage after trouble) */
    long uses[MAXF]; /* use_count expected before this run */
} fixture_t;

static bool quick;

/* ---------------------------------------------------------------- helpers */

static bool message_has(const char *any[], int n)
{
    const char *e = ta_last_error();
    for (int i = 0; i < n; i++)
        if (strstr(e, any[i]))
            return true;
    return false;
}

static const char *MSG_RO[] = {"read-only", "cannot be opened", "cannot open", "unable to open"};
static const char *MSG_FULL[] = {"full", "I/O error"};
static const char *MSG_CORRUPT[] = {"corrupt", "not a database", "malformed"};
/* The hot path reports storage failures with one static text (no allocation): accepted there. */
static const char *MSG_VERIFY[] = {"the database could not be read"};

/* Adds an issued token to the fixture (expected to verify OK, no verification counted yet), frees the
   library's strings, and returns its index. */
static int keep_issued(fixture_t *f, char *secret, char *id)
{
    int i = f->n++;
    snprintf(f->secret[i], sizeof f->secret[i], "%s", secret);
    snprintf(f->id[i], sizeof f->id[i], "%s", id);
    f->want[i] = TA_OK;
    f->ok[i] = 0;
    ta_free(secret);
    ta_free(id);
    return i;
}

static int add_token(ta_store *s, fixture_t *f, bool personal)
{
    ta_token_spec spec = {"disk", personal ? TA_KIND_PERSONAL : TA_KIND_SERVICE, "tickets:read users:write", 0, 0, 0};
    char *secret = NULL, *id = NULL;
    ta_status st = ta_token_create(s, personal ? "alice" : NULL, &spec, &secret, &id);
    if (st != TA_OK)
        return -(int)st;
    return keep_issued(f, secret, id);
}

/* A database with n tokens, every third one revoked. */
static void make_db(const char *path, fixture_t *f, int n)
{
    ta_store *s = rel_open(path, NULL);
    memset(f, 0, sizeof *f);
    REQUIRE(ta_member_put(s, "alice", "tickets:read users:write ManagePersonalAccessTokens") == TA_OK);
    for (int k = 0; k < n; k++) {
        int i = add_token(s, f, k % 2);
        REQUIRE(i >= 0);
        if (k % 3 == 2) {
            REQUIRE(ta_token_revoke(s, NULL, f->id[i]) == TA_OK);
            f->want[i] = TA_REVOKED;
        }
    }
    ta_close(s);
}

static bool integrity_ok(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    bool ok = false;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(q, 0);
        ok = r && strcmp(r, "ok") == 0;
        if (!ok)
            fprintf(stderr, "disk: integrity_check of %s: %s\n", path, r ? r : "(null)");
    } else {
        fprintf(stderr, "disk: cannot run integrity_check on %s: %s\n", path, db ? sqlite3_errmsg(db) : "?");
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return ok;
}

/* The database is intact and holds exactly the fixture: integrity, every token's state, the
   number of tokens, and (if check_uses) every token's use_count. */
static bool intact(const char *path, fixture_t *f, bool check_uses)
{
    bool ok = integrity_ok(path);
    ta_store *s = NULL;
    ta_status st = ta_open(path, NULL, &s);
    if (st != TA_OK) {
        fprintf(stderr, "disk: reopening %s: %s (%s)\n", path, ta_status_name(st), ta_last_error());
        return false;
    }
    for (int i = 0; i < f->n; i++) {
        char *json = NULL;
        if (check_uses) {
            if (ta_token_get(s, NULL, f->id[i], &json) != TA_OK || rel_json_int(json, "use_count", -1) != f->uses[i] + f->ok[i]) {
                fprintf(stderr, "disk: %s: use_count %lld, expected %ld\n", f->id[i], rel_json_int(json ? json : "{}", "use_count", -1),
                        f->uses[i] + f->ok[i]);
                ok = false;
            }
            ta_free(json);
        }
        st = ta_verify(s, f->secret[i], NULL, NULL);
        if (st != f->want[i]) {
            fprintf(stderr, "disk: %s verifies %s, expected %s\n", f->id[i], ta_status_name(st), ta_status_name(f->want[i]));
            ok = false;
        }
        if (check_uses && st == TA_OK)
            f->uses[i]++; /* this verification counts too, from now on */
    }
    char *json = NULL;
    st = ta_token_list(s, NULL, NULL, &json);
    int count = st == TA_OK ? rel_json_each(json, NULL, NULL) : -1;
    if (count != f->n) {
        fprintf(stderr, "disk: %s lists %d tokens, expected %d (%s)\n", path, count, f->n, ta_status_name(st));
        ok = false;
    }
    ta_free(json);
    ta_close(s);
    if (check_uses)
        for (int i = 0; i < f->n; i++) {
            f->uses[i] += f->ok[i];
            f->ok[i] = 0;
        }
    return ok;
}

/* Runs fn in a child process, as "nobody" when we are root; returns its exit status (-1: crashed). */
static int in_child(int (*fn)(void *), void *arg, bool as_nobody)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (as_nobody && geteuid() == 0) {
            if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) {
                perror("disk: dropping privileges");
                _exit(97);
            }
        }
        int rc = fn(arg);
        fflush(stdout);
        _exit(rc);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "disk: child process killed by signal %d\n", WTERMSIG(status));
        return -1;
    }
    return WEXITSTATUS(status);
}

/* ---------------------------------------------------------------- A, B: read-only */

struct ro_case {
    const char *path;
    fixture_t *f;
    const char *label;
};

/* In the child: the database cannot be written. ta_open may refuse (TA_STORAGE_ERROR) or open it
   for reading; every write must then fail with TA_STORAGE_ERROR and change nothing. */
static int ro_probe(void *arg)
{
    struct ro_case *c = arg;
    ta_store *s = NULL;
    ta_status st = ta_open(c->path, NULL, &s);
    if (st == TA_STORAGE_ERROR) {
        CHECK(message_has(MSG_RO, 4));
        rel_note("%s: ta_open -> TA_STORAGE_ERROR \"%s\"", c->label, ta_last_error());
        CHECK(s == NULL);
        return rel_failed ? 1 : 0;
    }
    CHECK_STATUS(st, TA_OK);
    if (st != TA_OK)
        return 1;
    int live = -1;
    for (int i = 0; i < c->f->n; i++) {
        ta_status v = ta_verify(s, c->f->secret[i], NULL, NULL);
        CHECK(v == c->f->want[i] || v == TA_STORAGE_ERROR);
        if (c->f->want[i] == TA_OK && live < 0)
            live = i;
    }
    ta_token_spec spec = {"ro", TA_KIND_SERVICE, "tickets:read", 0, 0, 0};
    char *secret = (char *)1, *id = (char *)1;
    CHECK_STATUS(ta_token_create(s, NULL, &spec, &secret, &id), TA_STORAGE_ERROR);
    CHECK(message_has(MSG_RO, 4));
    rel_note("%s: ta_open -> TA_OK (reads work); ta_token_create -> TA_STORAGE_ERROR \"%s\"", c->label, ta_last_error());
    CHECK(secret == NULL && id == NULL);
    CHECK_STATUS(ta_token_revoke(s, NULL, c->f->id[live]), TA_STORAGE_ERROR);
    CHECK_STATUS(ta_member_put(s, "carol", "tickets:read"), TA_STORAGE_ERROR);
    CHECK_STATUS(ta_verify(s, c->f->secret[live], NULL, NULL), TA_OK);
    ta_status fl = ta_flush(s);
    CHECK(fl == TA_OK || fl == TA_STORAGE_ERROR);
    ta_close(s);
    return rel_failed ? 1 : 0;
}

static void test_read_only(void)
{
    static fixture_t f;
    char dir[256], path[300];
    /* A: the file */
    snprintf(dir, sizeof dir, "%s", rel_path("ro-file"));
    REQUIRE(mkdir(dir, 0777) == 0 && chmod(dir, 0777) == 0);
    snprintf(path, sizeof path, "%s/t.db", dir);
    make_db(path, &f, 30);
    REQUIRE(chmod(path, 0444) == 0);
    struct ro_case a = {path, &f, "A read-only file"};
    CHECK(in_child(ro_probe, &a, true) == 0);
    REQUIRE(chmod(path, 0644) == 0);
    CHECK(intact(path, &f, false));

    /* B: the directory (the database was closed cleanly: no -wal, no -shm) */
    snprintf(dir, sizeof dir, "%s", rel_path("ro-dir"));
    REQUIRE(mkdir(dir, 0755) == 0);
    snprintf(path, sizeof path, "%s/t.db", dir);
    make_db(path, &f, 30);
    REQUIRE(chmod(path, 0666) == 0);
    REQUIRE(chmod(dir, 0555) == 0);
    struct ro_case b = {path, &f, "B read-only directory, existing database"};
    CHECK(in_child(ro_probe, &b, true) == 0);
    char fresh[300];
    snprintf(fresh, sizeof fresh, "%s/new.db", dir);
    struct ro_case b2 = {fresh, &f, "B read-only directory, new database"};
    CHECK(in_child(ro_probe, &b2, true) == 0);
    REQUIRE(chmod(dir, 0755) == 0);
    CHECK(access(fresh, F_OK) != 0); /* nothing half-created */
    CHECK(intact(path, &f, false));

    /* a directory that does not exist */
    ta_store *s = (ta_store *)1;
    CHECK_STATUS(ta_open("/nonexistent-dir/x/t.db", NULL, &s), TA_STORAGE_ERROR);
    CHECK(s == NULL && ta_last_error()[0] != '\0');
}

/* ---------------------------------------------------------------- C, D: no space */

struct full_case {
    const char *path;
    const char *label;
    bool (*make_full)(const char *dir); /* returns false if the trouble cannot be made */
    void (*space_back)(const char *dir);
    const char *dir;
};

/* The work while there is no space: every call answers correctly or TA_STORAGE_ERROR; the
   fixture tracks exactly what was acknowledged. */
static int full_work(void *arg)
{
    struct full_case *c = arg;
    static fixture_t f;
    make_db(c->path, &f, 20);
    for (int i = 0; i < f.n; i++)
        f.uses[i] = 0;
    ta_config cfg = {NULL, 0, 0, 50, 0};
    ta_store *s = rel_open(c->path, &cfg);
    /* warm up: verify everything once (usage that must survive) */
    for (int i = 0; i < f.n; i++)
        if (ta_verify(s, f.secret[i], NULL, NULL) == TA_OK)
            f.ok[i]++;
    if (!c->make_full(c->dir)) {
        rel_note("%s: SKIPPED (the trouble cannot be made here)", c->label);
        ta_close(s);
        return 0;
    }
    long storage_errors = 0, oks = 0, wrong = 0, unclear = 0;
    uint64_t rng = 5;
    char first_msg[200] = "";
    for (int k = 0; k < 300; k++) {
        unsigned r = rel_below(&rng, 5);
        ta_status st;
        int live = -1;
        for (int t = 0; t < 20; t++) {
            int i = (int)rel_below(&rng, (unsigned)f.n);
            if (f.want[i] == TA_OK) {
                live = i;
                break;
            }
        }
        if (r == 0 && f.n < MAXF) {
            char *secret = (char *)1, *id = (char *)1;
            ta_token_spec spec = {"full", TA_KIND_SERVICE, "tickets:read", 0, 0, 0};
            st = ta_token_create(s, NULL, &spec, &secret, &id);
            if (st == TA_OK) {
                keep_issued(&f, secret, id);
            } else if (secret || id) {
                wrong++;
            }
        } else if (r == 1 && live >= 0) {
            st = ta_token_revoke(s, NULL, f.id[live]);
            if (st == TA_OK)
                f.want[live] = TA_REVOKED;
        } else if (r == 2 && live >= 0 && f.n < MAXF) {
            char *secret = (char *)1, *id = (char *)1;
            st = ta_token_rotate(s, f.secret[live][3] == 'p' ? "alice" : NULL, f.id[live], 0, &secret, &id);
            if (st == TA_OK) {
                f.want[live] = TA_REVOKED;
                keep_issued(&f, secret, id);
            } else if (secret || id) {
                wrong++;
            }
        } else if (r == 3) {
            st = ta_flush(s);
        } else {
            /* reads keep working: verify a few */
            st = TA_OK;
            for (int t = 0; t < 5; t++) {
                int i = (int)rel_below(&rng, (unsigned)f.n);
                ta_status v = ta_verify(s, f.secret[i], NULL, NULL);
                if (v == TA_OK)
                    f.ok[i]++;
                if (v != f.want[i]) {
                    wrong++;
                    fprintf(stderr, "disk: %s: %s verifies %s while the disk is full, expected %s (%s)\n", c->label,
                            f.id[i], ta_status_name(v), ta_status_name(f.want[i]), ta_last_error());
                }
            }
        }
        if (st == TA_OK) {
            oks++;
        } else if (st == TA_STORAGE_ERROR) {
            storage_errors++;
            if (!message_has(MSG_FULL, 2))
                unclear++;
            if (!first_msg[0])
                snprintf(first_msg, sizeof first_msg, "%s", ta_last_error());
        } else {
            wrong++;
            fprintf(stderr, "disk: %s: a call returned %s (%s)\n", c->label, ta_status_name(st), ta_last_error());
        }
    }
    rel_note("%s: 300 calls without space: %ld TA_OK, %ld TA_STORAGE_ERROR (\"%s\"), %ld wrong, %ld unclear messages",
             c->label, oks, storage_errors, first_msg, wrong, unclear);
    CHECK(storage_errors > 0);
    CHECK(wrong == 0);
    CHECK(unclear == 0);

    /* space is back: everything works again, and nothing was lost or half-written */
    c->space_back(c->dir);
    for (int k = 0; k < 10; k++) {
        int i = add_token(s, &f, false);
        CHECK(i >= 0);
        if (i < 0)
            fprintf(stderr, "disk: %s: ta_token_create after space is back: %s\n", c->label, ta_last_error());
    }
    CHECK_STATUS(ta_flush(s), TA_OK);
    ta_close(s);
    CHECK(intact(c->path, &f, true));
    rel_note("%s: after space is back: integrity ok, %d tokens in the expected state, usage counted while full kept",
             c->label, f.n);
    return rel_failed ? 1 : 0;
}

static char filler[300];

static bool tmpfs_full(const char *dir)
{
    (void)dir;
    int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    char buf[4096];
    memset(buf, 'f', sizeof buf);
    if (fd < 0)
        return false;
    while (write(fd, buf, sizeof buf) > 0) {
    }
    /* the last partial block */
    while (write(fd, buf, 1) > 0) {
    }
    close(fd);
    return true;
}

static void tmpfs_space_back(const char *dir)
{
    (void)dir;
    unlink(filler);
}

static int tmpfs_case(void *arg)
{
    struct full_case *c = arg;
    /* a private mount namespace: the tmpfs disappears with this process, whatever happens */
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", c->dir, "tmpfs", 0, "size=2m,mode=0755") != 0) {
        rel_note("C full disk: SKIPPED (cannot mount a tmpfs here: %s); D covers running out of space", strerror(errno));
        return 0;
    }
    snprintf(filler, sizeof filler, "%s/filler", c->dir);
    return full_work(c);
}

static rlim_t fsize_limit;

static bool rlimit_full(const char *dir)
{
    char path[320];
    long long have = 0;
    struct rlimit rl;
    /* just above what the files take now: the WAL soon cannot grow */
    snprintf(path, sizeof path, "%s/t.db", dir);
    have = rel_file_size(path);
    snprintf(path, sizeof path, "%s/t.db-wal", dir);
    if (rel_file_size(path) > have)
        have = rel_file_size(path);
    fsize_limit = (rlim_t)have + 8192;
    getrlimit(RLIMIT_FSIZE, &rl);
    signal(SIGXFSZ, SIG_IGN);
    rl.rlim_cur = fsize_limit;
    return setrlimit(RLIMIT_FSIZE, &rl) == 0;
}

static void rlimit_space_back(const char *dir)
{
    (void)dir;
    struct rlimit rl;
    getrlimit(RLIMIT_FSIZE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_FSIZE, &rl);
}

static void test_no_space(void)
{
    char dir[256], path[300];
    snprintf(dir, sizeof dir, "%s", rel_path("tmpfs"));
    REQUIRE(mkdir(dir, 0755) == 0);
    snprintf(path, sizeof path, "%s/t.db", dir);
    struct full_case c = {path, "C full disk (2 MiB tmpfs, filled)", tmpfs_full, tmpfs_space_back, dir};
    if (geteuid() == 0)
        CHECK(in_child(tmpfs_case, &c, false) == 0);
    else
        rel_note("C full disk: SKIPPED (not root: cannot mount a tmpfs); D covers running out of space");

    snprintf(dir, sizeof dir, "%s", rel_path("fsize"));
    REQUIRE(mkdir(dir, 0755) == 0);
    snprintf(path, sizeof path, "%s/t.db", dir);
    struct full_case d = {path, "D file size limit (RLIMIT_FSIZE: the largest file + 8 KiB)", rlimit_full,
                          rlimit_space_back, dir};
    CHECK(in_child(full_work, &d, false) == 0);
}

/* ---------------------------------------------------------------- E: corruption */

struct probe {
    const char *path;
    fixture_t *f;
};

enum { P_GOOD = 0, P_WRONG = 1, P_INTERNAL = 2, P_UNCLEAR = 4, P_REVOKED_OK = 8, P_OPEN_FAILED = 16, P_STORAGE = 32 };

/* In a child: open a possibly corrupt database and use it. Exit bits: P_* above. */
static int probe_db(void *arg)
{
    struct probe *p = arg;
    int result = 0;
    ta_store *s = NULL;
    ta_status st = ta_open(p->path, NULL, &s);
    if (st != TA_OK) {
        if (st == TA_INTERNAL_ERROR)
            result |= P_INTERNAL;
        else if (st != TA_STORAGE_ERROR && st != TA_CONFLICT)
            result |= P_WRONG;
        if (st == TA_STORAGE_ERROR && !message_has(MSG_CORRUPT, 3))
            result |= P_UNCLEAR;
        if (getenv("REL_VERBOSE"))
            fprintf(stderr, "probe open: %s %s\n", ta_status_name(st), ta_last_error());
        return result | P_OPEN_FAILED;
    }
    for (int i = 0; i < p->f->n; i++) {
        ta_verdict v;
        st = ta_verify(s, p->f->secret[i], "tickets:read", &v);
        if (st == p->f->want[i])
            continue;
        if (st == TA_STORAGE_ERROR)
            result |= P_STORAGE;
        if (st == TA_OK && p->f->want[i] == TA_REVOKED)
            result |= P_REVOKED_OK;
        else if (st == TA_INTERNAL_ERROR)
            result |= P_INTERNAL;
        else if (st != TA_STORAGE_ERROR)
            result |= P_WRONG;
        else if (!message_has(MSG_CORRUPT, 3) && !message_has(MSG_VERIFY, 1))
            result |= P_UNCLEAR;
        if (getenv("REL_VERBOSE"))
            fprintf(stderr, "probe verify %d: %s %s\n", i, ta_status_name(st), ta_last_error());
    }
    char *json = NULL;
    const char *what[4] = {"list", "audit", "report", "create"};
    for (int k = 0; k < 4; k++) {
        switch (k) {
        case 0: st = ta_token_list(s, NULL, NULL, &json); break;
        case 1: st = ta_audit(s, NULL, NULL, &json); break;
        case 2: st = ta_report(s, NULL, 0, &json); break;
        default: {
            ta_token_spec spec = {"c", TA_KIND_SERVICE, "tickets:read", 0, 0, 0};
            st = ta_token_create(s, NULL, &spec, NULL, NULL);
        }
        }
        if (st == TA_OK && k < 3 && !rel_json_valid(json))
            result |= P_WRONG;
        else if (st == TA_INTERNAL_ERROR)
            result |= P_INTERNAL;
        else if (st != TA_OK && st != TA_STORAGE_ERROR)
            result |= P_WRONG;
        if (st == TA_STORAGE_ERROR)
            result |= P_STORAGE;
        if (getenv("REL_VERBOSE") && st != TA_OK)
            fprintf(stderr, "probe %s: %s %s\n", what[k], ta_status_name(st), ta_last_error());
        ta_free(json);
        json = NULL;
    }
    ta_close(s);
    return result;
}

static void write_bytes(const char *path, long offset, const unsigned char *bytes, size_t n)
{
    int fd = open(path, O_WRONLY);
    REQUIRE(fd >= 0);
    REQUIRE(pwrite(fd, bytes, n, offset) == (ssize_t)n);
    close(fd);
}

static void test_corruption(void)
{
    static fixture_t f;
    const char *orig = rel_path("orig.db");
    const char *work = rel_path("work.db");
    char wal[320], shm[320];
    snprintf(wal, sizeof wal, "%s-wal", work);
    snprintf(shm, sizeof shm, "%s-shm", work);
    struct probe p = {work, &f};
    uint64_t rng = 99;
    unsigned char junk[65536];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)rel_rand(&rng);

    /* E1: random bytes */
    {
        FILE *fp = fopen(work, "wb");
        REQUIRE(fp && fwrite(junk, 1, sizeof junk, fp) == sizeof junk);
        fclose(fp);
        ta_store *s = (ta_store *)1;
        CHECK_STATUS(ta_open(work, NULL, &s), TA_STORAGE_ERROR);
        CHECK(s == NULL && message_has(MSG_CORRUPT, 3));
        rel_note("E random bytes: ta_open -> TA_STORAGE_ERROR \"%s\"", ta_last_error());
        remove(work);
    }
    /* E2: another application's SQLite database is refused without touching it */
    {
        sqlite3 *db = NULL;
        REQUIRE(sqlite3_open(work, &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db, "CREATE TABLE notes(x); INSERT INTO notes VALUES('keep me');", NULL, NULL, NULL) == SQLITE_OK);
        sqlite3_close(db);
        long long before = rel_file_size(work);
        ta_store *s = (ta_store *)1;
        CHECK_STATUS(ta_open(work, NULL, &s), TA_CONFLICT);
        CHECK(s == NULL);
        CHECK(rel_file_size(work) == before);
        rel_note("E another application's SQLite file: ta_open -> TA_CONFLICT \"%s\"", ta_last_error());
        remove(work);
        remove(wal);
        remove(shm);
    }

    make_db(orig, &f, 200);
    long long size = rel_file_size(orig);
    REQUIRE(size > 0);
    size_t dbn;
    unsigned char *db = (unsigned char *)rel_read_file(orig, &dbn);
    REQUIRE(db && dbn > 100);
    long page = (db[16] << 8) | db[17];
    if (page == 1)
        page = 65536;
    long pages = (long)dbn / page;
    free(db);

    /* E3: truncated to half (and to one page) */
    for (int k = 0; k < 2; k++) {
        REQUIRE(rel_copy_file(orig, work));
        REQUIRE(truncate(work, k == 0 ? (off_t)(size / 2) : (off_t)page) == 0);
        int r = in_child(probe_db, &p, false);
        CHECK(r >= 0 && (r & (P_WRONG | P_INTERNAL | P_REVOKED_OK | P_UNCLEAR)) == 0);
        rel_note("E truncated to %s: %s", k == 0 ? "half" : "one page",
                 r < 0 ? "the probe CRASHED" : (r & P_OPEN_FAILED) ? "ta_open -> TA_STORAGE_ERROR" :
                 "every answer correct or TA_STORAGE_ERROR");
        remove(work);
        remove(wal);
        remove(shm);
    }

    /* E4: each page overwritten with random bytes, in turn */
    long probes = 0, crashed = 0, open_refused = 0, some_errors = 0, clean = 0, wrong = 0, internal = 0,
         revoked_ok = 0, unclear = 0;
    for (long pg = 0; pg < pages; pg += quick ? 4 : 1) {
        REQUIRE(rel_copy_file(orig, work));
        write_bytes(work, pg * page, junk + (size_t)(pg * 131) % (sizeof junk - (size_t)page), (size_t)page);
        int r = in_child(probe_db, &p, false);
        probes++;
        if (r < 0) {
            crashed++;
            fprintf(stderr, "disk: page %ld overwritten: the probe crashed\n", pg + 1);
        } else {
            if (r & P_OPEN_FAILED)
                open_refused++;
            else if (r & P_STORAGE)
                some_errors++;
            else
                clean++;
            if (r & P_WRONG)
                wrong++;
            if (r & P_INTERNAL)
                internal++;
            if (r & P_REVOKED_OK)
                revoked_ok++;
            if (r & P_UNCLEAR)
                unclear++;
            if (r & (P_WRONG | P_INTERNAL | P_REVOKED_OK | P_UNCLEAR))
                fprintf(stderr, "disk: page %ld overwritten: probe result %d (1 wrong answer, 2 internal error, "
                                "4 unclear message, 8 revoked token accepted)\n", pg + 1, r);
        }
        remove(work);
        remove(wal);
        remove(shm);
    }
    rel_note("E %ld of %ld pages (%ld bytes each) overwritten in turn: %ld opens refused, %ld probes with "
             "TA_STORAGE_ERROR on some calls, %ld untouched by the damage; %ld crashes, %ld wrong answers, %ld "
             "internal errors, %ld revoked tokens accepted, %ld unclear messages",
             probes, pages, page, open_refused, some_errors, clean, crashed, wrong, internal, revoked_ok, unclear);
    CHECK(crashed == 0);
    CHECK(wrong == 0);
    CHECK(internal == 0);
    CHECK(revoked_ok == 0);
    CHECK(unclear == 0);

    /* E5: a garbage -wal next to a clean database: ignored (its frames fail their checksums) */
    {
        REQUIRE(rel_copy_file(orig, work));
        FILE *fp = fopen(wal, "wb");
        REQUIRE(fp && fwrite(junk, 1, 32768, fp) == 32768);
        fclose(fp);
        bool ok = intact(work, &f, false);
        CHECK(ok);
        rel_note("E garbage -wal file: %s", ok ? "ignored; the database is intact" : "NOT intact");
        remove(work);
        remove(wal);
        remove(shm);
    }
}

int main(void)
{
    rel_name = "disk";
    quick = rel_env_long("REL_QUICK", 0) != 0;
    int64_t t0 = rel_now_ms();
    test_read_only();
    test_no_space();
    test_corruption();
    rel_note("%.1f s", (double)(rel_now_ms() - t0) / 1000.0);
    return rel_finish();
}

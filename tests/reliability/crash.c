/*
 * Crash safety: SIGKILL a process at random moments while it creates, rotates and revokes tokens.
 *
 * REL_KILLS rounds (default 8). Each round forks a child that opens the database (WAL, usage
 * flushed every 20 ms) and loops: create a token (service by the host, personal by alice), rotate
 * one (grace 0), revoke one, verify a few and record usage, choosing at random among the tokens
 * it knows, including those of earlier rounds. Before a call it writes an intent record on a pipe,
 * after the call returned TA_OK an acknowledgement (with the new secret and id). The parent kills
 * the child after a random 5..150 ms and then, with the child dead:
 *   - opens the file with SQLite itself: PRAGMA integrity_check is "ok", and PRAGMA
 *     foreign_key_check reports nothing;
 *   - opens it with ta_open: every acknowledged revoke (and the old side of every acknowledged
 *     rotation) verifies TA_REVOKED, every acknowledged token not revoked verifies TA_OK, and
 *     a call that was in flight (intent without acknowledgement) left its token either fully
 *     before or fully after (verified TA_OK or TA_REVOKED, never anything else);
 *   - the audit log has a token.revoked or token.rotated entry for each acknowledged revoke or
 *     rotation (checked at the end, per token).
 * Random moments: the seed is printed (REL_SEED reproduces the schedule, not the timing).
 */
#include "rel.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <poll.h>

#define MAXTOK 4000

enum { T_UNKNOWN = 0, T_LIVE, T_REVOKED, T_UNCERTAIN };
enum { M_INTENT = 1, M_ACK = 2 };
enum { A_CREATE = 1, A_ROTATE, A_REVOKE };

typedef struct {
    int kind; /* M_INTENT or M_ACK */
    int action;
    int target;       /* index of the token acted on (rotate, revoke), or -1 */
    char secret[64];  /* new token (create, rotate) */
    char id[TA_ID_MAX];
} msg_t;

typedef struct {
    char secret[64];
    char id[TA_ID_MAX];
    int state;
    bool audit_revoke; /* an acknowledged revoke or rotation: the audit log must show it */
    bool rotated;
} tok_t;

static tok_t toks[MAXTOK];
static int ntoks;

static void write_msg(int fd, const msg_t *m)
{
    const char *p = (const char *)m;
    size_t left = sizeof *m;
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(3);
        p += n;
        left -= (size_t)n;
    }
}

/* The child: works until killed. It knows the tokens of earlier rounds (fork copies the table). */
/* Records a new live token (while there is room). */
static void keep_live(const char *secret, const char *id)
{
    if (ntoks >= MAXTOK)
        return;
    toks[ntoks] = (tok_t){.state = T_LIVE};
    snprintf(toks[ntoks].secret, sizeof toks[ntoks].secret, "%s", secret);
    snprintf(toks[ntoks].id, sizeof toks[ntoks].id, "%s", id);
    ntoks++;
}

/* Tells the parent that the intent in `m` is done, with the token it issued, keeps the token, and
   frees the library's strings. */
static void acknowledge_new_token(int fd, msg_t *m, char *secret, char *id)
{
    m->kind = M_ACK;
    snprintf(m->secret, sizeof m->secret, "%s", secret);
    snprintf(m->id, sizeof m->id, "%s", id);
    write_msg(fd, m);
    keep_live(secret, id);
    ta_free(secret);
    ta_free(id);
}

static void child(const char *path, int fd, uint64_t seed)
{
    ta_config cfg = {NULL, 0, 0, 20, 0};
    ta_store *s = NULL;
    ta_status st = ta_open(path, &cfg, &s);
    if (st != TA_OK) {
        fprintf(stderr, "crash child: ta_open: %s (%s)\n", ta_status_name(st), ta_last_error());
        _exit(2);
    }
    for (;;) {
        unsigned r = rel_below(&seed, 10);
        msg_t m;
        memset(&m, 0, sizeof m);
        m.target = -1;
        if (r < 4 || ntoks < 4) {
            bool personal = rel_below(&seed, 2);
            ta_token_spec spec = {"crash", personal ? TA_KIND_PERSONAL : TA_KIND_SERVICE, "tickets:read assets:write",
                                  0, 0, 0};
            char *secret = NULL, *id = NULL;
            m.kind = M_INTENT;
            m.action = A_CREATE;
            write_msg(fd, &m);
            st = ta_token_create(s, personal ? "alice" : NULL, &spec, &secret, &id);
            if (st != TA_OK) {
                fprintf(stderr, "crash child: ta_token_create: %s (%s)\n", ta_status_name(st), ta_last_error());
                _exit(4);
            }
            acknowledge_new_token(fd, &m, secret, id);
        } else if (r < 8) {
            /* rotate or revoke a live token */
            int i = -1;
            for (int tries = 0; tries < 20; tries++) {
                int k = (int)rel_below(&seed, (unsigned)ntoks);
                if (toks[k].state == T_LIVE) {
                    i = k;
                    break;
                }
            }
            if (i < 0)
                continue;
            bool rotate = r < 6;
            const char *actor = toks[i].secret[3] == 'p' ? "alice" : NULL;
            m.kind = M_INTENT;
            m.action = rotate ? A_ROTATE : A_REVOKE;
            m.target = i;
            write_msg(fd, &m);
            if (rotate) {
                char *secret = NULL, *id = NULL;
                st = ta_token_rotate(s, actor, toks[i].id, 0, &secret, &id);
                if (st != TA_OK) {
                    fprintf(stderr, "crash child: ta_token_rotate %s: %s (%s)\n", toks[i].id, ta_status_name(st),
                            ta_last_error());
                    _exit(4);
                }
                toks[i].state = T_REVOKED;
                acknowledge_new_token(fd, &m, secret, id);
            } else {
                st = ta_token_revoke(s, actor, toks[i].id);
                if (st != TA_OK) {
                    fprintf(stderr, "crash child: ta_token_revoke %s: %s (%s)\n", toks[i].id, ta_status_name(st),
                            ta_last_error());
                    _exit(4);
                }
                m.kind = M_ACK;
                write_msg(fd, &m);
                toks[i].state = T_REVOKED;
            }
        } else {
            /* verifications and usage: the flush thread writes these every 20 ms */
            for (int k = 0; k < 20 && ntoks; k++) {
                int i = (int)rel_below(&seed, (unsigned)ntoks);
                ta_verdict v;
                ta_verify(s, toks[i].secret, "tickets:read", &v);
                if (v.status == TA_OK)
                    ta_record_usage(s, toks[i].id, "GET /api/tickets", 200);
            }
        }
    }
}

static bool read_msg(int fd, msg_t *m)
{
    char *p = (char *)m;
    size_t got = 0;
    while (got < sizeof *m) {
        ssize_t n = read(fd, p + got, sizeof *m - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false; /* the child is dead and the pipe drained (a partial record is dropped) */
        got += (size_t)n;
    }
    return true;
}

static int pending_action, pending_target; /* the child's last intent without acknowledgement */

static void apply(const msg_t *m, long *acks)
{
    if (m->kind == M_INTENT) {
        pending_action = m->action;
        pending_target = m->target;
        return;
    }
    (*acks)++;
    pending_action = 0;
    if (m->action == A_CREATE || m->action == A_ROTATE) {
        keep_live(m->secret, m->id);
    }
    if (m->action == A_ROTATE || m->action == A_REVOKE) {
        toks[m->target].state = T_REVOKED;
        toks[m->target].audit_revoke = true;
        toks[m->target].rotated = m->action == A_ROTATE;
    }
}

static bool integrity_ok(const char *path, char *detail, size_t cap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    bool ok = false;
    detail[0] = '\0';
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        snprintf(detail, cap, "open: %s", db ? sqlite3_errmsg(db) : "?");
        sqlite3_close(db);
        return false;
    }
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(q, 0);
        ok = r && strcmp(r, "ok") == 0;
        snprintf(detail, cap, "%s", r ? r : "(null)");
    } else {
        snprintf(detail, cap, "integrity_check: %s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(q);
    q = NULL;
    if (ok && sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
        ok = false;
        snprintf(detail, cap, "foreign_key_check reports a row");
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return ok;
}

int main(void)
{
    rel_name = "crash";
    long kills = rel_env_long("REL_KILLS", 8);
    uint64_t seed = rel_seed();
    const char *path = rel_path("crash.db");
    long acks = 0, in_flight = 0, checked_live = 0, checked_revoked = 0, integrity_failures = 0, wrong = 0;
    long resolved_before = 0, resolved_after = 0;
    int64_t t0 = rel_now_ms();

    printf("    crash: seed %llu (REL_SEED=%llu reproduces the schedule)\n", (unsigned long long)seed,
           (unsigned long long)seed);
    {
        ta_store *s = rel_open(path, NULL);
        REQUIRE(ta_member_put(s, "alice", "tickets:read assets:write ManagePersonalAccessTokens") == TA_OK);
        ta_close(s);
    }
    for (long round = 0; round < kills; round++) {
        int fds[2];
        REQUIRE(pipe(fds) == 0);
        uint64_t child_seed = rel_rand(&seed);
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            child(path, fds[1], child_seed);
            _exit(0);
        }
        close(fds[1]);
        int64_t deadline = rel_now_ms() + 5 + rel_below(&seed, 146);
        msg_t m;
        pending_action = 0;
        /* read acknowledgements until the kill moment */
        for (;;) {
            int64_t left = deadline - rel_now_ms();
            struct pollfd pfd = {fds[0], POLLIN, 0};
            if (left <= 0)
                break;
            int pr = poll(&pfd, 1, (int)left);
            if (pr <= 0)
                continue;
            if (!read_msg(fds[0], &m))
                break;
            apply(&m, &acks);
        }
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        /* whatever the child wrote before it died is an acknowledgement too */
        while (read_msg(fds[0], &m))
            apply(&m, &acks);
        close(fds[0]);
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
            fprintf(stderr, "crash: round %ld: the child ended by itself (status %d) before the kill\n", round, status);
            CHECK(0);
            break;
        }

        char detail[256];
        if (!integrity_ok(path, detail, sizeof detail)) {
            integrity_failures++;
            fprintf(stderr, "crash: round %ld: integrity check failed: %s\n", round, detail);
        }

        ta_store *s = NULL;
        ta_status st = ta_open(path, NULL, &s);
        if (st != TA_OK) {
            fprintf(stderr, "crash: round %ld: ta_open after the kill: %s (%s)\n", round, ta_status_name(st), ta_last_error());
            CHECK(0);
            break;
        }
        /* the call in flight: its token ends up wholly before or wholly after */
        if (pending_action == A_ROTATE || pending_action == A_REVOKE) {
            int i = pending_target;
            ta_status v = ta_verify(s, toks[i].secret, NULL, NULL);
            in_flight++;
            if (v == TA_OK) {
                resolved_before++;
            } else if (v == TA_REVOKED) {
                resolved_after++;
                toks[i].state = T_REVOKED; /* it committed: from now on it must stay revoked */
            } else {
                wrong++;
                fprintf(stderr, "crash: round %ld: in-flight %s left %s in state %s\n", round,
                        pending_action == A_ROTATE ? "rotation" : "revoke", toks[i].id, ta_status_name(v));
            }
        } else if (pending_action == A_CREATE) {
            in_flight++;
        }
        for (int i = 0; i < ntoks; i++) {
            ta_status v = ta_verify(s, toks[i].secret, NULL, NULL);
            ta_status want = toks[i].state == T_REVOKED ? TA_REVOKED : TA_OK;
            if (v != want) {
                wrong++;
                fprintf(stderr, "crash: round %ld: acknowledged %s %s verifies %s\n", round,
                        want == TA_OK ? "live token" : "revoked token", toks[i].id, ta_status_name(v));
            }
            if (want == TA_OK)
                checked_live++;
            else
                checked_revoked++;
        }
        ta_close(s);
    }

    /* the audit log: every acknowledged revoke or rotation is there */
    long audit_missing = 0, audit_checked = 0;
    {
        ta_store *s = rel_open(path, NULL);
        for (int i = 0; i < ntoks; i++) {
            if (!toks[i].audit_revoke)
                continue;
            char q[128], *json = NULL;
            snprintf(q, sizeof q, "token=%s event=%s", toks[i].id, toks[i].rotated ? "token.rotated" : "token.revoked");
            if (ta_audit(s, NULL, q, &json) != TA_OK || !rel_json_valid(json) || rel_json_each(json, NULL, NULL) < 1)
                audit_missing++;
            audit_checked++;
            ta_free(json);
        }
        ta_close(s);
    }
    rel_note("%ld kills in %.1f s: %ld acknowledged commits, %d tokens tracked; %ld calls in flight at the kill "
             "(revoke/rotate resolved: %ld before, %ld after); checks after each kill: %ld live-token and %ld "
             "revoked-token verifications, %ld wrong, %ld integrity failures; audit entries: %ld checked, %ld missing",
             kills, (double)(rel_now_ms() - t0) / 1000.0, acks, ntoks, in_flight, resolved_before, resolved_after,
             checked_live, checked_revoked, wrong, integrity_failures, audit_checked, audit_missing);
    CHECK(wrong == 0);
    CHECK(integrity_failures == 0);
    CHECK(audit_missing == 0);
    CHECK(acks > 0);
    return rel_finish();
}

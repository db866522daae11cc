/* Two processes on one store, each with its own handle (and connections): what one commits, the
 * other honours on its very next call. The store is a SQLite file by default, or the location given
 * as argv[1] (a postgresql:// URI in `make test-postgres`).
 *
 * The program forks before touching the library. Process A (the parent, a gateway) and process B
 * (the child, a console) each ta_open the same store at the same moment. B manages tokens and members and tells A over a pipe after each
 * call returns; A's very next verification must see the change: a new token works, a revoke gives
 * TA_REVOKED, deactivation TA_INACTIVE, an owner's deactivation TA_OWNER_INACTIVE, a downgrade
 * TA_FORBIDDEN, the owner's removal TA_REVOKED, a deletion TA_UNKNOWN_TOKEN. Then the other way
 * round (A revokes, B verifies), and usage that A flushed is visible to B. Then a storm: B revokes
 * STORM tokens that A holds in its index, one at a time, and A's very next verification of each
 * must be TA_REVOKED. Last, the clocks disagree: for each skew (B's clock an hour ahead of A's, an
 * hour behind, ten seconds behind), B revokes one token, rotates one without grace, deletes one and
 * removes the owner of a fourth, all held in A's index; A's very next verification refuses each, and
 * still does after A's clock steps back an hour. Revocation is a state, not a time. Exit status 0
 * and a closing "N passed, N failed" line. */
#include "harness.h"

#define STORM 50

#include <errno.h>
#include <signal.h>
#include <time.h>
#include <sys/types.h>
#include <sys/wait.h>

struct msg {
    char step[32];
    char secret[128];
    char id[64];
    int passed, failed;
};

static int to_a[2], to_b[2]; /* B -> A and A -> B */

/* B's clock minus A's, in ms, for each round of the clock phase. */
static const int64_t skews[] = {3600000, -3600000, -10000};
#define SKEWS (int)(sizeof skews / sizeof skews[0])
#define HOUR_MS 3600000

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void send_msg(int fd, const char *step, const char *secret, const char *id)
{
    struct msg m;
    memset(&m, 0, sizeof m);
    snprintf(m.step, sizeof m.step, "%s", step);
    snprintf(m.secret, sizeof m.secret, "%s", secret ? secret : "");
    snprintf(m.id, sizeof m.id, "%s", id ? id : "");
    m.passed = th_passed;
    m.failed = th_failed;
    if (write(fd, &m, sizeof m) != (ssize_t)sizeof m) {
        perror("write");
        exit(98);
    }
}

static struct msg recv_msg(int fd, const char *expected)
{
    struct msg m;
    size_t got = 0;
    while (got < sizeof m) {
        ssize_t n = read(fd, (char *)&m + got, sizeof m - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "two_process: the other process went away while waiting for \"%s\"\n", expected);
            exit(98);
        }
        got += (size_t)n;
    }
    if (strcmp(m.step, expected) != 0) {
        fprintf(stderr, "two_process: expected step \"%s\", got \"%s\"\n", expected, m.step);
        exit(98);
    }
    return m;
}

static ta_status verify(ta_store *s, const char *secret, const char *scopes)
{
    ta_verdict v;
    return ta_verify(s, secret, scopes, &v);
}

static ta_store *open_shared(const char *path, const char *who)
{
    ta_store *s = NULL;
    ta_status st = ta_open(path, NULL, &s);
    if (st != TA_OK) {
        fprintf(stderr, "%s: ta_open: %s (%s)\n", who, ta_status_name(st), ta_last_error());
        exit(97);
    }
    return s;
}

/* Process B: the management console. */
static int run_b(const char *path)
{
    ta_store *s = open_shared(path, "B");
    ta_token_spec spec;
    char *t1 = NULL, *t1_id = NULL, *s1 = NULL, *s1_id = NULL, *t2 = NULL, *t2_id = NULL, *json = NULL;
    struct msg m;

    memset(&spec, 0, sizeof spec);
    CHECK_STATUS(ta_member_put(s, "dev", "ManagePersonalAccessTokens tickets:read"), TA_OK);
    spec.name = "dev laptop";
    spec.kind = TA_KIND_PERSONAL;
    spec.scopes = "tickets:read";
    CHECK_STATUS(ta_token_create(s, "dev", &spec, &t1, &t1_id), TA_OK);
    spec.name = "ci";
    spec.kind = TA_KIND_SERVICE;
    CHECK_STATUS(ta_token_create(s, NULL, &spec, &s1, &s1_id), TA_OK);
    send_msg(to_a[1], "created", t1, NULL);
    send_msg(to_a[1], "created service", s1, NULL);
    recv_msg(to_b[0], "ok");

    CHECK_STATUS(ta_token_revoke(s, "dev", t1_id), TA_OK);
    send_msg(to_a[1], "revoked", NULL, NULL);
    recv_msg(to_b[0], "ok");

    CHECK_STATUS(ta_token_set_active(s, NULL, s1_id, false), TA_OK);
    send_msg(to_a[1], "deactivated", NULL, NULL);
    recv_msg(to_b[0], "ok");

    CHECK_STATUS(ta_token_set_active(s, NULL, s1_id, true), TA_OK);
    send_msg(to_a[1], "activated", NULL, NULL);
    recv_msg(to_b[0], "flushed");
    /* A verified the service token twice successfully and flushed: B sees the uses. */
    CHECK_STATUS(ta_token_get(s, NULL, s1_id, &json), TA_OK);
    CHECK_INT(json_int(json, "use_count", -1), 2);
    CHECK(json_get(json, "last_used_at") && !json_raw_is(json, "last_used_at", "null"));
    ta_free(json);

    spec.name = "dev second";
    spec.kind = TA_KIND_PERSONAL;
    CHECK_STATUS(ta_token_create(s, "dev", &spec, &t2, &t2_id), TA_OK);
    CHECK_STATUS(ta_member_set_active(s, "dev", false), TA_OK);
    send_msg(to_a[1], "owner deactivated", t2, NULL);
    recv_msg(to_b[0], "ok");

    CHECK_STATUS(ta_member_set_active(s, "dev", true), TA_OK);
    send_msg(to_a[1], "owner activated", NULL, NULL);
    recv_msg(to_b[0], "ok");

    CHECK_STATUS(ta_member_put(s, "dev", "ManagePersonalAccessTokens"), TA_OK);
    send_msg(to_a[1], "owner downgraded", NULL, NULL);
    recv_msg(to_b[0], "ok");

    CHECK_STATUS(ta_member_remove(s, "dev"), TA_OK);
    send_msg(to_a[1], "owner removed", NULL, NULL);
    recv_msg(to_b[0], "ok");

    CHECK_STATUS(ta_token_delete(s, NULL, s1_id), TA_OK);
    send_msg(to_a[1], "deleted", NULL, NULL);
    recv_msg(to_b[0], "ok");

    /* The other direction: A issues and revokes, B verifies. */
    m = recv_msg(to_b[0], "a created");
    CHECK_STATUS(verify(s, m.secret, "users:read"), TA_OK);
    send_msg(to_a[1], "ok", NULL, NULL);
    recv_msg(to_b[0], "a revoked");
    CHECK_STATUS(verify(s, m.secret, "users:read"), TA_REVOKED);

    /* The storm: B issues, A verifies (so each token sits in A's index), B revokes, A verifies. */
    {
        char *secrets[STORM], *ids[STORM];
        int i;
        spec.name = "storm";
        spec.kind = TA_KIND_SERVICE;
        spec.scopes = "tickets:read";
        for (i = 0; i < STORM; i++) {
            secrets[i] = ids[i] = NULL;
            CHECK_STATUS(ta_token_create(s, NULL, &spec, &secrets[i], &ids[i]), TA_OK);
            send_msg(to_a[1], "storm token", secrets[i], NULL);
        }
        recv_msg(to_b[0], "storm cached");
        for (i = 0; i < STORM; i++) {
            CHECK_STATUS(ta_token_revoke(s, NULL, ids[i]), TA_OK);
            send_msg(to_a[1], "storm revoked", NULL, NULL);
            recv_msg(to_b[0], "ok");
            ta_free(secrets[i]);
            ta_free(ids[i]);
        }
    }

    /* The clock phase: each round, four tokens A holds in its index end in four ways. */
    {
        int r, k;
        for (r = 0; r < SKEWS; r++) {
            char *sec[4], *id[4], *next = NULL, *next_id = NULL;
            ta_set_clock(s, wall_ms() + skews[r]);
            CHECK_STATUS(ta_member_put(s, "skewed", "ManagePersonalAccessTokens tickets:read"), TA_OK);
            spec.name = "skew";
            spec.scopes = "tickets:read";
            for (k = 0; k < 4; k++) {
                sec[k] = id[k] = NULL;
                spec.kind = k == 3 ? TA_KIND_PERSONAL : TA_KIND_SERVICE;
                CHECK_STATUS(ta_token_create(s, k == 3 ? "skewed" : NULL, &spec, &sec[k], &id[k]), TA_OK);
                send_msg(to_a[1], "skew token", sec[k], NULL);
            }
            recv_msg(to_b[0], "skew cached");
            CHECK_STATUS(ta_token_revoke(s, NULL, id[0]), TA_OK);
            CHECK_STATUS(ta_token_rotate(s, NULL, id[1], 0, &next, &next_id), TA_OK);
            CHECK_STATUS(ta_token_delete(s, NULL, id[2]), TA_OK);
            CHECK_STATUS(ta_member_remove(s, "skewed"), TA_OK);
            send_msg(to_a[1], "skew ended", NULL, NULL);
            recv_msg(to_b[0], "ok");
            for (k = 0; k < 4; k++) {
                ta_free(sec[k]);
                ta_free(id[k]);
            }
            ta_free(next);
            ta_free(next_id);
        }
    }

    ta_free(t1);
    ta_free(t1_id);
    ta_free(s1);
    ta_free(s1_id);
    ta_free(t2);
    ta_free(t2_id);
    ta_close(s);
    send_msg(to_a[1], "done", NULL, NULL);
    return th_failed ? 1 : 0;
}

/* Process A: the gateway. */
static int run_a(const char *path, pid_t b)
{
    ta_store *s = open_shared(path, "A");
    struct msg t1 = recv_msg(to_a[0], "created"), s1 = recv_msg(to_a[0], "created service"), t2, done;
    char *a_secret = NULL, *a_id = NULL;
    ta_token_spec spec;
    int status = 0;

    CHECK_STATUS(verify(s, t1.secret, "tickets:read"), TA_OK);
    CHECK_STATUS(verify(s, s1.secret, "tickets:read"), TA_OK);
    printf("A: B created a personal and a service token: both TA_OK here\n");
    send_msg(to_b[1], "ok", NULL, NULL);

    recv_msg(to_a[0], "revoked");
    CHECK_STATUS(verify(s, t1.secret, "tickets:read"), TA_REVOKED);
    printf("A: B revoked the personal token: the very next verify is TA_REVOKED\n");
    send_msg(to_b[1], "ok", NULL, NULL);

    recv_msg(to_a[0], "deactivated");
    CHECK_STATUS(verify(s, s1.secret, "tickets:read"), TA_INACTIVE);
    printf("A: B deactivated the service token: TA_INACTIVE\n");
    send_msg(to_b[1], "ok", NULL, NULL);

    recv_msg(to_a[0], "activated");
    CHECK_STATUS(verify(s, s1.secret, "tickets:read"), TA_OK);
    CHECK_STATUS(ta_flush(s), TA_OK);
    printf("A: B activated it again: TA_OK (usage flushed for B to read)\n");
    send_msg(to_b[1], "flushed", NULL, NULL);

    t2 = recv_msg(to_a[0], "owner deactivated");
    CHECK_STATUS(verify(s, t2.secret, "tickets:read"), TA_OWNER_INACTIVE);
    printf("A: B deactivated the owner: TA_OWNER_INACTIVE\n");
    send_msg(to_b[1], "ok", NULL, NULL);

    recv_msg(to_a[0], "owner activated");
    CHECK_STATUS(verify(s, t2.secret, "tickets:read"), TA_OK);
    printf("A: B activated the owner: TA_OK\n");
    send_msg(to_b[1], "ok", NULL, NULL);

    recv_msg(to_a[0], "owner downgraded");
    CHECK_STATUS(verify(s, t2.secret, "tickets:read"), TA_FORBIDDEN);
    CHECK_STATUS(verify(s, t2.secret, NULL), TA_OK);
    printf("A: B took tickets:read from the owner: TA_FORBIDDEN for tickets:read\n");
    send_msg(to_b[1], "ok", NULL, NULL);

    recv_msg(to_a[0], "owner removed");
    CHECK_STATUS(verify(s, t2.secret, NULL), TA_REVOKED);
    printf("A: B removed the owner: TA_REVOKED\n");
    send_msg(to_b[1], "ok", NULL, NULL);

    recv_msg(to_a[0], "deleted");
    CHECK_STATUS(verify(s, s1.secret, NULL), TA_UNKNOWN_TOKEN);
    printf("A: B deleted the service token: TA_UNKNOWN_TOKEN\n");
    send_msg(to_b[1], "ok", NULL, NULL);

    spec = th_spec("issued by A", TA_KIND_SERVICE, "users:read");
    CHECK_STATUS(ta_token_create(s, NULL, &spec, &a_secret, &a_id), TA_OK);
    send_msg(to_b[1], "a created", a_secret, NULL);
    recv_msg(to_a[0], "ok");
    CHECK_STATUS(ta_token_revoke(s, NULL, a_id), TA_OK);
    send_msg(to_b[1], "a revoked", NULL, NULL);
    printf("A: issued a token and revoked it; B verified TA_OK, then TA_REVOKED\n");

    {
        static struct msg storm[STORM];
        int i, refused = 0;
        for (i = 0; i < STORM; i++) {
            storm[i] = recv_msg(to_a[0], "storm token");
            CHECK_STATUS(verify(s, storm[i].secret, "tickets:read"), TA_OK);
        }
        send_msg(to_b[1], "storm cached", NULL, NULL);
        for (i = 0; i < STORM; i++) {
            ta_status st;
            recv_msg(to_a[0], "storm revoked");
            st = verify(s, storm[i].secret, "tickets:read");
            CHECK_STATUS(st, TA_REVOKED);
            refused += st == TA_REVOKED;
            send_msg(to_b[1], "ok", NULL, NULL);
        }
        printf("A: B revoked %d tokens held in A's index, one at a time: %d refused on the very next verify\n",
               STORM, refused);
    }

    {
        static const ta_status ended[4] = {TA_REVOKED, TA_REVOKED, TA_UNKNOWN_TOKEN, TA_REVOKED};
        int r, k;
        for (r = 0; r < SKEWS; r++) {
            struct msg tok[4];
            int64_t now = wall_ms();
            int refused = 0;
            ta_set_clock(s, now);
            for (k = 0; k < 4; k++) {
                tok[k] = recv_msg(to_a[0], "skew token");
                CHECK_STATUS(verify(s, tok[k].secret, "tickets:read"), TA_OK);
            }
            send_msg(to_b[1], "skew cached", NULL, NULL);
            recv_msg(to_a[0], "skew ended");
            for (k = 0; k < 4; k++) {
                ta_status st = verify(s, tok[k].secret, "tickets:read");
                CHECK_STATUS(st, ended[k]);
                refused += st == ended[k];
            }
            ta_set_clock(s, now - HOUR_MS);
            for (k = 0; k < 4; k++) {
                ta_status st = verify(s, tok[k].secret, "tickets:read");
                CHECK_STATUS(st, ended[k]);
                refused += st == ended[k];
            }
            printf("A: B's clock %+lld s from A's revoked, rotated without grace, deleted and disowned 4 tokens: "
                   "%d/8 refused (the last 4 after A's clock stepped back an hour)\n",
                   (long long)(skews[r] / 1000), refused);
            send_msg(to_b[1], "ok", NULL, NULL);
        }
        ta_set_clock(s, 0);
    }

    done = recv_msg(to_a[0], "done");
    if (waitpid(b, &status, 0) != b)
        status = -1;
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ta_free(a_secret);
    ta_free(a_id);
    ta_close(s);
    /* B's counts join A's. */
    th_passed += done.passed;
    th_failed += done.failed;
    printf("A: %d checks in A, %d in B\n", th_passed - done.passed, done.passed + done.failed);
    return finish();
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : th_db_path("shared.db");
    pid_t pid;

    if (pipe(to_a) != 0 || pipe(to_b) != 0) {
        perror("pipe");
        return 99;
    }
    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        perror("fork");
        return 99;
    }
    alarm(300); /* neither side may wait forever */
    if (pid == 0) {
        th_dir[0] = '\0'; /* the parent removes the directory, not the child's atexit */
        close(to_a[0]);
        close(to_b[1]);
        exit(run_b(path));
    }
    close(to_a[1]);
    close(to_b[0]);
    return run_a(path, pid);
}

/* Lost connections on PostgreSQL: reconnection, re-validation and failing closed.
 *
 * usage: failover URI SERVER_SCRIPT SERVER_DIR
 * URI names a fresh schema; SERVER_SCRIPT (tests/postgres/server.sh) stops and starts the server
 * that runs in SERVER_DIR. Two handles, G (a gateway, freshness bound 600 ms) and C (a console):
 *  1. G holds a token in its index; every libtokenauth session is killed on the server
 *     (pg_terminate_backend); G still verifies it, C revokes it (its writer reconnects), and G's
 *     very next verification is TA_REVOKED.
 *  2. The server hangs (SIGSTOP, connections left open): past the freshness bound, G refuses a
 *     token it holds in memory with TA_STORAGE_ERROR (503) within about a second, instead of
 *     trusting its index or waiting for the server; it answers again once the server resumes.
 *     Then the server stops: the same, at once.
 *  3. The server starts again: G answers TA_OK again within seconds, and a revoke through C is
 *     honoured by G's very next verification.
 * Exit status 0 and a closing "N passed, N failed" line. */
#include "harness.h"

#include <time.h>

static ta_status verify(ta_store *s, const char *secret)
{
    ta_verdict v;
    return ta_verify(s, secret, "tickets:read", &v);
}

static void sleep_ms(long ms)
{
    struct timespec t;
    t.tv_sec = ms / 1000;
    t.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&t, NULL);
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int run(const char *command)
{
    int rc = system(command);
    if (rc != 0)
        fprintf(stderr, "failover: \"%s\" exited with %d\n", command, rc);
    return rc;
}

static char *service_token(ta_store *s, char **id)
{
    ta_token_spec spec;
    char *secret = NULL;
    memset(&spec, 0, sizeof spec);
    spec.name = "failover";
    spec.kind = TA_KIND_SERVICE;
    spec.scopes = "tickets:read";
    CHECK_STATUS(ta_token_create(s, NULL, &spec, &secret, id), TA_OK);
    return secret;
}

int main(int argc, char **argv)
{
    char uri[1024], command[2048];
    ta_store *g = NULL, *c = NULL;
    char *t1, *t1_id = NULL, *t2, *t2_id = NULL;
    ta_status st = TA_OK;
    int i;

    if (argc != 4) {
        fprintf(stderr, "usage: failover URI SERVER_SCRIPT SERVER_DIR\n");
        return 99;
    }
    snprintf(uri, sizeof uri, "%s%sfreshness_ms=600", argv[1], strchr(argv[1], '?') ? "&" : "?");
    g = th_open(uri, NULL);
    c = th_open(argv[1], NULL);

    /* 1. Every session killed: reconnection, and the next verify after a revoke refuses. */
    t1 = service_token(c, &t1_id);
    CHECK_STATUS(verify(g, t1), TA_OK);
    snprintf(command, sizeof command,
             "psql '%s' -qAtX -c \"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
             " WHERE application_name = 'libtokenauth'\" >/dev/null", argv[1]);
    CHECK(run(command) == 0);
    sleep_ms(50);
    CHECK_STATUS(verify(g, t1), TA_OK);
    CHECK_STATUS(ta_token_revoke(c, NULL, t1_id), TA_OK);
    CHECK_STATUS(verify(g, t1), TA_REVOKED);
    printf("failover: every session killed; G reconnected, C's revoke refused on G's very next verify\n");

    /* 2a. The server hangs: connections stay open, nothing answers. Past the bound, G must not
     * trust its index, nor wait for the server: TA_STORAGE_ERROR within about a second. */
    {
        char *t = NULL, *t_id = NULL;
        int64_t started, elapsed;
        t = service_token(c, &t_id);
        CHECK_STATUS(verify(g, t), TA_OK);
        snprintf(command, sizeof command, "bash '%s' freeze '%s'", argv[2], argv[3]);
        CHECK(run(command) == 0);
        sleep_ms(900);
        started = now_ms();
        st = verify(g, t);
        elapsed = now_ms() - started;
        CHECK_STATUS(st, TA_STORAGE_ERROR);
        CHECK(elapsed < 3000);
        printf("failover: server hung (SIGSTOP); past the 600 ms bound G answers %s after %lld ms\n",
               ta_status_name(st), (long long)elapsed);
        snprintf(command, sizeof command, "bash '%s' thaw '%s'", argv[2], argv[3]);
        CHECK(run(command) == 0);
        for (i = 0; i < 100; i++) {
            st = verify(g, t);
            if (st == TA_OK)
                break;
            sleep_ms(100);
        }
        CHECK_STATUS(st, TA_OK);
        printf("failover: server resumed; G answered TA_OK again after %d ms or so\n", i * 100);
        ta_free(t);
        ta_free(t_id);
    }

    /* 2b. The server goes away: fail closed once freshness cannot be confirmed. */
    t2 = service_token(c, &t2_id);
    CHECK_STATUS(verify(g, t2), TA_OK);
    snprintf(command, sizeof command, "bash '%s' stop '%s'", argv[2], argv[3]);
    CHECK(run(command) == 0);
    sleep_ms(900);
    st = verify(g, t2);
    CHECK_STATUS(st, TA_STORAGE_ERROR);
    CHECK(strlen(ta_last_error()) > 0);
    printf("failover: server stopped; past the 600 ms bound G answers %s (%s)\n", ta_status_name(st),
           ta_last_error());

    /* 3. The server comes back: G answers again, and a revoke is honoured at once. */
    snprintf(command, sizeof command, "bash '%s' start '%s' >/dev/null", argv[2], argv[3]);
    CHECK(run(command) == 0);
    for (i = 0; i < 100; i++) {
        st = verify(g, t2);
        if (st == TA_OK)
            break;
        sleep_ms(100);
    }
    CHECK_STATUS(st, TA_OK);
    printf("failover: server restarted; G answered TA_OK again after %d ms or so\n", i * 100);
    for (i = 0; i < 100 && (st = ta_token_revoke(c, NULL, t2_id)) != TA_OK; i++)
        sleep_ms(100);
    CHECK_STATUS(st, TA_OK);
    CHECK_STATUS(verify(g, t2), TA_REVOKED);
    printf("failover: after the restart, C's revoke was refused on G's very next verify\n");

    ta_free(t1);
    ta_free(t1_id);
    ta_free(t2);
    ta_free(t2_id);
    ta_close(g);
    ta_close(c);
    return finish();
}

/* ta_open with postgresql:// URIs: what is refused, and how.
 *
 * usage: open_pg BASE_URI
 * BASE_URI names a database of a running server (no query part). The program makes its schemas
 * with psql. Checks: a schema holding another application's table is TA_CONFLICT and left alone; a
 * search_path naming no existing schema, an unreachable server and a closed port are
 * TA_STORAGE_ERROR, quickly; a URI libpq cannot parse and a bad freshness_ms are
 * TA_INVALID_ARGUMENT; postgres:// works as postgresql:// does, and two stores in two schemas of
 * one database share nothing. Exit status 0 and a closing "N passed, N failed" line. */
#include "harness.h"

static char base[512];

static void psql(const char *sql)
{
    char command[1024];
    snprintf(command, sizeof command, "psql '%s' -qAtX -v ON_ERROR_STOP=1 -c \"SET client_min_messages = warning; %s\"",
             base, sql);
    if (system(command) != 0) {
        fprintf(stderr, "open_pg: psql failed: %s\n", sql);
        exit(99);
    }
}

static const char *in_schema(const char *schema, const char *extra)
{
    static char uri[8][768];
    static int next;
    char *p = uri[next++ % 8];
    snprintf(p, 768, "%s?options=-csearch_path%%3D%s%s", base, schema, extra ? extra : "");
    return p;
}

static ta_status open_status(const char *uri, const char *prefix, ta_store **out)
{
    ta_config config;
    memset(&config, 0, sizeof config);
    config.token_prefix = prefix;
    *out = (ta_store *)0x10;
    return ta_open(uri, &config, out);
}

static void refused(const char *uri, ta_status want, const char *why)
{
    ta_store *s;
    ta_status st = open_status(uri, NULL, &s);
    CHECK_STATUS(st, want);
    CHECK(s == NULL);
    CHECK(strlen(ta_last_error()) > 0);
    if (s && s != (ta_store *)0x10)
        ta_close(s);
    printf("open_pg: %s: %s (%s)\n", why, ta_status_name(st), ta_last_error());
}

int main(int argc, char **argv)
{
    ta_store *a = NULL, *b = NULL;
    char *secret = NULL, *id = NULL, *json = NULL;
    ta_token_spec spec;
    ta_verdict v;
    char uri[768];

    if (argc != 2 || strchr(argv[1], '?')) {
        fprintf(stderr, "usage: open_pg BASE_URI (no query part)\n");
        return 99;
    }
    snprintf(base, sizeof base, "%s", argv[1]);
    psql("DROP SCHEMA IF EXISTS open_foreign, open_a, open_b CASCADE;"
         " CREATE SCHEMA open_foreign; CREATE SCHEMA open_a; CREATE SCHEMA open_b;"
         " CREATE TABLE open_foreign.notes(x text); INSERT INTO open_foreign.notes VALUES('hi')");

    refused(in_schema("open_foreign", NULL), TA_CONFLICT, "a schema of another application");
    psql("DO \\$\\$ BEGIN IF (SELECT count(*) FROM open_foreign.notes) <> 1"
         " OR (SELECT count(*) FROM pg_tables WHERE schemaname = 'open_foreign') <> 1"
         " THEN RAISE 'touched'; END IF; END \\$\\$");
    CHECK(1); /* the foreign schema is untouched (psql above would have exited otherwise) */
    refused(in_schema("no_such_schema", NULL), TA_STORAGE_ERROR, "search_path names no existing schema");
    refused("postgresql://127.0.0.1:1/tokenauth?connect_timeout=2", TA_STORAGE_ERROR, "nothing listens there");
    refused("postgresql://[::1/x", TA_INVALID_ARGUMENT, "a URI libpq cannot parse");
    refused(in_schema("open_a", "&no_such_parameter=1"), TA_INVALID_ARGUMENT, "an unknown URI parameter");
    refused(in_schema("open_a", "&freshness_ms=5"), TA_INVALID_ARGUMENT, "freshness_ms below 100");
    refused(in_schema("open_a", "&freshness_ms=abc"), TA_INVALID_ARGUMENT, "freshness_ms not a number");

    /* Two schemas, two stores; postgres:// as well as postgresql://. */
    CHECK_STATUS(open_status(in_schema("open_a", "&freshness_ms=1000"), "acme", &a), TA_OK);
    snprintf(uri, sizeof uri, "postgres://%s", strstr(in_schema("open_b", NULL), "://") + 3);
    CHECK_STATUS(open_status(uri, NULL, &b), TA_OK);
    memset(&spec, 0, sizeof spec);
    spec.name = "a";
    spec.kind = TA_KIND_SERVICE;
    spec.scopes = "tickets:read";
    CHECK_STATUS(ta_token_create(a, NULL, &spec, &secret, &id), TA_OK);
    CHECK(secret && strncmp(secret, "acmes_", 6) == 0);
    CHECK_STATUS(ta_verify(a, secret, "tickets:read", &v), TA_OK);
    CHECK_STATUS(ta_verify(b, secret, "tickets:read", &v), TA_MALFORMED); /* b's prefix is tka */
    CHECK_STATUS(ta_token_list(b, NULL, NULL, &json), TA_OK);
    CHECK(json && strcmp(json, "[]") == 0);
    ta_free(json);
    ta_close(b);
    b = NULL;
    /* Reopening a with another prefix is a conflict; with none, it keeps "acme". */
    {
        ta_store *c;
        CHECK_STATUS(open_status(in_schema("open_a", NULL), "zeta", &c), TA_CONFLICT);
        CHECK(c == NULL);
        CHECK_STATUS(open_status(in_schema("open_a", NULL), NULL, &c), TA_OK);
        CHECK_STATUS(ta_verify(c, secret, "tickets:read", &v), TA_OK);
        ta_close(c);
    }
    ta_free(secret);
    ta_free(id);
    ta_close(a);
    psql("DROP SCHEMA open_foreign, open_a, open_b CASCADE");
    return finish();
}

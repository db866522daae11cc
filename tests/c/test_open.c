/* Opening and closing stores: paths, configs, token prefixes fixed by the first open, persistence,
   files that are not libtokenauth databases, and what lands on disk (WAL, no secrets). */
#include "harness.h"

#include <sqlite3.h>

static ta_store *const SENTINEL = (ta_store *)&th_passed; /* any non-NULL pointer */

/* Runs one SQL query with a single text or integer result on `path`, outside the library. */
static int sql_text(const char *path, const char *sql, char *out, size_t n)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int ok = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, n, "%s", t ? (const char *)t : "");
        ok = 1;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ok;
}

static ta_status open_with_prefix(const char *path, const char *prefix, ta_store **out)
{
    ta_config config;
    memset(&config, 0, sizeof config);
    config.token_prefix = prefix;
    return ta_open(path, &config, out);
}

int main(void)
{
    ta_store *a = SENTINEL, *b = SENTINEL, *m1 = NULL, *m2 = NULL;
    ta_token_spec spec;
    ta_config config;
    char *secret = NULL, *id = NULL, *json = NULL, buf[256];
    const char *path = th_db_path("open.db");
    const char *bad_prefixes[] = {"a", "abcdefghi", "Ab", "a1", "", "ab-", "tka ", "\xc3\xa9t"};
    size_t i;

    spec = th_spec("svc", TA_KIND_SERVICE, "tickets:read");

    /* Argument checks: *out_store is NULL after every failure. */
    CHECK_STATUS(ta_open(NULL, NULL, &a), TA_INVALID_ARGUMENT);
    CHECK(a == NULL);
    CHECK_STATUS(ta_open(path, NULL, NULL), TA_INVALID_ARGUMENT);
    a = SENTINEL;
    CHECK_STATUS(ta_open("\xff\xfe.db", NULL, &a), TA_INVALID_ARGUMENT);
    CHECK(a == NULL);
    for (i = 0; i < sizeof bad_prefixes / sizeof bad_prefixes[0]; i++) {
        a = SENTINEL;
        CHECK_STATUS(open_with_prefix(th_db_path("never.db"), bad_prefixes[i], &a), TA_INVALID_ARGUMENT);
        CHECK(a == NULL);
    }

    /* Private in-memory stores: one database per handle. */
    CHECK_STATUS(ta_open(":memory:", NULL, &m1), TA_OK);
    CHECK_STATUS(ta_open(":memory:", NULL, &m2), TA_OK);
    CHECK(m1 != NULL && m2 != NULL && m1 != m2);
    CHECK_STATUS(ta_member_put(m1, "alice", "admin"), TA_OK);
    CHECK_STATUS(ta_member_list(m2, &json), TA_OK);
    CHECK(json_array_len(json) == 0);
    ta_free(json);
    CHECK_STATUS(ta_token_create(m1, NULL, &spec, &secret, NULL), TA_OK);
    CHECK(th_token_well_formed(secret, "tka", 's')); /* the default prefix */
    ta_free(secret);
    ta_close(m1);
    ta_close(m2);

    /* The first open of a file fixes its prefix. */
    CHECK_STATUS(open_with_prefix(path, "acme", &a), TA_OK);
    CHECK(a != NULL);
    CHECK_STATUS(ta_member_put(a, "alice", "admin"), TA_OK);
    CHECK_STATUS(ta_token_create(a, NULL, &spec, &secret, &id), TA_OK);
    CHECK(th_token_well_formed(secret, "acme", 's'));
    /* Another prefix later is a conflict, even while the first handle is open. */
    b = SENTINEL;
    CHECK_STATUS(open_with_prefix(path, "other", &b), TA_CONFLICT);
    CHECK(b == NULL);
    /* NULL keeps the database's prefix; the same prefix is fine. */
    CHECK_STATUS(ta_open(path, NULL, &b), TA_OK);
    {
        char *s2 = NULL;
        ta_verdict v;
        CHECK_STATUS(ta_token_create(b, NULL, &spec, &s2, NULL), TA_OK);
        CHECK(th_token_well_formed(s2, "acme", 's'));
        /* A token issued through one handle verifies through the other. */
        CHECK_STATUS(ta_verify(a, s2, NULL, &v), TA_OK);
        ta_free(s2);
    }
    ta_close(b);
    CHECK_STATUS(open_with_prefix(path, "acme", &b), TA_OK);
    ta_close(b);

    /* A token of another prefix is malformed here. */
    {
        char forged[64];
        ta_verdict v;
        th_forge_token("tka", 's', 7, forged);
        CHECK_STATUS(ta_verify(a, forged, NULL, &v), TA_MALFORMED);
    }
    CHECK_STATUS(ta_flush(a), TA_OK);
    ta_close(a);

    /* What is on disk: a WAL database with a schema version, and never a secret. */
    CHECK(sql_text(path, "PRAGMA journal_mode", buf, sizeof buf) && strcmp(buf, "wal") == 0);
    CHECK(sql_text(path, "PRAGMA user_version", buf, sizeof buf) && atoi(buf) >= 1);
    CHECK(!th_file_contains(path, secret));
    CHECK(!th_file_contains(path, secret + 6)); /* the random part alone */
    snprintf(buf, sizeof buf, "%s-wal", path);
    CHECK(!th_file_contains(buf, secret + 6));

    /* Everything survives closing and reopening. */
    CHECK_STATUS(ta_open(path, NULL, &a), TA_OK);
    CHECK_STATUS(ta_member_list(a, &json), TA_OK);
    CHECK(json_count_objects(json, "id", "alice") == 1);
    ta_free(json);
    CHECK_STATUS(ta_token_get(a, NULL, id, &json), TA_OK);
    CHECK(json_str_is(json, "id", id) && json_str_is(json, "name", "svc"));
    ta_free(json);
    {
        ta_verdict v;
        CHECK_STATUS(ta_verify(a, secret, "tickets:read", &v), TA_OK);
    }
    ta_close(a);
    ta_free(secret);
    ta_free(id);

    /* The store's default rate limit is resolved at creation and stored with the token. */
    memset(&config, 0, sizeof config);
    config.default_rate_limit = 5;
    CHECK_STATUS(ta_open(th_db_path("limits.db"), &config, &a), TA_OK);
    CHECK_STATUS(ta_token_create(a, NULL, &spec, NULL, &id), TA_OK);
    CHECK_STATUS(ta_token_get(a, NULL, id, &json), TA_OK);
    CHECK(json_int(json, "limit", -1) == 5 && json_int(json, "window_ms", -1) == 60000);
    if (json_int(json, "limit", -1) != 5)
        SHOW_JSON("token with the store's default limit", json);
    ta_free(json);
    ta_free(id);
    ta_close(a);
    /* ...through that handle only: another handle without a default creates unlimited tokens. */
    CHECK_STATUS(ta_open(th_db_path("limits.db"), NULL, &a), TA_OK);
    CHECK_STATUS(ta_token_create(a, NULL, &spec, NULL, &id), TA_OK);
    CHECK_STATUS(ta_token_get(a, NULL, id, &json), TA_OK);
    CHECK(json_raw_is(json, "rate_limit", "null"));
    ta_free(json);
    ta_free(id);
    ta_close(a);

    /* Files that are not libtokenauth databases. */
    {
        const char *junk = th_db_path("junk.db");
        FILE *f = fopen(junk, "wb");
        sqlite3 *db = NULL;
        const char *foreign = th_db_path("foreign.db");
        for (i = 0; i < 200; i++)
            fputs("this is not a database file\n", f);
        fclose(f);
        a = SENTINEL;
        CHECK_STATUS(ta_open(junk, NULL, &a), TA_STORAGE_ERROR);
        CHECK(a == NULL);

        CHECK(sqlite3_open(foreign, &db) == SQLITE_OK);
        CHECK(sqlite3_exec(db, "CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL);"
                               "INSERT INTO invoices(total) VALUES (12.5);",
                           NULL, NULL, NULL) == SQLITE_OK);
        sqlite3_close(db);
        a = SENTINEL;
        CHECK_STATUS(ta_open(foreign, NULL, &a), TA_CONFLICT);
        CHECK(a == NULL);
        /* ...and the foreign data is untouched. */
        CHECK(sql_text(foreign, "SELECT count(*) FROM sqlite_master", buf, sizeof buf) && strcmp(buf, "1") == 0);

        a = SENTINEL;
        CHECK_STATUS(ta_open("/nonexistent-dir/for/tokenauth.db", NULL, &a), TA_STORAGE_ERROR);
        CHECK(a == NULL);
        a = SENTINEL;
        CHECK_STATUS(ta_open(th_tmpdir(), NULL, &a), TA_STORAGE_ERROR); /* a directory */
        CHECK(a == NULL);
    }

    return finish();
}

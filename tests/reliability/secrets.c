/*
 * Secret hygiene: after creating REL_TOKENS (default 1000) tokens, rotating every one of them and
 * verifying them all (successes, denials, revocations, usage records), no secret — nor any
 * 12-character piece of its random part — appears in:
 *   - the database file, its -wal and -shm files (read while the store is open, and again after
 *     ta_close);
 *   - any JSON output (token list and every token, every token's stats, the audit log, the
 *     report, the member and scope lists);
 *   - any ta_last_error() text, including calls that get a secret where it does not belong (as a
 *     token id, a member id, required scopes, a tampered or padded credential).
 * The hint ("tkas_" + 4 random characters) is public by design; 12 characters is three times
 * that. Each hit is printed with where it was found.
 */
#include "rel.h"

#include <stdbool.h>

#define WIN 12

typedef struct {
    uint64_t *keys;
    int *owner;
    size_t cap;
} winset_t;

static char (*secrets)[64];
static int nsecrets;
static winset_t ws;
static long hits;

static uint64_t hash_window(const unsigned char *p)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < WIN; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h | 1; /* 0 marks an empty slot */
}

static void ws_add(const unsigned char *p, int owner)
{
    uint64_t h = hash_window(p);
    size_t i = h % ws.cap;
    while (ws.keys[i] && ws.keys[i] != h)
        i = (i + 1) % ws.cap;
    ws.keys[i] = h;
    ws.owner[i] = owner;
}

static int ws_find(const unsigned char *p)
{
    uint64_t h = hash_window(p);
    size_t i = h % ws.cap;
    while (ws.keys[i]) {
        if (ws.keys[i] == h) {
            /* confirm byte for byte: which secret holds these 12 characters */
            int o = ws.owner[i];
            size_t rn;
            const char *r = rel_random_part(secrets[o], 3, &rn);
            for (size_t k = 0; k + WIN <= rn; k++)
                if (memcmp(r + k, p, WIN) == 0)
                    return o;
        }
        i = (i + 1) % ws.cap;
    }
    return -1;
}

static void add_secret(const char *s)
{
    size_t rn;
    const char *r;
    snprintf(secrets[nsecrets], 64, "%s", s);
    r = rel_random_part(secrets[nsecrets], 3, &rn);
    for (size_t k = 0; k + WIN <= rn; k++)
        ws_add((const unsigned char *)r + k, nsecrets);
    nsecrets++;
}

/* Scans `n` bytes for any 12-character piece of any random part. */
static long scan(const char *where, const char *buf, size_t n)
{
    long found = 0;
    for (size_t i = 0; i + WIN <= n; i++) {
        int o = ws_find((const unsigned char *)buf + i);
        if (o >= 0) {
            if (found < 3)
                fprintf(stderr, "secrets: LEAK in %s at offset %zu: a piece of secret #%d (%.9s...): \"%.40s\"\n", where,
                        i, o, secrets[o], buf + (i > 8 ? i - 8 : 0));
            found++;
            i += WIN - 1;
        }
    }
    hits += found;
    return found;
}

static long scan_file(const char *path, const char *label)
{
    size_t n = 0;
    char *buf = rel_read_file(path, &n);
    long found;
    if (!buf) {
        rel_note("%s: absent", label);
        return 0;
    }
    found = scan(label, buf, n);
    rel_note("%s: %zu bytes scanned, %ld pieces of secrets found", label, n, found);
    free(buf);
    return found;
}

/* All error texts and JSON outputs, kept for one scan each. */
typedef struct {
    char *text;
    size_t len, cap;
    long count;
} texts_t;

/* ordinary failures (denied verifications, ...) and calls given a secret where it does not belong */
static texts_t errors, misplaced_errors;
static long n_json, json_bytes, json_found;

static void keep_in(texts_t *t)
{
    const char *e = ta_last_error();
    size_t n = strlen(e);
    if (t->len + n + 2 > t->cap) {
        t->cap = (t->len + n + 2) * 2;
        t->text = realloc(t->text, t->cap);
        REQUIRE(t->text);
    }
    memcpy(t->text + t->len, e, n);
    t->len += n;
    t->text[t->len++] = '\n';
    t->count++;
}

static void keep_error(void) { keep_in(&errors); }
static void keep_misplaced(void) { keep_in(&misplaced_errors); }

/* The call writes `json`; it must run before its result is looked at. */
#define JSON_OUT(what, call)                                                                       \
    do {                                                                                           \
        ta_status st_ = (call);                                                                    \
        json_out(what, st_, json);                                                                 \
        json = NULL;                                                                               \
    } while (0)

static void json_out(const char *what, ta_status st, char *json)
{
    CHECK_STATUS(st, TA_OK);
    if (st == TA_OK) {
        CHECK(rel_json_valid(json));
        json_found += scan(what, json, strlen(json));
        json_bytes += (long)strlen(json);
        n_json++;
    } else {
        keep_error();
    }
    ta_free(json);
}

int main(void)
{
    rel_name = "secrets";
    long n = rel_env_long("REL_TOKENS", 1000) / 4 * 4; /* a multiple of 4: the kinds repeat every 4 */
    if (n < 4)
        n = 4;
    const char *path = rel_path("secrets.db");
    char wal[300], shm[300];
    ta_config cfg = {NULL, 0, 0, 50, 0};
    char (*ids)[TA_ID_MAX];
    int64_t t0 = rel_now_ms();

    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    secrets = calloc((size_t)n * 2 + 8, 64);
    ids = calloc((size_t)n * 2 + 8, TA_ID_MAX);
    ws.cap = (size_t)n * 2 * 32 * 2 + 1024;
    ws.keys = calloc(ws.cap, sizeof *ws.keys);
    ws.owner = calloc(ws.cap, sizeof *ws.owner);
    REQUIRE(secrets && ids && ws.keys && ws.owner);

    ta_store *s = rel_open(path, &cfg);
    REQUIRE(ta_member_put(s, "alice", "admin ManagePersonalAccessTokens") == TA_OK);
    REQUIRE(ta_member_put(s, "bob", "tickets:write assets:read ManagePersonalAccessTokens") == TA_OK);

    /* create */
    for (long i = 0; i < n; i++) {
        int k = (int)(i % 4);
        const char *actor = k < 2 ? NULL : k == 2 ? "alice" : "bob";
        ta_token_spec spec = {"hygiene", k < 2 ? TA_KIND_SERVICE : TA_KIND_PERSONAL,
                              k == 2 ? "tickets:read users:read" : "tickets:write assets:read", 0, 0, 0};
        char *secret = NULL, *id = NULL;
        REQUIRE(ta_token_create(s, actor, &spec, &secret, &id) == TA_OK);
        snprintf(ids[nsecrets], TA_ID_MAX, "%s", id);
        add_secret(secret);
        ta_free(secret);
        ta_free(id);
    }
    int64_t t_created = rel_now_ms();
    /* rotate every one (the old ones stay valid for an hour) */
    for (long i = 0; i < n; i++) {
        int k = (int)(i % 4);
        const char *actor = k < 2 ? NULL : k == 2 ? "alice" : "bob";
        char *secret = NULL, *id = NULL;
        REQUIRE(ta_token_rotate(s, actor, ids[i], 3600000, &secret, &id) == TA_OK);
        snprintf(ids[nsecrets], TA_ID_MAX, "%s", id);
        add_secret(secret);
        ta_free(secret);
        ta_free(id);
    }
    int64_t t_rotated = rel_now_ms();
    /* verify: successes, a missing scope, the Bearer form, revocations; usage records */
    long ok = 0, denied = 0;
    for (int i = 0; i < nsecrets; i++) {
        char bearer[100];
        ta_verdict v;
        ta_status st = ta_verify(s, secrets[i], "tickets:read", &v);
        CHECK_STATUS(st, TA_OK);
        ok += st == TA_OK;
        snprintf(bearer, sizeof bearer, "Bearer %s", secrets[i]);
        CHECK_STATUS(ta_verify(s, bearer, "assets:read", &v), (i % 4) == 2 ? TA_FORBIDDEN : TA_OK);
        if (v.status != TA_OK)
            keep_error(), denied++;
        CHECK_STATUS(ta_verify(s, secrets[i], "users:write", &v), TA_FORBIDDEN);
        keep_error();
        denied++;
        CHECK_STATUS(ta_record_usage(s, ids[i], "GET /api/tickets", 200), TA_OK);
    }
    for (int i = n; i < nsecrets; i += 10) {
        CHECK_STATUS(ta_token_revoke(s, NULL, ids[i]), TA_OK);
        CHECK_STATUS(ta_verify(s, secrets[i], NULL, NULL), TA_REVOKED);
        keep_error();
        denied++;
    }
    REQUIRE(ta_flush(s) == TA_OK);

    /* ---- phase 1, correct use: every JSON output, every error text, the files */
    {
        char *json = NULL;
        JSON_OUT("ta_token_list", ta_token_list(s, NULL, NULL, &json));
        JSON_OUT("ta_audit", ta_audit(s, NULL, "limit=1000000", &json));
        JSON_OUT("ta_report", ta_report(s, NULL, 0, &json));
        JSON_OUT("ta_report(alice)", ta_report(s, "alice", 0, &json));
        JSON_OUT("ta_member_list", ta_member_list(s, &json));
        JSON_OUT("ta_scope_list", ta_scope_list(s, &json));
        for (int i = 0; i < nsecrets; i++) {
            JSON_OUT("ta_token_get", ta_token_get(s, NULL, ids[i], &json));
            if (i % 5 == 0)
                JSON_OUT("ta_token_stats", ta_token_stats(s, NULL, ids[i], 0, &json));
        }
    }
    long err_found = scan("ta_last_error texts", errors.text ? errors.text : "", errors.len);
    rel_note("%ld tokens created (%.1f s), %ld rotated (%.1f s): %d secrets; %ld TA_OK and %ld denied verifications",
             n, (double)(t_created - t0) / 1000.0, n, (double)(t_rotated - t_created) / 1000.0, nsecrets, ok, denied);
    rel_note("%ld JSON outputs (%ld bytes): %ld pieces of secrets; %ld error texts (%zu bytes): %ld pieces", n_json,
             json_bytes, json_found, errors.count, errors.len, err_found);
    long files_found = 0;
    files_found += scan_file(path, "database file (open)");
    files_found += scan_file(wal, "-wal file (open)");
    files_found += scan_file(shm, "-shm file (open)");
    ta_close(s);
    files_found += scan_file(path, "database file (closed)");
    files_found += scan_file(wal, "-wal file (closed)");
    CHECK(json_found == 0);
    CHECK(err_found == 0);
    CHECK(files_found == 0);

    /* ---- phase 2, a caller's mistakes: a secret where an id, scope, actor or query belongs. The
       contract: ta_last_error() "never contains a secret" (gateways log it); the audit log and the
       database must not keep it either. */
    s = rel_open(path, &cfg);
    long misplaced = 0;
    for (int i = 0; i < nsecrets; i += 50) {
        char buf[100], *json = NULL;
        const char *sec = secrets[i];
        ta_token_spec bad = {"x", TA_KIND_SERVICE, sec, 0, 0, 0};
        ta_token_spec batch[2] = {{"x", TA_KIND_SERVICE, "tickets:read", 0, 0, 0}, bad};
#define MISPLACED(call)                                                                            \
    do {                                                                                           \
        CHECK((call) != TA_OK);                                                                    \
        keep_misplaced();                                                                          \
        ta_free(json);                                                                             \
        json = NULL;                                                                               \
        misplaced++;                                                                               \
    } while (0)
        MISPLACED(ta_token_get(s, NULL, sec, &json));       /* as a token id */
        MISPLACED(ta_token_revoke(s, NULL, sec));
        MISPLACED(ta_token_stats(s, NULL, sec, 0, &json));
        MISPLACED(ta_record_usage(s, sec, "GET /x", 200));
        MISPLACED(ta_member_set_active(s, sec, false));      /* as a member id */
        MISPLACED(ta_member_remove(s, sec));
        MISPLACED(ta_token_revoke(s, sec, ids[i]));           /* as the actor */
        MISPLACED(ta_scope_define(s, sec, NULL, NULL));       /* as a scope */
        MISPLACED(ta_member_put(s, "carol", sec));
        MISPLACED(ta_token_create(s, NULL, &bad, NULL, NULL));
        MISPLACED(ta_token_create_batch(s, NULL, batch, 2, NULL, NULL));
        MISPLACED(ta_token_create_batch(s, sec, batch, 1, NULL, NULL));
        MISPLACED(ta_token_list(s, NULL, sec, &json));        /* as a query */
        MISPLACED(ta_audit(s, NULL, sec, &json));
        MISPLACED(ta_verify(s, sec, sec, NULL));              /* as required scopes */
        snprintf(buf, sizeof buf, "%s", sec);
        buf[20] = buf[20] == 'A' ? 'B' : 'A';                 /* tampered: bad checksum */
        MISPLACED(ta_verify(s, buf, NULL, NULL));
        snprintf(buf, sizeof buf, "Bearer  %s ", sec);        /* padded */
        MISPLACED(ta_verify(s, buf, NULL, NULL));
        snprintf(buf, sizeof buf, "Basic %s", sec);
        MISPLACED(ta_verify(s, buf, NULL, NULL));
#undef MISPLACED
    }
    REQUIRE(ta_flush(s) == TA_OK);
    long misplaced_found = scan("ta_last_error texts of calls given a misplaced secret",
                                misplaced_errors.text ? misplaced_errors.text : "", misplaced_errors.len);
    long misplaced_audit = 0;
    {
        char *json = NULL;
        long before = json_found;
        JSON_OUT("ta_audit (after the mistakes)", ta_audit(s, NULL, "limit=1000000", &json));
        misplaced_audit = json_found - before;
    }
    long misplaced_files = scan_file(wal, "-wal file (after the mistakes)") + scan_file(path, "database file (after the mistakes)");
    ta_close(s);
    rel_note("%ld calls given a misplaced secret: %ld pieces in their error texts, %ld in the audit log, %ld in the files",
             misplaced, misplaced_found, misplaced_audit, misplaced_files);
    if (misplaced_found)
        fprintf(stderr, "secrets: ta_last_error() repeats a secret that was passed where an id, scope, actor or query "
                        "belongs (the contract: it \"never contains a secret\"); the first texts:\n%.400s\n",
                misplaced_errors.text);
    if (misplaced_audit || misplaced_files)
        fprintf(stderr, "secrets: a secret passed as the actor is stored in the audit log (iam.denied, actor)\n");
    CHECK(misplaced_found == 0);
    CHECK(misplaced_audit == 0);
    CHECK(misplaced_files == 0);

    /* the scanner itself finds a planted secret (so that "0 found" means something) */
    {
        char planted[200];
        long before = hits;
        snprintf(planted, sizeof planted, "xx %s yy", secrets[nsecrets / 2]);
        fprintf(stderr, "secrets: (self-test: the next LEAK line is planted on purpose)\n");
        CHECK(scan("self-test", planted, strlen(planted)) >= 1);
        hits = before;
    }
    rel_note("%.1f s", (double)(rel_now_ms() - t0) / 1000.0);
    free(errors.text);
    free(misplaced_errors.text);
    free(secrets);
    free(ids);
    free(ws.keys);
    free(ws.owner);
    return rel_finish();
}

/*
 * verify_bench — libtokenauth's hot path against the floor and a naive SQLite verifier.
 *
 *   verify_bench [--tokens N] [--runs R] [--threads T] [--dir DIR] [--ops K] [--naive-ms MS]
 *                [--rate-tokens M] [--unknown-pool U] [--index-limit L] [--no-naive-full] [--seed S]
 *
 * One process creates N service tokens (actor NULL) in a fresh database under DIR — the first
 * N - min(N/2, 20,000) with ta_token_create_batch (TA_BATCH_MAX per call), the rest with one
 * ta_token_create call each — keeps their secrets in memory only (never printed, never written) and
 * measures, in every run and on the same token set and the same shuffled access order:
 *   floor   C: SHA-256 of the presented token with the context on the stack (SHA256_Init/Update/
 *           Final, the assembly the EVP layer runs, without its per-call allocation and provider
 *           dispatch: what the library does) + an open-addressing hash table lookup of the digest
 *           + CRYPTO_memcmp;
 *   naive   C: per verify, SHA-256 + a prepared SELECT by digest on an indexed SQLite table (WAL)
 *           + an UPDATE of last_used (autocommit), with synchronous=NORMAL and =FULL;
 *   libtokenauth: cold (first verify after ta_open: mean and p99 per call), hot, unknown
 *           well-formed (repeated and first sight), malformed, forbidden, rate-limited, 1 and T
 *           threads; hot verifies of rate-limited tokens that pass (their bucket shared by the host's
 *           processes, and this handle's own), and of tokens holding 4 grants qualified with a
 *           resource pattern checked against a resource (ta_verify_resource), against unlimited,
 *           unqualified tokens of a pool of the same size; token creation rate (batched, and one per call), ta_open time, peak RSS and
 *           RSS per cached token;
 *   a gateway's request: ta_verify alone and ta_verify + ta_record_usage (what a gateway records
 *           after the upstream answered), in alternating slices, for one hot token and for a
 *           working set of tokens in turn, and verify + record_usage on 1 and T threads.
 * The table shows the median of the runs and, for ratios, the median of the per-run ratios (each
 * taken against the baseline of the same run), with the targets of docs/performance.md (PASS/MISS).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* SHA256_Init/Update/Final are deprecated in OpenSSL 3, kept through 3.x, and what the library uses. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <openssl/rand.h>
#include <sqlite3.h>
#include <tokenauth.h>

/* ------------------------------------------------------------------ small helpers */

#define SLOT 48 /* bytes per stored token: "tka" 's' '_' 32 + 6 = 43 characters + NUL, padded */
#define MAX_RUNS 32

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("verify_bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory (%zu bytes)", n);
    return p;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rng_state;
static uint64_t rng_next(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t *permutation(size_t n) {
    uint32_t *p = xmalloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = (uint32_t)i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rng_next() % i);
        uint32_t t = p[i - 1];
        p[i - 1] = p[j];
        p[j] = t;
    }
    return p;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n) {
    double s[MAX_RUNS];
    if (n <= 0) return NAN;
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static long rss_bytes(void) { /* resident set size now, from /proc/self/statm */
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

/* ------------------------------------------------------------------ the public token format */

static const char B62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
static uint32_t crc_table[256];

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_iso(const char *s, size_t n) { /* zlib's crc32 */
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = crc_table[(c ^ (uint8_t)s[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* A well-formed token of the store's format that was never issued: "tka" + kind + '_' + 32 base62
   characters + the 6-digit base62 CRC-32 of everything before, most significant digit first. */
static void make_unknown(char *out, const char *prefix, char kind) {
    size_t p = strlen(prefix), n = 0;
    memcpy(out, prefix, p);
    n = p;
    out[n++] = kind;
    out[n++] = '_';
    for (int i = 0; i < 32; i++) out[n++] = B62[rng_next() % 62];
    uint32_t c = crc32_iso(out, n);
    for (int i = 5; i >= 0; i--) {
        out[n + (size_t)i] = B62[c % 62];
        c /= 62;
    }
    out[n + 6] = 0;
}

/* The same token with a wrong checksum: its last character moved on by one in the alphabet. */
static void make_malformed(char *out, const char *token) {
    size_t n = strlen(token);
    memcpy(out, token, n + 1);
    const char *at = strchr(B62, out[n - 1]);
    out[n - 1] = B62[((at ? at - B62 : 0) + 1) % 62];
}

/* ------------------------------------------------------------------ token pools */

/* A pool keeps its tokens twice: `tok` in creation order, and `seq`, the "request stream": the same
   tokens copied in a random permutation. Measurements read `seq` front to back, so that the presented
   token is in cache as it is in a gateway's request buffer, while the lookup of its digest in the
   floor's table or in the library's index goes to a random place. */
typedef struct {
    char *tok; /* n slots of SLOT bytes */
    char *seq; /* the same, shuffled */
    size_t n;
} pool;

static inline const char *pool_at(const pool *p, size_t i) { return p->seq + (i % p->n) * SLOT; }

static pool pool_new(size_t n) {
    pool p = {xmalloc(n * SLOT), xmalloc(n * SLOT), n};
    memset(p.tok, 0, n * SLOT);
    memset(p.seq, 0, n * SLOT);
    return p;
}

/* A new random order (a permutation of the same tokens). */
static void pool_shuffle(pool *p) {
    uint32_t *perm = permutation(p->n);
    for (size_t i = 0; i < p->n; i++) memcpy(p->seq + i * SLOT, p->tok + (size_t)perm[i] * SLOT, SLOT);
    free(perm);
}

static void pool_free(pool *p) {
    if (p->tok) OPENSSL_cleanse(p->tok, p->n * SLOT);
    if (p->seq) OPENSSL_cleanse(p->seq, p->n * SLOT);
    free(p->tok);
    free(p->seq);
    p->tok = NULL;
    p->seq = NULL;
}

/* ------------------------------------------------------------------ the floor */

typedef struct {
    uint8_t d[32];
    uint32_t id;
    uint32_t used;
} fslot;

static fslot *ftab;
static uint64_t fmask;

static inline uint64_t load64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* SHA-256 with the context on the stack, as the library hashes (Sources/COpenSSL/shim.h). */
static inline void sha256_fast(const void *s, size_t n, uint8_t out[32]) {
    SHA256_CTX c;
    if (SHA256_Init(&c) != 1 || SHA256_Update(&c, s, n) != 1 || SHA256_Final(out, &c) != 1)
        die("SHA-256 failed");
}

static void floor_build(const uint8_t *digests, size_t n) {
    uint64_t cap = 16;
    while (cap < 2 * (uint64_t)n) cap <<= 1;
    ftab = xmalloc(cap * sizeof *ftab);
    memset(ftab, 0, cap * sizeof *ftab);
    fmask = cap - 1;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *d = digests + i * 32;
        uint64_t h = load64(d) & fmask;
        while (ftab[h].used) h = (h + 1) & fmask;
        memcpy(ftab[h].d, d, 32);
        ftab[h].id = (uint32_t)i;
        ftab[h].used = 1;
    }
}

/* The floor's verify: hash, probe, constant-time compare. Returns the token index or -1. */
static inline long floor_verify(const char *token) {
    uint8_t d[32];
    sha256_fast(token, strlen(token), d);
    uint64_t h = load64(d) & fmask;
    while (ftab[h].used) {
        if (CRYPTO_memcmp(ftab[h].d, d, 32) == 0) return ftab[h].id;
        h = (h + 1) & fmask;
    }
    return -1;
}

/* ------------------------------------------------------------------ timed loops */

typedef struct {
    double ns;   /* per operation */
    size_t ops;  /* operations timed */
    size_t bad;  /* answers other than the expected one */
    int bad_status;
} timing;

/* The floor over `p` from `start`, `ops` operations (or until cap_ns), after `warm` untimed ones. */
static timing floor_loop(const pool *p, size_t start, size_t warm, size_t ops, bool expect_hit,
                         uint64_t cap_ns) {
    timing t = {0, 0, 0, 0};
    volatile long sink = 0;
    for (size_t i = 0; i < warm; i++) sink += floor_verify(pool_at(p, start + ops + i));
    uint64_t t0 = now_ns(), t1;
    size_t i = 0;
    for (; i < ops; i++) {
        if (cap_ns && (i & 255) == 0 && i && now_ns() - t0 > cap_ns) break;
        long r = floor_verify(pool_at(p, start + i));
        t.bad += (r >= 0) != expect_hit;
        sink += r;
    }
    t1 = now_ns();
    (void)sink;
    t.ops = i;
    t.ns = i ? (double)(t1 - t0) / (double)i : NAN;
    return t;
}

/* When set, lib_loop verifies with ta_verify_resource against it. */
static const char *resource;

static ta_status lib_verify(ta_store *s, const char *token, const char *scopes, ta_verdict *v) {
    return resource ? ta_verify_resource(s, token, scopes, resource, v) : ta_verify(s, token, scopes, v);
}

/* The operation a gateway-like loop records after each successful verify. */
#define OPERATION "GET /api/tickets"

/* One verify and, when `operation` is not NULL and it passed, ta_record_usage as a gateway does once
   the upstream answered; the status of the first call that was not TA_OK. */
static inline ta_status verify_request(ta_store *s, const char *token, const char *scopes, const char *operation,
                                       ta_verdict *v) {
    ta_status st = lib_verify(s, token, scopes, v);
    if (st == TA_OK && operation) st = ta_record_usage(s, v->token_id, operation, 200);
    return st;
}

static timing lib_loop(ta_store *s, const pool *p, size_t start, size_t warm, size_t ops, const char *scopes,
                       const char *operation, ta_status expect, uint64_t cap_ns) {
    timing t = {0, 0, 0, 0};
    ta_verdict v;
    for (size_t i = 0; i < warm; i++) (void)verify_request(s, pool_at(p, start + ops + i), scopes, operation, &v);
    uint64_t t0 = now_ns(), t1;
    size_t i = 0;
    for (; i < ops; i++) {
        if (cap_ns && (i & 255) == 0 && i && now_ns() - t0 > cap_ns) break;
        ta_status st = verify_request(s, pool_at(p, start + i), scopes, operation, &v);
        if (st != expect) {
            t.bad++;
            t.bad_status = (int)st;
        }
    }
    t1 = now_ns();
    t.ops = i;
    t.ns = i ? (double)(t1 - t0) / (double)i : NAN;
    return t;
}

/* ------------------------------------------------------------------ threads */

typedef struct {
    bool lib;
    const char *operation; /* ta_record_usage after each verify, unless NULL */
    ta_store *store;
    const pool *p;
    size_t start, ops;
    pthread_barrier_t *bar;
    size_t bad;
    uint64_t t0, t1; /* this thread's own start and end */
    int cpu;         /* the CPU it runs on (-1: wherever the scheduler puts it) */
} thread_arg;

static void *thread_main(void *arg) {
    thread_arg *a = arg;
    /* Pinned, one thread per CPU: a slice lasts ~20 ms, and left alone the scheduler often starts
       both threads of a slice on the same CPU (the other one busy with the library's background
       flush) and moves one only after a good part of the slice. Pinned, the row shows how the
       verifications themselves scale; the floor's threads are pinned the same way. */
    if (a->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(a->cpu, &set);
        (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
    ta_verdict v;
    uint8_t d[32];
    /* One untimed verify per thread: the library's per-thread digest context, OpenSSL's state. */
    if (a->lib) (void)verify_request(a->store, pool_at(a->p, a->start), "tickets:read", a->operation, &v);
    else sha256_fast("warm", 4, d);
    pthread_barrier_wait(a->bar);
    a->t0 = now_ns();
    for (size_t i = 0; i < a->ops; i++) {
        if (a->lib)
            a->bad += verify_request(a->store, pool_at(a->p, a->start + i), "tickets:read", a->operation, &v) != TA_OK;
        else a->bad += floor_verify(pool_at(a->p, a->start + i)) < 0;
    }
    a->t1 = now_ns();
    return NULL;
}

/* Throughput (verifies per second, all threads together) of `nt` threads, each doing `ops`; with an
   `operation`, each verify is followed by ta_record_usage. */
static double threaded(int nt, bool lib, const char *operation, ta_store *s, const pool *p, size_t at, size_t ops,
                       size_t *bad) {
    pthread_t th[64];
    thread_arg args[64];
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, (unsigned)nt + 1);
    for (int i = 0; i < nt; i++) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        args[i] = (thread_arg){lib, operation, s, p, at + (p->n / (size_t)nt) * (size_t)i + 7919u * (size_t)i, ops, &bar, 0, 0, 0,
                               cpus > 1 ? (int)(i % cpus) : -1};
        if (pthread_create(&th[i], NULL, thread_main, &args[i])) die("pthread_create");
    }
    pthread_barrier_wait(&bar);
    for (int i = 0; i < nt; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&bar);
    /* Wall time from the first thread's start to the last one's end. */
    uint64_t t0 = UINT64_MAX, t1 = 0;
    for (int i = 0; i < nt; i++) {
        *bad += args[i].bad;
        if (args[i].t0 < t0) t0 = args[i].t0;
        if (args[i].t1 > t1) t1 = args[i].t1;
    }
    return (double)nt * (double)ops / ((double)(t1 - t0) / 1e9);
}

/* ------------------------------------------------------------------ the naive SQLite verifier */

static void sql_exec(sqlite3 *db, const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) die("sqlite: %s: %s", sql, err ? err : "?");
}

static sqlite3 *naive_build(const char *path, const uint8_t *digests, size_t n, double *build_s) {
    sqlite3 *db;
    sqlite3_stmt *ins;
    uint64_t t0 = now_ns();
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        die("sqlite open %s", path);
    sql_exec(db, "PRAGMA journal_mode=WAL");
    sql_exec(db, "PRAGMA synchronous=NORMAL");
    sql_exec(db, "CREATE TABLE tokens(id INTEGER PRIMARY KEY, token_id TEXT NOT NULL, digest BLOB NOT NULL,"
                 " scopes TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0, expires_at INTEGER,"
                 " last_used INTEGER)");
    sql_exec(db, "BEGIN");
    if (sqlite3_prepare_v2(db, "INSERT INTO tokens(token_id, digest, scopes) VALUES(?1, ?2, 'tickets:read')", -1,
                           &ins, NULL) != SQLITE_OK)
        die("prepare insert: %s", sqlite3_errmsg(db));
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "tok_%016zu", i);
        sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(ins, 2, digests + i * 32, 32, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE) die("insert: %s", sqlite3_errmsg(db));
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    sql_exec(db, "CREATE UNIQUE INDEX tokens_digest ON tokens(digest)");
    sql_exec(db, "COMMIT");
    sql_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    *build_s = (double)(now_ns() - t0) / 1e9;
    return db;
}

/* What a gateway author writes by hand: hash, SELECT by digest, check, UPDATE last_used. */
static timing naive_loop(sqlite3 *db, const pool *p, size_t start, size_t ops, uint64_t cap_ns,
                         bool with_update) {
    sqlite3_stmt *sel, *upd;
    timing t = {0, 0, 0, 0};
    if (sqlite3_prepare_v2(db, "SELECT id, scopes, revoked, expires_at FROM tokens WHERE digest = ?1", -1, &sel,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "UPDATE tokens SET last_used = ?1 WHERE id = ?2", -1, &upd, NULL) != SQLITE_OK)
        die("prepare: %s", sqlite3_errmsg(db));
    size_t warm = ops / 20 < 200 ? ops / 20 : 200;
    uint64_t t0 = 0;
    size_t i = 0;
    for (size_t k = 0; k < warm + ops; k++) {
        if (k == warm) t0 = now_ns();
        if (k > warm && ((k - warm) & 15) == 0 && cap_ns && now_ns() - t0 > cap_ns) break;
        uint8_t d[32];
        const char *tok = pool_at(p, start + k);
        sha256_fast(tok, strlen(tok), d);
        sqlite3_bind_blob(sel, 1, d, 32, SQLITE_STATIC);
        bool ok = false;
        sqlite3_int64 id = 0;
        if (sqlite3_step(sel) == SQLITE_ROW) {
            id = sqlite3_column_int64(sel, 0);
            const char *scopes = (const char *)sqlite3_column_text(sel, 1);
            ok = sqlite3_column_int(sel, 2) == 0 && scopes && strstr(scopes, "tickets:read") != NULL;
        }
        sqlite3_reset(sel);
        if (ok && with_update) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            sqlite3_bind_int64(upd, 1, (sqlite3_int64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
            sqlite3_bind_int64(upd, 2, id);
            if (sqlite3_step(upd) != SQLITE_DONE) ok = false;
            sqlite3_reset(upd);
        }
        if (k >= warm) {
            t.bad += !ok;
            i++;
        }
    }
    uint64_t t1 = now_ns();
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    t.ops = i;
    t.ns = i ? (double)(t1 - t0) / (double)i : NAN;
    return t;
}

/* ------------------------------------------------------------------ results */

enum { M_FLOOR, M_FLOOR_MISS, M_HOT, M_HOT_NOSCOPE, M_UNK_REP, M_UNK_NEW, M_MALFORMED, M_FORBIDDEN, M_RATE,
       M_HOT_SMALL, M_LIMITED_HOST, M_LIMITED_HANDLE, M_QUALIFIED,
       M_COLD_MEAN, M_COLD_P50, M_COLD_P99, M_COLD_MAX, M_T1, M_TN, M_FLOOR_T1, M_FLOOR_TN, M_NAIVE_SEL,
       M_NAIVE_NORMAL, M_NAIVE_FULL, M_OPEN, M_CLOSE, M_RSS_TOKEN, M_ONE_ALONE, M_ONE_RECORD, M_SET_ALONE,
       M_SET_RECORD, M_REC_T1, M_REC_TN, M_COUNT };

static double res[M_COUNT][MAX_RUNS];
static int nres[M_COUNT];
static size_t bad_total[M_COUNT];
static int bad_status[M_COUNT];

static void put(int m, double v) { res[m][nres[m]++] = v; }
static void put_t(int m, timing t) {
    put(m, t.ns);
    bad_total[m] += t.bad;
    if (t.bad) bad_status[m] = t.bad_status;
}
static double med(int m) { return median(res[m], nres[m]); }

/* Median over runs of res[a][r] / res[b][r]. */
static double ratio(int a, int b) {
    double r[MAX_RUNS];
    int n = nres[a] < nres[b] ? nres[a] : nres[b];
    for (int i = 0; i < n; i++) r[i] = res[a][i] / res[b][i];
    return median(r, n);
}

static void fmt_time(char *buf, size_t n, double ns) {
    if (isnan(ns)) snprintf(buf, n, "—");
    else if (ns < 1000) snprintf(buf, n, "%.3f µs", ns / 1000);
    else if (ns < 1e6) snprintf(buf, n, "%.2f µs", ns / 1000);
    else snprintf(buf, n, "%.2f ms", ns / 1e6);
}

static void runs_str(char *buf, size_t n, int m, double scale, const char *f) {
    size_t off = 0;
    buf[0] = 0;
    for (int i = 0; i < nres[m] && off + 24 < n; i++) {
        if (i) off += (size_t)snprintf(buf + off, n - off, " / ");
        off += (size_t)snprintf(buf + off, n - off, f, res[m][i] * scale);
    }
}

/* One table row: what, median per op, per-run values (µs), ratio text, target, PASS/MISS. */
static void row(const char *what, int m, const char *ratio_text, const char *target, int pass) {
    char t[32], r[128], ops[32] = "";
    double ns = med(m);
    fmt_time(t, sizeof t, ns);
    runs_str(r, sizeof r, m, 1e-3, "%.3f");
    if (!isnan(ns) && ns > 0) {
        double per_s = 1e9 / ns;
        if (per_s >= 1e6) snprintf(ops, sizeof ops, "%.2f M/s", per_s / 1e6);
        else snprintf(ops, sizeof ops, "%.1f k/s", per_s / 1e3);
    }
    printf("| %s | %s | %s | %s | %s | %s | %s |\n", what, t, ops, r, ratio_text ? ratio_text : "",
           target ? target : "", pass < 0 ? "" : pass ? "PASS" : "**MISS**");
    if (bad_total[m])
        printf("|   ↳ WARNING: %zu answers were not the expected status (e.g. %s) | | | | | | |\n", bad_total[m],
               m == M_FLOOR || m == M_FLOOR_MISS || m >= M_NAIVE_SEL ? "miss" : ta_status_name((ta_status)bad_status[m]));
}

/* ------------------------------------------------------------------ paired measurement */

#define SLICES 10
static double paired_floor[M_COUNT][MAX_RUNS]; /* the floor measured alongside res[m][run] */

/* `ops` library verifies over `lp` and as many floor verifies over `fp`, in SLICES alternating slices,
   so that both see the same machine (the machine is shared: load comes and goes). The floor slices
   use another part of the same shuffled order, so that neither warms the cache for the other. */
static void paired(int m, ta_store *s, const pool *lp, const char *scopes, ta_status expect, const pool *fp,
                   size_t ops, size_t warm) {
    size_t slices = ops >= SLICES ? SLICES : 1, per = ops / slices;
    double lt = 0, ft = 0;
    size_t lo = 0, fo = 0;
    timing agg = {0, 0, 0, 0};
    if (warm) {
        (void)floor_loop(fp, fp->n / 2, warm, 0, true, 0);
        (void)lib_loop(s, lp, 0, warm, 0, scopes, NULL, expect, 0);
    }
    for (size_t k = 0; k < slices; k++) {
        timing f = floor_loop(fp, fp->n / 2 + k * per, 0, per, true, 0);
        timing l = lib_loop(s, lp, k * per, 0, per, scopes, NULL, expect, 0);
        ft += f.ns * (double)f.ops;
        fo += f.ops;
        lt += l.ns * (double)l.ops;
        lo += l.ops;
        agg.bad += l.bad;
        if (l.bad) agg.bad_status = l.bad_status;
    }
    agg.ns = lt / (double)lo;
    agg.ops = lo;
    put_t(m, agg);
    paired_floor[m][nres[m] - 1] = ft / (double)fo;
}

/* A gateway's request: `ops` verifies alone (into res[alone]) and as many verifies each followed by
   ta_record_usage (into res[record]), over the same tokens of `p`, in SLICES alternating slices. */
static void paired_record(int alone, int record, ta_store *s, const pool *p, size_t ops, size_t warm) {
    size_t slices = ops >= SLICES ? SLICES : 1, per = ops / slices;
    double at = 0, rt = 0;
    timing a_agg = {0, 0, 0, 0}, r_agg = {0, 0, 0, 0};
    (void)lib_loop(s, p, 0, warm, 0, "tickets:read", OPERATION, TA_OK, 0);
    for (size_t k = 0; k < slices; k++) {
        timing a = lib_loop(s, p, k * per, 0, per, "tickets:read", NULL, TA_OK, 0);
        timing r = lib_loop(s, p, k * per, 0, per, "tickets:read", OPERATION, TA_OK, 0);
        at += a.ns * (double)a.ops;
        rt += r.ns * (double)r.ops;
        a_agg.ops += a.ops;
        r_agg.ops += r.ops;
        a_agg.bad += a.bad;
        r_agg.bad += r.bad;
        if (a.bad) a_agg.bad_status = a.bad_status;
        if (r.bad) r_agg.bad_status = r.bad_status;
    }
    a_agg.ns = at / (double)a_agg.ops;
    r_agg.ns = rt / (double)r_agg.ops;
    put_t(alone, a_agg);
    put_t(record, r_agg);
}

/* Median over runs of (res[with][r] - res[without][r]) / res[without][r]: what the extra call costs
   as a share of the call alone. */
static double added_share(int with, int without) {
    double r[MAX_RUNS];
    int n = nres[with] < nres[without] ? nres[with] : nres[without];
    for (int i = 0; i < n; i++) r[i] = (res[with][i] - res[without][i]) / res[without][i];
    return median(r, n);
}

/* Median over runs of res[m][r] / the floor measured alongside it. */
static double ratio_paired(int m) {
    double r[MAX_RUNS];
    for (int i = 0; i < nres[m]; i++) r[i] = res[m][i] / paired_floor[m][i];
    return median(r, nres[m]);
}

/* The SHA-256 (first 16 hex digits) and path of the libtokenauth this process has mapped, read through
   /proc/self/map_files, so that it names the very file in use even if the build replaced it since. */
static void loaded_library(char *path, size_t path_n, char *hash, size_t hash_n) {
    char line[4608], range[128] = "";
    snprintf(path, path_n, "?");
    snprintf(hash, hash_n, "?");
    FILE *maps = fopen("/proc/self/maps", "r");
    while (maps && fgets(line, sizeof line, maps)) {
        char *name = strchr(line, '/');
        if (!name || !strstr(name, "libtokenauth")) continue;
        name[strcspn(name, "\n")] = 0;
        snprintf(path, path_n, "%s", name);
        sscanf(line, "%127s", range);
        break;
    }
    if (maps) fclose(maps);
    if (!range[0]) return;
    char proc[256];
    snprintf(proc, sizeof proc, "/proc/self/map_files/%s", range);
    FILE *f = fopen(proc, "rb");
    if (!f) f = fopen(path, "rb");
    if (!f) return;
    SHA256_CTX c;
    unsigned char buf[65536], d[32];
    size_t got;
    SHA256_Init(&c);
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) SHA256_Update(&c, buf, got);
    SHA256_Final(d, &c);
    fclose(f);
    for (int i = 0; i < 8 && (size_t)(2 * i + 2) < hash_n; i++) snprintf(hash + 2 * i, 3, "%02x", d[i]);
}

/* ------------------------------------------------------------------ main */

static void usage(void) {
    fputs("usage: verify_bench [--tokens N] [--runs R] [--threads T] [--dir DIR] [--ops K] [--naive-ms MS]\n"
          "                    [--rate-tokens M] [--unknown-pool U] [--index-limit L] [--flush-ms F] [--no-naive-full]\n"
          "                    [--seed S]\n"
          "  --tokens N       tokens in the store (default 1000000)\n"
          "  --runs R         runs; the table shows medians (default 3)\n"
          "  --threads T      thread count compared with one thread on hot verifies (default 2)\n"
          "  --dir DIR        where the databases go (default: a new directory under $TMPDIR or /var/tmp)\n"
          "  --ops K          timed verifies per in-memory measurement (default max(N, 1000000))\n"
          "  --naive-ms MS    time cap of each naive SQLite measurement (default 1500)\n"
          "  --rate-tokens M  tokens with rate_limit 1, and as many with a limit they never reach\n"
          "                   (default min(1000, N/10 + 1))\n"
          "  --unknown-pool U unknown well-formed tokens per pool (default min(N, 100000))\n"
          "  --index-limit L  ta_set_index_limit(L) on the measured handles (default: the library's)\n"
          "  --flush-ms F     usage_flush_ms of the measured handles (default: the library's, 1000)\n"
          "  --no-naive-full  skip the synchronous=FULL naive baseline\n",
          stderr);
    exit(2);
}

static size_t arg_size(const char *s) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || end == s) usage();
    return (size_t)v;
}

static void progress(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("  .. ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static uint32_t flush_ms; /* --flush-ms; 0: the library's default */

static ta_store *open_store(const char *path, size_t index_limit) {
    ta_store *s = NULL;
    ta_config config = {0};
    config.usage_flush_ms = flush_ms;
    ta_status st = ta_open(path, &config, &s);
    if (st != TA_OK) die("ta_open(%s): %s %s", path, ta_status_name(st), ta_last_error());
    if (index_limit != (size_t)-1 && ta_set_index_limit(s, index_limit) != TA_OK) die("ta_set_index_limit");
    return s;
}

static void remove_db(const char *path) {
    char buf[4200];
    unlink(path);
    snprintf(buf, sizeof buf, "%s-wal", path);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s-shm", path);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s-journal", path);
    unlink(buf);
}

/* The tokens created one ta_token_create call each, after the batches: min(N/2, 20,000). */
static size_t single_sample(size_t n) { return n / 2 < 20000 ? n / 2 : 20000; }

/* Creates `count` tokens of `spec` (actor NULL) into slots first..first+count-1 of `p`: through
   ta_token_create_batch, TA_BATCH_MAX per call, or with one ta_token_create call each. Each secret is
   copied, then wiped and released. Returns the seconds it took. */
static double create_tokens(ta_store *s, const ta_token_spec *spec, pool *p, size_t first, size_t count,
                            bool batched) {
    ta_token_spec specs[TA_BATCH_MAX];
    char *secrets[TA_BATCH_MAX];
    for (size_t i = 0; i < TA_BATCH_MAX; i++) specs[i] = *spec;
    const char *how = batched ? "ta_token_create_batch" : "ta_token_create";
    uint64_t t0 = now_ns(), last = t0;
    for (size_t done = 0; done < count;) {
        size_t k = !batched ? 1 : count - done < TA_BATCH_MAX ? count - done : TA_BATCH_MAX;
        ta_status st = batched ? ta_token_create_batch(s, NULL, specs, k, secrets, NULL)
                               : ta_token_create(s, NULL, spec, secrets, NULL);
        if (st != TA_OK) die("%s (token #%zu): %s %s", how, first + done, ta_status_name(st), ta_last_error());
        for (size_t j = 0; j < k; j++) {
            size_t len = strlen(secrets[j]);
            if (len >= SLOT) die("token longer than %d bytes", SLOT - 1);
            memcpy(p->tok + (first + done + j) * SLOT, secrets[j], len + 1);
            OPENSSL_cleanse(secrets[j], len);
            ta_free(secrets[j]);
        }
        done += k;
        uint64_t t = now_ns();
        if (t - last > 10000000000ull) {
            progress("%zu/%zu created (%s), %.0f/s", done, count, how, (double)done / ((double)(t - t0) / 1e9));
            last = t;
        }
    }
    return (double)(now_ns() - t0) / 1e9;
}

int main(int argc, char **argv) {
    size_t n = 1000000, ops = 0, rate_n = 0, unk_n = 0, index_limit = (size_t)-1;
    int runs = 3, nthreads = 2;
    unsigned naive_ms = 1500;
    bool naive_full = true;
    const char *dir = NULL;
    uint64_t seed = 20240531;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (!strcmp(a, "--tokens") && has) n = arg_size(argv[++i]);
        else if (!strcmp(a, "--runs") && has) runs = (int)arg_size(argv[++i]);
        else if (!strcmp(a, "--threads") && has) nthreads = (int)arg_size(argv[++i]);
        else if (!strcmp(a, "--dir") && has) dir = argv[++i];
        else if (!strcmp(a, "--ops") && has) ops = arg_size(argv[++i]);
        else if (!strcmp(a, "--naive-ms") && has) naive_ms = (unsigned)arg_size(argv[++i]);
        else if (!strcmp(a, "--rate-tokens") && has) rate_n = arg_size(argv[++i]);
        else if (!strcmp(a, "--unknown-pool") && has) unk_n = arg_size(argv[++i]);
        else if (!strcmp(a, "--index-limit") && has) index_limit = arg_size(argv[++i]);
        else if (!strcmp(a, "--seed") && has) seed = arg_size(argv[++i]);
        else if (!strcmp(a, "--flush-ms") && has) {
            size_t ms = arg_size(argv[++i]);
            if (ms > UINT32_MAX) die("--flush-ms must be at most %u", UINT32_MAX);
            flush_ms = (uint32_t)ms;
        }
        else if (!strcmp(a, "--no-naive-full")) naive_full = false;
        else usage();
    }
    if (n < 100 || n > 50000000) die("--tokens must be 100..50000000");
    if (runs < 1 || runs > MAX_RUNS) die("--runs must be 1..%d", MAX_RUNS);
    if (nthreads < 2 || nthreads > 64) die("--threads must be 2..64");
    if (!ops) ops = n > 1000000 ? n : 1000000;
    if (!rate_n) rate_n = n / 10 + 1 < 1000 ? n / 10 + 1 : 1000;
    if (!unk_n) unk_n = n < 100000 ? n : 100000;
    /* the tokens a busy gateway sees within one flush interval */
    size_t record_set = n < 65536 ? n : 65536;
    size_t warm_ops = ops / 10 < 100000 ? ops / 10 : 100000;
    rng_state = seed;
    crc_init();
    setvbuf(stdout, NULL, _IOLBF, 0);

    char dirbuf[4096];
    bool made_dir = false;
    if (!dir) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dirbuf, sizeof dirbuf, "%s/tokenauth-bench.XXXXXX", tmp && *tmp ? tmp : "/var/tmp");
        if (!mkdtemp(dirbuf)) die("mkdtemp %s: %s", dirbuf, strerror(errno));
        dir = dirbuf;
        made_dir = true;
    } else if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        die("mkdir %s: %s", dir, strerror(errno));
    }
    char db_path[4200], naive_path[4200];
    snprintf(db_path, sizeof db_path, "%s/bench-tokens.db", dir);
    snprintf(naive_path, sizeof naive_path, "%s/bench-naive.db", dir);
    remove_db(db_path);
    remove_db(naive_path);

    /* Machine and parameters. */
    {
        char model[256] = "?", line[512];
        FILE *f = fopen("/proc/cpuinfo", "r");
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "model name", 10)) {
                char *c = strchr(line, ':');
                if (c) snprintf(model, sizeof model, "%s", c + 2);
                model[strcspn(model, "\n")] = 0;
                break;
            }
        if (f) fclose(f);
        double load[3] = {0, 0, 0};
        getloadavg(load, 3);
        char lib_path[4096], lib_hash[40];
        loaded_library(lib_path, sizeof lib_path, lib_hash, sizeof lib_hash);
        printf("# verify_bench: libtokenauth %s (%s, sha256 %s…), OpenSSL %s, SQLite %s\n", ta_version(), lib_path,
               lib_hash, OpenSSL_version(OPENSSL_VERSION), sqlite3_libversion());
        printf("# machine: %ld CPUs online, %s, %.1f GiB RAM; load average %.2f %.2f %.2f at start\n",
               sysconf(_SC_NPROCESSORS_ONLN), model,
               (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024 * 1024), load[0],
               load[1], load[2]);
        printf("# N = %zu tokens (+ %zu with rate_limit 1), %d run(s), %d threads vs 1, %zu timed ops per in-memory "
               "measurement, unknown pools of %zu, index limit %s, usage_flush_ms %u, databases in %s\n",
               n, rate_n, runs, nthreads, ops, unk_n,
               index_limit == (size_t)-1 ? "library default" : "set", flush_ms ? flush_ms : 1000u, dir);
    }

    /* ---- create the tokens: in batches, then a sample one per call (on the store that is nearly full) */
    pool tokens = pool_new(n), rated = pool_new(rate_n), limited = pool_new(rate_n), small = pool_new(rate_n),
         qualified = pool_new(rate_n);
    size_t single_n = single_sample(n), batch_n = n - single_n;
    double batch_s, single_s;
    {
        ta_store *s = open_store(db_path, (size_t)-1);
        ta_token_spec spec = {"bench", TA_KIND_SERVICE, "tickets:read", 0, 0, 0};
        progress("creating %zu service tokens (ta_token_create_batch, %d per call, actor NULL)", batch_n, TA_BATCH_MAX);
        batch_s = create_tokens(s, &spec, &tokens, 0, batch_n, true);
        progress("created in %.1f s (%.0f tokens/s)", batch_s, (double)batch_n / batch_s);
        progress("creating %zu more, one ta_token_create call each", single_n);
        single_s = create_tokens(s, &spec, &tokens, batch_n, single_n, false);
        progress("created in %.1f s (%.0f tokens/s)", single_s, (double)single_n / single_s);
        spec.name = "bench-rate-limited";
        spec.rate_limit = 1;
        spec.rate_window_ms = 3600000;
        create_tokens(s, &spec, &rated, 0, rate_n, true);
        /* A limit these never reach (a unit comes back every nanosecond): every verify takes one. */
        spec.name = "bench-limited-open";
        spec.rate_limit = UINT32_MAX;
        spec.rate_window_ms = 1;
        create_tokens(s, &spec, &limited, 0, rate_n, true);
        /* Four grants on projects; the resource verified is covered by the last. */
        spec.name = "bench-qualified";
        spec.scopes = "tickets:read@project/1 tickets:read@project/2 tickets:read@project/3 tickets:read@project/42";
        spec.rate_limit = 0;
        spec.rate_window_ms = 0;
        create_tokens(s, &spec, &qualified, 0, rate_n, true);
        ta_close(s);
        memcpy(small.tok, tokens.tok, rate_n * SLOT); /* unlimited, as many as `limited` */
    }

    /* ---- the floor's table and the naive database, from the same digests */
    double naive_build_s = 0, wal_max = 0;
    sqlite3 *naive = NULL;
    {
        uint8_t *digests = xmalloc(n * 32);
        for (size_t i = 0; i < n; i++) {
            const char *t = tokens.tok + i * SLOT;
            sha256_fast(t, strlen(t), digests + i * 32);
        }
        floor_build(digests, n);
        progress("building the naive SQLite table (one transaction)");
        naive = naive_build(naive_path, digests, n, &naive_build_s);
        free(digests);
    }

    /* Pools derived from the tokens. */
    pool unknown = pool_new(unk_n), malformed = pool_new(unk_n), fresh = pool_new(unk_n);
    for (size_t i = 0; i < unk_n; i++) {
        make_unknown(unknown.tok + i * SLOT, "tka", 's');
        make_malformed(malformed.tok + i * SLOT, tokens.tok + ((i * 7919u) % n) * SLOT);
    }
    size_t cold_cap = n;
    uint32_t *cold_ns = xmalloc(cold_cap * sizeof *cold_ns);
    memset(cold_ns, 0, cold_cap * sizeof *cold_ns);

    for (int run = 0; run < runs; run++) {
        progress("run %d/%d", run + 1, runs);
        /* A fresh shuffled order per run, shared by the floor and the library. */
        pool_shuffle(&tokens);
        pool_shuffle(&unknown);
        pool_shuffle(&malformed);
        pool_shuffle(&rated);
        pool_shuffle(&limited);
        pool_shuffle(&small);
        pool_shuffle(&qualified);
        for (size_t i = 0; i < unk_n; i++) make_unknown(fresh.tok + i * SLOT, "tka", 's');
        pool_shuffle(&fresh);

        /* ta_open of the N-token database: median of 5 opens. */
        {
            double o[5];
            for (int k = 0; k < 5; k++) {
                uint64_t t0 = now_ns();
                ta_store *s = open_store(db_path, (size_t)-1);
                o[k] = (double)(now_ns() - t0);
                ta_close(s);
            }
            put(M_OPEN, median(o, 5));
        }

        /* The floor. */
        put_t(M_FLOOR_MISS, floor_loop(&unknown, 0, warm_ops, ops, false, 0));

        /* Cold: every token's first verify after ta_open, timed one by one; RSS before and after. */
        malloc_trim(0);
        ta_store *s = open_store(db_path, index_limit);
        malloc_trim(0);
        long rss0 = rss_bytes();
        {
            ta_verdict v;
            size_t bad = 0;
            int bst = 0;
            double sum = 0;
            for (size_t i = 0; i < n; i++) {
                const char *t = pool_at(&tokens, i);
                uint64_t t0 = now_ns();
                ta_status st = ta_verify(s, t, "tickets:read", &v);
                uint64_t dt = now_ns() - t0;
                cold_ns[i] = dt > UINT32_MAX ? UINT32_MAX : (uint32_t)dt;
                sum += (double)dt;
                if (st != TA_OK) bad++, bst = (int)st;
            }
            qsort(cold_ns, n, sizeof *cold_ns, cmp_u32);
            put(M_COLD_MEAN, sum / (double)n);
            put(M_COLD_P50, cold_ns[n / 2]);
            put(M_COLD_P99, cold_ns[(size_t)((double)n * 0.99)]);
            put(M_COLD_MAX, cold_ns[n - 1]);
            bad_total[M_COLD_MEAN] += bad;
            if (bad) bad_status[M_COLD_MEAN] = bst;
        }
        if (ta_flush(s) != TA_OK) die("ta_flush: %s", ta_last_error());
        malloc_trim(0);
        long rss1 = rss_bytes();
        put(M_RSS_TOKEN, ((double)rss1 - (double)rss0) / (double)n);

        /* Hot and the denials, on the warmed handle, each in slices alternating with the floor. */
        paired(M_HOT, s, &tokens, "tickets:read", TA_OK, &tokens, ops, warm_ops);
        put(M_FLOOR, paired_floor[M_HOT][nres[M_HOT] - 1]); /* the floor row: the one measured with hot */
        paired(M_HOT_NOSCOPE, s, &tokens, NULL, TA_OK, &tokens, ops, warm_ops);
        /* Unknown, repeated: one untimed pass over the pool first (whatever the library remembers). */
        {
            ta_verdict v;
            for (size_t i = 0; i < unk_n; i++) (void)ta_verify(s, pool_at(&unknown, i), "tickets:read", &v);
        }
        paired(M_UNK_REP, s, &unknown, "tickets:read", TA_UNKNOWN_TOKEN, &tokens, ops, warm_ops);
        /* Unknown, first sight: each token of a new pool presented once (a flood of fresh guesses). */
        paired(M_UNK_NEW, s, &fresh, "tickets:read", TA_UNKNOWN_TOKEN, &tokens, unk_n, 0);
        paired(M_MALFORMED, s, &malformed, "tickets:read", TA_MALFORMED, &tokens, ops, warm_ops);
        paired(M_FORBIDDEN, s, &tokens, "tickets:write", TA_FORBIDDEN, &tokens, ops, warm_ops);
        {
            ta_verdict v; /* the first verify of each takes its only unit */
            for (size_t i = 0; i < rate_n; i++) (void)ta_verify(s, pool_at(&rated, i), "tickets:read", &v);
        }
        paired(M_RATE, s, &rated, "tickets:read", TA_RATE_LIMITED, &tokens, ops, warm_ops);
        /* Rate-limited tokens that pass, against unlimited ones of a pool of the same size (so that
           both fit the caches alike): the host's shared buckets, then this handle's own. */
        paired(M_HOT_SMALL, s, &small, "tickets:read", TA_OK, &tokens, ops, warm_ops);
        paired(M_LIMITED_HOST, s, &limited, "tickets:read", TA_OK, &tokens, ops, warm_ops);
        if (ta_set_rate_limit_policy(s, TA_RATE_LIMIT_PER_HANDLE) != TA_OK) die("ta_set_rate_limit_policy: %s", ta_last_error());
        paired(M_LIMITED_HANDLE, s, &limited, "tickets:read", TA_OK, &tokens, ops, warm_ops);
        if (ta_set_rate_limit_policy(s, TA_RATE_LIMIT_SHARED) != TA_OK) die("ta_set_rate_limit_policy: %s", ta_last_error());
        resource = "project/42/tickets/7";
        paired(M_QUALIFIED, s, &qualified, "tickets:read", TA_OK, &tokens, ops, warm_ops);
        resource = NULL;

        /* 1 and T threads, hot, and the floor the same way for reference: interleaved in slices. */
        {
            size_t per = ops / 2 / SLICES, bad = 0, fbad = 0;
            double l1 = 0, ln = 0, f1 = 0, fn = 0;
            for (int k = 0; k < SLICES; k++) {
                size_t at = (size_t)k * per;
                l1 += (double)per / threaded(1, true, NULL, s, &tokens, at, per, &bad);
                ln += (double)per * nthreads / threaded(nthreads, true, NULL, s, &tokens, at, per, &bad);
                f1 += (double)per / threaded(1, false, NULL, s, &tokens, at, per, &fbad);
                fn += (double)per * nthreads / threaded(nthreads, false, NULL, s, &tokens, at, per, &fbad);
            }
            /* Seconds in total over operations in total, as ns per verify. */
            put(M_T1, l1 * 1e9 / ((double)per * SLICES));
            put(M_TN, ln * 1e9 / ((double)per * SLICES * nthreads));
            put(M_FLOOR_T1, f1 * 1e9 / ((double)per * SLICES));
            put(M_FLOOR_TN, fn * 1e9 / ((double)per * SLICES * nthreads));
            bad_total[M_TN] += bad;
            if (bad) bad_status[M_TN] = TA_UNKNOWN_TOKEN;
            bad_total[M_FLOOR_TN] += fbad;
        }
        /* A gateway's request: verify alone vs verify + ta_record_usage, for one hot token (every
           request by the same integration) and for a working set of tokens in turn; then verify +
           record_usage on 1 and T threads over that working set. */
        {
            pool one = tokens, set = tokens;
            one.n = 1;
            set.n = record_set;
            paired_record(M_ONE_ALONE, M_ONE_RECORD, s, &one, ops, warm_ops);
            paired_record(M_SET_ALONE, M_SET_RECORD, s, &set, ops, warm_ops);
            size_t per = ops / 2 / SLICES, bad = 0;
            double l1 = 0, ln = 0;
            for (int k = 0; k < SLICES; k++) {
                size_t at = (size_t)k * per;
                l1 += (double)per / threaded(1, true, OPERATION, s, &set, at, per, &bad);
                ln += (double)per * nthreads / threaded(nthreads, true, OPERATION, s, &set, at, per, &bad);
            }
            put(M_REC_T1, l1 * 1e9 / ((double)per * SLICES));
            put(M_REC_TN, ln * 1e9 / ((double)per * SLICES * nthreads));
            bad_total[M_REC_TN] += bad;
            if (bad) bad_status[M_REC_TN] = TA_NOT_FOUND;
        }
        {
            /* The database's WAL file as the measurements leave it (before ta_close). */
            char wal[4300];
            struct stat stw;
            snprintf(wal, sizeof wal, "%s-wal", db_path);
            if (stat(wal, &stw) == 0 && (double)stw.st_size > wal_max) wal_max = (double)stw.st_size;
        }
        uint64_t tc = now_ns();
        ta_close(s);
        put(M_CLOSE, (double)(now_ns() - tc));

        /* The naive baseline: SELECT only, then SELECT + UPDATE with synchronous NORMAL and FULL. */
        {
            size_t nops = ops < 200000 ? ops : 200000;
            uint64_t cap = (uint64_t)naive_ms * 1000000u;
            sql_exec(naive, "PRAGMA synchronous=NORMAL");
            put_t(M_NAIVE_SEL, naive_loop(naive, &tokens, 0, nops, cap, false));
            put_t(M_NAIVE_NORMAL, naive_loop(naive, &tokens, nops, nops, cap, true));
            if (naive_full) {
                sql_exec(naive, "PRAGMA synchronous=FULL");
                put_t(M_NAIVE_FULL, naive_loop(naive, &tokens, 2 * nops, nops, cap, true));
            }
        }
    }

    /* ---- the table */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double load[3] = {0, 0, 0};
    getloadavg(load, 3);
    char rt[160], tg[64];
    printf("\n## N = %zu tokens, median of %d run(s)\n\n", n, runs);
    printf("| measurement | median | rate | per run (µs) | ratio | target | result |\n");
    printf("|---|---|---|---|---|---|---|\n");
    row("floor: SHA-256 (stack context) + open-addressing lookup + CRYPTO_memcmp (measured alongside hot)", M_FLOOR,
        "1.00× (baseline)", NULL, -1);
    snprintf(rt, sizeof rt, "%.2f× floor", ratio(M_FLOOR_MISS, M_FLOOR));
    row("floor, digest not in the table", M_FLOOR_MISS, rt, NULL, -1);
    double r;
    r = ratio_paired(M_HOT);
    snprintf(rt, sizeof rt, "%.2f× floor", r);
    row("ta_verify hot (seen before, scope \"tickets:read\")", M_HOT, rt, "≤ 2.0× floor", r <= 2.0);
    snprintf(rt, sizeof rt, "%.2f× floor", ratio_paired(M_HOT_NOSCOPE));
    row("ta_verify hot, no required scope", M_HOT_NOSCOPE, rt, NULL, -1);
    r = ratio_paired(M_UNK_REP);
    snprintf(rt, sizeof rt, "%.2f× floor", r);
    row("ta_verify unknown well-formed, repeated (pool seen once before)", M_UNK_REP, rt, "≤ 2.0× floor", r <= 2.0);
    r = ratio_paired(M_UNK_NEW);
    snprintf(rt, sizeof rt, "%.2f× floor", r);
    row("ta_verify unknown well-formed, first sight (flood of fresh guesses)", M_UNK_NEW, rt, "≤ 2.0× floor", r <= 2.0);
    r = ratio_paired(M_MALFORMED);
    snprintf(rt, sizeof rt, "%.2f× floor", r);
    row("ta_verify malformed (bad checksum)", M_MALFORMED, rt, "≤ 0.5× floor", r <= 0.5);
    snprintf(rt, sizeof rt, "%.2f× floor", ratio_paired(M_FORBIDDEN));
    row("ta_verify forbidden (scope missing)", M_FORBIDDEN, rt, NULL, -1);
    snprintf(rt, sizeof rt, "%.2f× floor", ratio_paired(M_RATE));
    row("ta_verify rate-limited (rate_limit 1, exhausted)", M_RATE, rt, NULL, -1);
    {
        char what[128];
        double unlimited = ratio_paired(M_HOT_SMALL);
        snprintf(rt, sizeof rt, "%.2f× floor", unlimited);
        snprintf(what, sizeof what, "ta_verify hot, unlimited, a pool of %zu tokens (the baseline of the next two)", rate_n);
        row(what, M_HOT_SMALL, rt, NULL, -1);
        r = ratio_paired(M_LIMITED_HOST) / unlimited;
        snprintf(rt, sizeof rt, "%.2f× unlimited (%.2f× floor)", r, ratio_paired(M_LIMITED_HOST));
        row("ta_verify hot, rate-limited, passing: bucket shared by the host's processes (default)", M_LIMITED_HOST, rt,
            "≤ 1.25× unlimited", r <= 1.25);
        snprintf(rt, sizeof rt, "%.2f× unlimited (%.2f× floor)", ratio_paired(M_LIMITED_HANDLE) / unlimited,
                 ratio_paired(M_LIMITED_HANDLE));
        row("ta_verify hot, rate-limited, passing: this handle's bucket (TA_RATE_LIMIT_PER_HANDLE)", M_LIMITED_HANDLE, rt,
            NULL, -1);
        r = ratio_paired(M_QUALIFIED) / unlimited;
        snprintf(rt, sizeof rt, "%.2f× unqualified (%.2f× floor)", r, ratio_paired(M_QUALIFIED));
        row("ta_verify_resource hot: 4 grants qualified with a pattern, the 4th covering the resource", M_QUALIFIED, rt,
            "≤ 1.3× unqualified", r <= 1.3);
    }
    snprintf(rt, sizeof rt, "%.1f× floor", ratio(M_COLD_MEAN, M_FLOOR));
    row("ta_verify cold (first verify after ta_open): mean", M_COLD_MEAN, rt, NULL, -1);
    row("ta_verify cold: p50", M_COLD_P50, NULL, NULL, -1);
    r = med(M_COLD_P99);
    row("ta_verify cold: p99", M_COLD_P99, NULL, "≤ 20 µs", r <= 20000);
    row("ta_verify cold: max", M_COLD_MAX, NULL, NULL, -1);
    row("hot, 1 thread (per verify, from throughput)", M_T1, NULL, NULL, -1);
    r = ratio(M_T1, M_TN);
    snprintf(rt, sizeof rt, "%.2f× one thread's throughput (the floor's, alongside: %.2f×)", r,
             ratio(M_FLOOR_T1, M_FLOOR_TN));
    snprintf(tg, sizeof tg, "≥ 1.6×");
    {
        char what[96];
        snprintf(what, sizeof what, "hot, %d threads (per verify, from total throughput)", nthreads);
        row(what, M_TN, rt, tg, r >= 1.6);
        snprintf(rt, sizeof rt, "%.2f× (floor's own scaling)", ratio(M_FLOOR_T1, M_FLOOR_TN));
        snprintf(what, sizeof what, "floor, %d threads (reference)", nthreads);
        row(what, M_FLOOR_TN, rt, NULL, -1);
    }
    {
        char what[128];
        row("verify alone, one hot token (a gateway's request without usage)", M_ONE_ALONE, "1.00× (baseline)", NULL,
            -1);
        r = added_share(M_ONE_RECORD, M_ONE_ALONE);
        snprintf(rt, sizeof rt, "record_usage adds %.2f× a verify", r);
        row("verify + record_usage, one hot token (what a gateway does per request)", M_ONE_RECORD, rt,
            "record_usage ≤ 1.0× a verify", r <= 1.0);
        snprintf(what, sizeof what, "verify alone, %zu tokens in turn", record_set);
        row(what, M_SET_ALONE, "1.00× (baseline)", NULL, -1);
        r = added_share(M_SET_RECORD, M_SET_ALONE);
        snprintf(rt, sizeof rt, "record_usage adds %.2f× a verify", r);
        snprintf(what, sizeof what, "verify + record_usage, %zu tokens in turn", record_set);
        row(what, M_SET_RECORD, rt, "record_usage ≤ 1.0× a verify", r <= 1.0);
        row("verify + record_usage, 1 thread (per request, from throughput)", M_REC_T1, NULL, NULL, -1);
        r = ratio(M_REC_T1, M_REC_TN);
        snprintf(rt, sizeof rt, "%.2f× one thread's throughput", r);
        snprintf(what, sizeof what, "verify + record_usage, %d threads (per request, from total throughput)",
                 nthreads);
        row(what, M_REC_TN, rt, "≥ 1.6×", r >= 1.6);
    }
    snprintf(rt, sizeof rt, "%.0f× floor", ratio(M_NAIVE_SEL, M_FLOOR));
    row("naive SQLite: SHA-256 + prepared SELECT by digest only", M_NAIVE_SEL, rt, NULL, -1);
    r = ratio(M_NAIVE_NORMAL, M_HOT);
    snprintf(rt, sizeof rt, "%.0f× floor; hot is %.0f× faster", ratio(M_NAIVE_NORMAL, M_FLOOR), r);
    row("naive SQLite: SELECT + UPDATE last_used, WAL, synchronous=NORMAL", M_NAIVE_NORMAL, rt, "hot ≥ 20× faster",
        r >= 20);
    if (naive_full) {
        r = ratio(M_NAIVE_FULL, M_HOT);
        snprintf(rt, sizeof rt, "%.0f× floor; hot is %.0f× faster", ratio(M_NAIVE_FULL, M_FLOOR), r);
        row("naive SQLite: SELECT + UPDATE last_used, WAL, synchronous=FULL", M_NAIVE_FULL, rt, "hot ≥ 20× faster",
            r >= 20);
    }
    r = med(M_OPEN);
    {
        char what[96];
        snprintf(what, sizeof what, "ta_open of the %zu-token database (median of 5 opens per run)", n);
        row(what, M_OPEN, NULL, "≤ 100 ms", r <= 100e6);
    }
    printf("\nRatios \"× floor\" of the ta_verify rows are the median of per-run ratios against the floor measured in "
           "%d slices alternating with that row (same token set, same shuffled order); thread rows interleave 1 and %d "
           "threads, library and floor, in %d slices.\n", SLICES, nthreads, SLICES);
    printf("\n| other | value | target | result |\n|---|---|---|---|\n");
    double rate = (double)batch_n / batch_s;
    printf("| token creation (ta_token_create_batch, %d per call, actor NULL, service; tokens 1 to %zu) | %zu in %.1f s "
           "= %.0f tokens/s | ≥ 20,000/s | %s |\n",
           TA_BATCH_MAX, batch_n, batch_n, batch_s, rate, rate >= 20000 ? "PASS" : "**MISS**");
    rate = (double)single_n / single_s;
    printf("| token creation, one ta_token_create call per token (tokens %zu to %zu) (for information) | %zu in %.2f s "
           "= %.0f tokens/s | ≥ 20,000/s | %s |\n",
           batch_n + 1, n, single_n, single_s, rate, rate >= 20000 ? "PASS" : "**MISS**");
    r = med(M_RSS_TOKEN);
    {
        char per[128] = "";
        for (int i = 0; i < nres[M_RSS_TOKEN]; i++)
            snprintf(per + strlen(per), sizeof per - strlen(per), "%s%.0f", i ? " / " : "", res[M_RSS_TOKEN][i]);
        printf("| RSS per cached token ((RSS after warming all N) − (RSS after ta_open)) / N | %.0f bytes (runs: %s) "
               "| ≤ 300 bytes | %s |\n", r, per, r <= 300 ? "PASS" : "**MISS**");
    }
    printf("| peak RSS of the benchmark process (getrusage; includes the floor table, the naive "
           "database's cache and %zu secrets) | %.1f MiB | | |\n", n, (double)ru.ru_maxrss / 1024.0);
    printf("| ta_close of the measured handle (writes the usage still buffered; median of runs) | %.1f ms | | |\n",
           med(M_CLOSE) / 1e6);
    printf("| largest WAL file of the token database before ta_close | %.1f MiB | | |\n", wal_max / 1048576.0);
    printf("| naive table build (one transaction, %zu rows + unique index) | %.1f s | | |\n", n, naive_build_s);
    printf("\nload average at the end: %.2f %.2f %.2f\n", load[0], load[1], load[2]);

    /* ---- clean up: secrets wiped, databases removed */
    sqlite3_close(naive);
    pool_free(&tokens);
    pool_free(&rated);
    pool_free(&limited);
    pool_free(&small);
    pool_free(&qualified);
    pool_free(&unknown);
    pool_free(&malformed);
    pool_free(&fresh);
    free(ftab);
    free(cold_ns);
    remove_db(db_path);
    remove_db(naive_path);
    if (made_dir) rmdir(dir);
    return 0;
}

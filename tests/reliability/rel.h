/*
 * Shared helpers of libtokenauth's reliability tests and fuzz targets (C11 + POSIX).
 *
 *  - counters: CHECK / CHECK_STATUS count a pass or a failure; REQUIRE stops the program;
 *    rel_finish() prints "N passed, N failed" and returns the exit status;
 *  - a strict JSON checker (RFC 8259: structure, numbers, escapes, control characters and UTF-8
 *    inside strings) plus a top-level member lookup that never matches inside a string;
 *  - a strict UTF-8 checker, a monotonic clock, a small PRNG, temporary directories, whole-file
 *    reads, and a forger of well-formed tokens (CRC-32 + base62, the contract's public format).
 *
 * Everything is static inline: each test is one translation unit.
 */
#ifndef TA_REL_H
#define TA_REL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tokenauth.h"

/* ---------------------------------------------------------------- pass / fail counters */

#include "../common/checks.h"
#define rel_passed tc_passed
#define rel_failed tc_failed
#define rel_result tc_result
static const char *rel_name = "reliability";

/* Fatal: the rest of the program cannot run. */
#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: FATAL: %s (ta_last_error: \"%s\")\n", __FILE__, __LINE__,      \
                    #cond, ta_last_error());                                                       \
            exit(99);                                                                              \
        }                                                                                          \
    } while (0)

static inline void rel_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("    %s: ", rel_name);
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
}

static inline int rel_finish(void)
{
    printf("%d passed, %d failed\n", rel_passed, rel_failed);
    return rel_failed == 0 ? 0 : 1;
}

/* ---------------------------------------------------------------- time, randomness, environment */

static inline int64_t rel_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t rel_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void rel_sleep_ms(int64_t ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* xorshift64*: reproducible from a printed seed. */
static inline uint64_t rel_rand(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static inline unsigned rel_below(uint64_t *state, unsigned n)
{
    return n ? (unsigned)(rel_rand(state) % n) : 0;
}

/* An integer from the environment (e.g. REL_KILLS=50), or `fallback`. */
static inline long rel_env_long(const char *name, long fallback)
{
    const char *v = getenv(name);
    char *end;
    long x;
    if (!v || !*v)
        return fallback;
    x = strtol(v, &end, 10);
    return (*end || x < 0) ? fallback : x;
}

static inline uint64_t rel_seed(void)
{
    long s = rel_env_long("REL_SEED", 0);
    if (s)
        return (uint64_t)s;
    return (uint64_t)rel_wall_ms() ^ ((uint64_t)getpid() << 32);
}

/* ---------------------------------------------------------------- files */

static char rel_dir[128];

static inline void rel_remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];
    struct stat st;
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
            continue;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            chmod(path, 0700);
            rel_remove_tree(path);
        } else {
            remove(path);
        }
    }
    closedir(d);
    rmdir(dir);
}

static pid_t rel_dir_owner;

static inline void rel_cleanup(void)
{
    if (rel_dir[0] && getpid() == rel_dir_owner && !getenv("REL_KEEP"))
        rel_remove_tree(rel_dir);
}

/* A fresh directory for this program, removed at exit (keep it with REL_KEEP=1). */
static inline const char *rel_tmpdir(void)
{
    if (!rel_dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(rel_dir, sizeof rel_dir, "%s/tarel-XXXXXX", base && strlen(base) < 80 ? base : "/tmp");
        if (!mkdtemp(rel_dir)) {
            perror("mkdtemp");
            exit(99);
        }
        chmod(rel_dir, 0755);
        rel_dir_owner = getpid();
        atexit(rel_cleanup);
    }
    return rel_dir;
}

/* "<tmpdir>/<name>" in a static buffer (8 slots, reused round-robin). */
static inline const char *rel_path(const char *name)
{
    static char paths[8][256];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 256, "%s/%s", rel_tmpdir(), name);
    return p;
}

/* The whole file, malloc'ed and NUL-terminated (its length in *len); NULL if it cannot be read. */
static inline char *rel_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, r;
    if (!f)
        return NULL;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            char *bigger;
            cap = (n + 65536 + 1) * 2;
            bigger = realloc(buf, cap);
            if (!bigger) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = bigger;
        }
        r = fread(buf + n, 1, 65536, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static inline long long rel_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static inline int rel_copy_file(const char *from, const char *to)
{
    size_t n;
    char *buf = rel_read_file(from, &n);
    FILE *f;
    int ok;
    if (!buf)
        return 0;
    f = fopen(to, "wb");
    ok = f && fwrite(buf, 1, n, f) == n;
    if (f && fclose(f) != 0)
        ok = 0;
    free(buf);
    return ok;
}

/* ---------------------------------------------------------------- UTF-8 and JSON */

#include "../common/json_check.h"
#define rel_utf8_valid jc_utf8_valid
#define rel_json_value jc_json_value
#define rel_json_ws jc_json_ws
#define rel_json_string jc_json_string
#define rel_json_valid jc_json_valid

/* The value of member `key` of the object starting at `obj` (top level of that object only), or
   NULL. `key` must not need escaping. */
static inline const char *rel_json_member(const char *obj, const char *key)
{
    const char *p = rel_json_ws(obj);
    size_t klen = strlen(key);
    if (*p != '{')
        return NULL;
    p = rel_json_ws(p + 1);
    while (*p == '"') {
        const char *kend = rel_json_string(p);
        const char *v;
        if (!kend)
            return NULL;
        v = rel_json_ws(kend);
        if (*v != ':')
            return NULL;
        v = rel_json_ws(v + 1);
        if ((size_t)(kend - p) == klen + 2 && strncmp(p + 1, key, klen) == 0)
            return v;
        p = rel_json_value(v, 1);
        if (!p)
            return NULL;
        p = rel_json_ws(p);
        if (*p != ',')
            return NULL;
        p = rel_json_ws(p + 1);
    }
    return NULL;
}

/* Member `key` of the object at `obj` as an integer; `fallback` if absent or not a number. */
static inline long long rel_json_int(const char *obj, const char *key, long long fallback)
{
    const char *v = rel_json_member(obj, key);
    char *end;
    long long x;
    if (!v || !((*v >= '0' && *v <= '9') || *v == '-'))
        return fallback;
    x = strtoll(v, &end, 10);
    return end == v ? fallback : x;
}

/* 1 when member `key` of the object at `obj` is the JSON string `want` (no escapes in `want`). */
static inline int rel_json_str_is(const char *obj, const char *key, const char *want)
{
    const char *v = rel_json_member(obj, key);
    size_t n = strlen(want);
    return v && *v == '"' && strncmp(v + 1, want, n) == 0 && v[1 + n] == '"';
}

/* Calls `fn` for each element of the top-level array `s`; returns the count, -1 if not an array. */
static inline int rel_json_each(const char *s, void (*fn)(const char *element, void *ctx), void *ctx)
{
    const char *p = rel_json_ws(s);
    int n = 0;
    if (*p != '[')
        return -1;
    p = rel_json_ws(p + 1);
    if (*p == ']')
        return 0;
    for (;;) {
        const char *e = rel_json_value(p, 1);
        if (!e)
            return -1;
        if (fn)
            fn(p, ctx);
        n++;
        p = rel_json_ws(e);
        if (*p == ']')
            return n;
        if (*p != ',')
            return -1;
        p = rel_json_ws(p + 1);
    }
}

/* 1 when the array value at `arr` contains the JSON string `item` (no escapes in `item`). */
static inline int rel_json_array_has(const char *arr, const char *item)
{
    const char *p = rel_json_ws(arr);
    size_t n = strlen(item);
    if (*p != '[')
        return 0;
    p = rel_json_ws(p + 1);
    while (*p && *p != ']') {
        const char *e = rel_json_value(p, 1);
        if (!e)
            return 0;
        if (*p == '"' && (size_t)(e - p) == n + 2 && strncmp(p + 1, item, n) == 0)
            return 1;
        p = rel_json_ws(e);
        if (*p == ',')
            p = rel_json_ws(p + 1);
    }
    return 0;
}

/* ---------------------------------------------------------------- the public token format */

static const char rel_b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static inline uint32_t rel_crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

/* Appends the 6-digit base62 CRC-32 of out[0..len) to `out` (which has room for 7 more bytes). */
static inline void rel_append_checksum(char *out, size_t len)
{
    uint32_t crc = rel_crc32((const unsigned char *)out, len);
    for (int i = 5; i >= 0; i--) {
        out[len + (size_t)i] = rel_b62[crc % 62];
        crc /= 62;
    }
    out[len + 6] = '\0';
}

/* A well-formed token "<prefix><kind>_<body><crc>" of `body` (any bytes; the caller decides). */
static inline void rel_forge(char *out, size_t cap, const char *prefix, char kind, const char *body)
{
    size_t len;
    snprintf(out, cap > 7 ? cap - 7 : 0, "%s%c_%s", prefix, kind, body);
    len = strlen(out);
    rel_append_checksum(out, len);
}

/* The random part of a token of `prefix_len` prefix characters (a pointer into `token`, length
   strlen(token) - prefix_len - 2 - 6 in *len). */
static inline const char *rel_random_part(const char *token, size_t prefix_len, size_t *len)
{
    size_t n = strlen(token);
    *len = n > prefix_len + 8 ? n - prefix_len - 8 : 0;
    return token + prefix_len + 2;
}

/* Opens a store or exits. */
static inline ta_store *rel_open(const char *path, const ta_config *config)
{
    ta_store *store = NULL;
    ta_status s = ta_open(path, config, &store);
    if (s != TA_OK || !store) {
        fprintf(stderr, "%s: cannot open %s: %s (%s)\n", rel_name, path, ta_status_name(s), ta_last_error());
        exit(99);
    }
    return store;
}

#endif /* TA_REL_H */

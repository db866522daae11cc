/*
 * A tiny test harness for libtokenauth's C tests (strict C99 + POSIX).
 *
 * Every CHECK counts one pass or one failure; a failure prints where and why (with ta_last_error()
 * for status checks). finish() prints the closing line "N passed, N failed" alone on a line and
 * returns the exit status. Also: a temporary directory per program, a strict JSON syntax checker
 * with field lookups (the library's JSON must be real JSON), and a forger of well-formed tokens
 * (CRC-32 + base62, as the contract's token format describes) for TA_UNKNOWN_TOKEN cases.
 */
#ifndef TA_TEST_HARNESS_H
#define TA_TEST_HARNESS_H

#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tokenauth.h"

#include "../common/checks.h"
#define th_passed tc_passed
#define th_failed tc_failed
#define th_result tc_result

#define CHECK_STR(got, want) th_check_str((got), (want), __FILE__, __LINE__, #got)
static inline void th_check_str(const char *got, const char *want, const char *file, int line,
                                const char *what)
{
    if (got && want && strcmp(got, want) == 0) {
        th_passed++;
        return;
    }
    th_failed++;
    fprintf(stderr, "%s:%d: FAIL: %s\n    expected \"%s\", got \"%s\"\n", file, line, what,
            want ? want : "(null)", got ? got : "(null)");
}

#define CHECK_INT(got, want) th_check_int((long long)(got), (long long)(want), __FILE__, __LINE__, #got)
static inline void th_check_int(long long got, long long want, const char *file, int line,
                                const char *what)
{
    if (got == want) {
        th_passed++;
        return;
    }
    th_failed++;
    fprintf(stderr, "%s:%d: FAIL: %s\n    expected %lld, got %lld\n", file, line, what, want, got);
}

/* Prints a JSON document that made a check fail (truncated), to help whoever reads the log. */
#define SHOW_JSON(label, json) \
    fprintf(stderr, "    %s: %.600s%s\n", (label), (json) ? (json) : "(null)", \
            ((json) && strlen(json) > 600) ? "…" : "")

static inline int finish(void)
{
    printf("%d passed, %d failed\n", th_passed, th_failed);
    return th_failed == 0 ? 0 : 1;
}

/* ---------------------------------------------------------------- a temporary directory */

static char th_dir[64];

static inline void th_remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        remove(path);
    }
    closedir(d);
    rmdir(dir);
}

static inline void th_cleanup(void)
{
    if (th_dir[0] && !getenv("TA_TEST_KEEP"))
        th_remove_tree(th_dir);
}

/* A fresh directory for this program, removed at exit (keep it with TA_TEST_KEEP=1). */
static inline const char *th_tmpdir(void)
{
    if (!th_dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(th_dir, sizeof th_dir, "%s/tatest-XXXXXX", base && strlen(base) < 40 ? base : "/tmp");
        if (!mkdtemp(th_dir)) {
            perror("mkdtemp");
            exit(99);
        }
        atexit(th_cleanup);
    }
    return th_dir;
}

/* A path for a database file named `name` inside the temporary directory (static buffer per slot). */
static inline const char *th_db_path(const char *name)
{
    static char paths[8][256];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 256, "%s/%s", th_tmpdir(), name);
    return p;
}

/* A token spec with a name, a kind and scopes; every other field zero (no expiry, no rate limit). */
static inline ta_token_spec th_spec(const char *name, ta_token_kind kind, const char *scopes)
{
    ta_token_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.name = name;
    spec.kind = kind;
    spec.scopes = scopes;
    return spec;
}

/* Opens a store or exits: the rest of a program cannot run without it. */
static inline ta_store *th_open(const char *path, const ta_config *config)
{
    ta_store *store = NULL;
    ta_status s = ta_open(path, config, &store);
    if (s != TA_OK || !store) {
        fprintf(stderr, "cannot open %s: %s (%s)\n", path, ta_status_name(s), ta_last_error());
        exit(99);
    }
    return store;
}

/* ---------------------------------------------------------------- JSON */

#include "../common/json_check.h"
#define th_json_value jc_json_value
#define th_json_ws jc_json_ws
#define th_json_string jc_json_string
#define json_valid jc_json_valid

/* The number of elements of a top-level JSON array; -1 if `s` is not a valid array. */
static inline int json_array_len(const char *s)
{
    const char *p;
    int n = 0;
    if (!json_valid(s))
        return -1;
    p = th_json_ws(s);
    if (*p != '[')
        return -1;
    p = th_json_ws(p + 1);
    if (*p == ']')
        return 0;
    for (;;) {
        p = th_json_ws(th_json_value(p, 1));
        n++;
        if (*p == ']')
            return n;
        p = th_json_ws(p + 1);
    }
}

/* The value of the first member named `key` anywhere in `s` (a textual search for "key" followed
   by ':'), or NULL. Good enough for the flat objects the tests look at. */
static inline const char *json_get(const char *s, const char *key)
{
    size_t klen = strlen(key);
    const char *p = s;
    if (!s)
        return NULL;
    while ((p = strchr(p, '"')) != NULL) {
        if (strncmp(p + 1, key, klen) == 0 && p[1 + klen] == '"') {
            const char *q = th_json_ws(p + 2 + klen);
            if (*q == ':')
                return th_json_ws(q + 1);
        }
        /* skip this whole string so that a key is never matched inside a string value */
        {
            const char *e = th_json_string(p);
            if (!e)
                return NULL;
            p = e;
        }
    }
    return NULL;
}

/* Copies the first value named `key` (its JSON text, e.g. "\"active\"", "null", "[..]") into buf. */
static inline int json_get_raw(const char *s, const char *key, char *buf, size_t n)
{
    const char *v = json_get(s, key), *e;
    size_t len;
    if (!v || !(e = th_json_value(v, 1)))
        return 0;
    len = (size_t)(e - v);
    if (len >= n)
        len = n - 1;
    memcpy(buf, v, len);
    buf[len] = '\0';
    return 1;
}

/* 1 when the first `key` is a JSON string equal to `want` (no escapes in `want`). */
static inline int json_str_is(const char *s, const char *key, const char *want)
{
    const char *v = json_get(s, key);
    size_t n = strlen(want);
    return v && *v == '"' && strncmp(v + 1, want, n) == 0 && v[1 + n] == '"';
}

/* 1 when the first `key`'s JSON text is exactly `literal` (null, true, false, 3, ...). */
static inline int json_raw_is(const char *s, const char *key, const char *literal)
{
    char buf[256];
    return json_get_raw(s, key, buf, sizeof buf) && strcmp(buf, literal) == 0;
}

/* The first `key` as an integer; `fallback` if it is absent or not a number. */
static inline long long json_int(const char *s, const char *key, long long fallback)
{
    const char *v = json_get(s, key);
    char *end;
    long long x;
    if (!v || !((*v >= '0' && *v <= '9') || *v == '-'))
        return fallback;
    x = strtoll(v, &end, 10);
    return end == v ? fallback : x;
}

/* 1 when the first `key` is an array (or object) whose text contains the JSON string "item". */
static inline int json_has_item(const char *s, const char *key, const char *item)
{
    char buf[8192], quoted[300];
    if (!json_get_raw(s, key, buf, sizeof buf) || (buf[0] != '[' && buf[0] != '{'))
        return 0;
    snprintf(quoted, sizeof quoted, "\"%s\"", item);
    return strstr(buf, quoted) != NULL;
}

/* 1 when the first `key` is an array with exactly `n` elements. */
static inline int json_len_is(const char *s, const char *key, int n)
{
    char buf[8192];
    return json_get_raw(s, key, buf, sizeof buf) && json_array_len(buf) == n;
}

/* The element of the top-level array `s` whose `key` is the string `value`, as a malloc'ed copy
   (release with free), or NULL. */
static inline char *json_find_object(const char *s, const char *key, const char *value)
{
    const char *p, *e;
    if (json_array_len(s) <= 0)
        return NULL;
    p = th_json_ws(th_json_ws(s) + 1);
    for (;;) {
        char *copy;
        size_t n;
        e = th_json_value(p, 1);
        n = (size_t)(e - p);
        copy = malloc(n + 1);
        if (!copy)
            return NULL;
        memcpy(copy, p, n);
        copy[n] = '\0';
        if (json_str_is(copy, key, value))
            return copy;
        free(copy);
        p = th_json_ws(e);
        if (*p == ']')
            return NULL;
        p = th_json_ws(p + 1);
    }
}

/* The number of elements of the top-level array `s` whose `key` is the string `value`. */
static inline int json_count_objects(const char *s, const char *key, const char *value)
{
    const char *p, *e;
    int count = 0;
    if (json_array_len(s) <= 0)
        return 0;
    p = th_json_ws(th_json_ws(s) + 1);
    for (;;) {
        char *copy;
        size_t n;
        e = th_json_value(p, 1);
        n = (size_t)(e - p);
        copy = malloc(n + 1);
        if (!copy)
            return count;
        memcpy(copy, p, n);
        copy[n] = '\0';
        count += json_str_is(copy, key, value);
        free(copy);
        p = th_json_ws(e);
        if (*p == ']')
            return count;
        p = th_json_ws(p + 1);
    }
}

/* 1 when `needle` occurs in the n bytes at `hay` (memmem is not C99). */
static inline int th_contains(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle), i;
    if (m == 0 || m > n)
        return 0;
    for (i = 0; i + m <= n; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0)
            return 1;
    return 0;
}

/* 1 when the file at `path` contains `needle` (a missing file contains nothing). */
static inline int th_file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    int found;
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return 0;
    }
    fclose(f);
    found = th_contains(buf, (size_t)n, needle);
    free(buf);
    return found;
}

/* ---------------------------------------------------------------- the token format */

static const char th_base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* CRC-32 ISO-HDLC (zlib's crc32). */
static inline uint32_t th_crc32(const char *s, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        crc ^= (unsigned char)s[i];
        for (k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xFFFFFFFFu;
}

/* Writes the 6-character base62 checksum of s[0..n) (most significant digit first) into out[6]. */
static inline void th_checksum(const char *s, size_t n, char out[6])
{
    uint32_t c = th_crc32(s, n);
    int i;
    for (i = 5; i >= 0; i--) {
        out[i] = th_base62[c % 62];
        c /= 62;
    }
}

/* 1 when `token` has the contract's shape for `prefix` and `kind` and a matching checksum. */
static inline int th_token_well_formed(const char *token, const char *prefix, char kind)
{
    size_t plen = strlen(prefix), n = token ? strlen(token) : 0, i;
    char sum[6];
    if (n < plen + 2 + 27 + 6 || n > plen + 2 + 64 + 6)
        return 0;
    if (strncmp(token, prefix, plen) != 0 || token[plen] != kind || token[plen + 1] != '_')
        return 0;
    for (i = plen + 2; i < n; i++)
        if (!strchr(th_base62, token[i]) || token[i] == '\0')
            return 0;
    th_checksum(token, n - 6, sum);
    return memcmp(sum, token + n - 6, 6) == 0;
}

/* Forges a well-formed token that no store issued: prefix, kind, '_', 32 base62 characters from
   `seed`, and a correct checksum. `out` needs 64 bytes. */
static inline void th_forge_token(const char *prefix, char kind, unsigned seed, char *out)
{
    size_t n;
    int i;
    n = (size_t)sprintf(out, "%s%c_", prefix, kind);
    for (i = 0; i < 32; i++) {
        seed = seed * 1103515245u + 12345u;
        out[n++] = th_base62[(seed >> 16) % 62];
    }
    th_checksum(out, n, out + n);
    out[n + 6] = '\0';
}

#endif /* TA_TEST_HARNESS_H */

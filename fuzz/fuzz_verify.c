/*
 * libFuzzer target: the credential parser and the hot path, through ta_verify_n.
 *
 * One in-memory store, set up once, holds ten real tokens in every state (live service and
 * personal, revoked, deactivated, rotated away and its successor, rate limited, deleted, owner
 * removed, expired). Each input is decoded by its first byte into one of four shapes:
 *
 *   0  raw bytes as the credential, no required scopes
 *   1  [len][len bytes of required scopes][credential bytes]
 *   2  [kind byte][body bytes] -> "tka" kind '_' body + a correct CRC-32 (reaches the lookup)
 *   3  [token index][scopes index][edit triplets...] -> a real token, optionally behind
 *      "Bearer", with byte edits (replace / insert / delete)
 *
 * Invariants checked on every input (abort() on violation, so libFuzzer records a crash):
 *  - the status is a verification status (never a storage or internal error on this store),
 *    the verdict repeats it, http_status == ta_status_http(status), every char[] is terminated;
 *  - a status that names a known token (OK, REVOKED, EXPIRED, INACTIVE, OWNER_INACTIVE,
 *    FORBIDDEN, RATE_LIMITED) only for a credential whose token part is exactly one of the
 *    issued secrets, with that token's id, and the status that token must have;
 *  - OK only if every required scope is in force for that token; FORBIDDEN names a required one;
 *  - ta_verify on a NUL-free copy and ta_verify_n with a NULL verdict agree;
 *  - ta_last_error() is "" after OK, valid UTF-8, and never contains a secret or its random part.
 */
#include "rel.h"

#include <stdbool.h>

#define NTOK 10
#define T0 1700000000000LL

enum { T_SVC, T_PERSONAL, T_REVOKED, T_INACTIVE, T_ROTATED_OLD, T_ROTATED_NEW, T_LIMITED, T_DELETED,
       T_OWNER_REMOVED, T_EXPIRED };

static ta_store *store;
static char secrets[NTOK][128];
static char ids[NTOK][TA_ID_MAX];
static ta_status expected[NTOK];
/* the scopes in force for the live ones (space-padded word lists) */
static const char *in_force[NTOK];

static const char *scope_dict[] = {
    NULL, "", "tickets:read", "tickets:write", "assets:read", "tickets:read assets:read",
    "users:write", "admin", "nope:scope", "Tickets:Read", "tickets:read  users:read", " ", "a\tb",
};
#define NSCOPES (sizeof scope_dict / sizeof scope_dict[0])

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_verify: INVARIANT VIOLATED: %s (%s) [last error: \"%s\"]\n", what,
            detail ? detail : "", ta_last_error());
    abort();
}

static void create(int i, const char *actor, ta_token_kind kind, const char *scopes, int64_t expires,
                   uint32_t limit)
{
    ta_token_spec spec = {"fuzz", kind, scopes, expires, limit, 60000};
    char *secret = NULL, *id = NULL;
    if (ta_token_create(store, actor, &spec, &secret, &id) != TA_OK)
        die("setup: ta_token_create", ta_last_error());
    snprintf(secrets[i], sizeof secrets[i], "%s", secret);
    snprintf(ids[i], sizeof ids[i], "%s", id);
    ta_free(secret);
    ta_free(id);
}

static void setup(void)
{
    char *secret = NULL, *id = NULL;
    if (ta_open(":memory:", NULL, &store) != TA_OK)
        die("setup: ta_open", NULL);
    ta_set_clock(store, T0);
    if (ta_member_put(store, "alice", "tickets:read tickets:write assets:read ManagePersonalAccessTokens") != TA_OK ||
        ta_member_put(store, "bob", "tickets:read ManagePersonalAccessTokens") != TA_OK)
        die("setup: ta_member_put", NULL);
    create(T_SVC, NULL, TA_KIND_SERVICE, "tickets:write assets:read", 0, 0);
    in_force[T_SVC] = " tickets:write tickets:read assets:read ";
    /* alice held users:read when she created the token, and loses it below */
    if (ta_member_put(store, "alice", "tickets:read tickets:write assets:read users:read ManagePersonalAccessTokens") != TA_OK)
        die("setup: ta_member_put", NULL);
    create(T_PERSONAL, "alice", TA_KIND_PERSONAL, "tickets:write users:read", 0, 0);
    in_force[T_PERSONAL] = " tickets:write tickets:read "; /* users:read: alice no longer has it */
    if (ta_member_put(store, "alice", "tickets:read tickets:write assets:read ManagePersonalAccessTokens") != TA_OK)
        die("setup: ta_member_put", NULL);
    create(T_REVOKED, NULL, TA_KIND_SERVICE, "tickets:read", 0, 0);
    create(T_INACTIVE, "alice", TA_KIND_PERSONAL, "tickets:read", 0, 0);
    create(T_ROTATED_OLD, NULL, TA_KIND_SERVICE, "admin", 0, 0);
    create(T_LIMITED, NULL, TA_KIND_SERVICE, "users:read", 0, 3);
    in_force[T_LIMITED] = " users:read ";
    create(T_DELETED, NULL, TA_KIND_SERVICE, "tickets:read", 0, 0);
    create(T_OWNER_REMOVED, "bob", TA_KIND_PERSONAL, "tickets:read", 0, 0);
    create(T_EXPIRED, NULL, TA_KIND_SERVICE, "tickets:read", T0 + 1000, 0);
    if (ta_token_revoke(store, NULL, ids[T_REVOKED]) != TA_OK ||
        ta_token_set_active(store, NULL, ids[T_INACTIVE], false) != TA_OK ||
        ta_token_rotate(store, NULL, ids[T_ROTATED_OLD], 0, &secret, &id) != TA_OK ||
        ta_token_delete(store, NULL, ids[T_DELETED]) != TA_OK || ta_member_remove(store, "bob") != TA_OK)
        die("setup: management call", ta_last_error());
    snprintf(secrets[T_ROTATED_NEW], sizeof secrets[0], "%s", secret);
    snprintf(ids[T_ROTATED_NEW], sizeof ids[0], "%s", id);
    ta_free(secret);
    ta_free(id);
    in_force[T_ROTATED_NEW] = "*"; /* admin: every catalog scope */
    ta_set_clock(store, T0 + 5000);  /* T_EXPIRED is now expired; the clock stays pinned */
    expected[T_SVC] = TA_OK;
    expected[T_PERSONAL] = TA_OK;
    expected[T_REVOKED] = TA_REVOKED;
    expected[T_INACTIVE] = TA_INACTIVE;
    expected[T_ROTATED_OLD] = TA_REVOKED;
    expected[T_ROTATED_NEW] = TA_OK;
    expected[T_LIMITED] = TA_OK; /* or TA_RATE_LIMITED */
    expected[T_DELETED] = TA_UNKNOWN_TOKEN;
    expected[T_OWNER_REMOVED] = TA_REVOKED;
    expected[T_EXPIRED] = TA_EXPIRED;
}

static bool terminated(const char *field, size_t size) { return memchr(field, '\0', size) != NULL; }

static bool is_catalog_scope(const char *w, size_t n)
{
    static const char *cat[] = {"tickets:read", "tickets:write", "assets:read", "assets:write",
                                "users:read",   "users:write",   "admin"};
    for (size_t i = 0; i < sizeof cat / sizeof cat[0]; i++)
        if (strlen(cat[i]) == n && memcmp(cat[i], w, n) == 0)
            return true;
    return false;
}

/* Whether `word` is in force for token i (live tokens only). */
static bool scope_in_force(int i, const char *w, size_t n)
{
    char buf[80];
    if (!in_force[i] || n + 3 > sizeof buf)
        return false;
    if (strcmp(in_force[i], "*") == 0)
        return is_catalog_scope(w, n);
    buf[0] = ' ';
    memcpy(buf + 1, w, n);
    buf[n + 1] = ' ';
    buf[n + 2] = '\0';
    return strstr(in_force[i], buf) != NULL;
}

/* The token part of a credential, as the decisions describe: bare, or "Bearer" (any case) + spaces. */
static void strip(const uint8_t *c, size_t n, const uint8_t **tok, size_t *tn)
{
    static const char bearer[] = "bearer";
    *tok = c;
    *tn = n;
    if (n > 6 && c[6] == ' ') {
        for (size_t i = 0; i < 6; i++)
            if ((c[i] | 0x20) != bearer[i])
                return;
        size_t s = 6;
        while (s < n && c[s] == ' ')
            s++;
        *tok = c + s;
        *tn = n - s;
    }
}

static bool scope_syntax_ok(const char *scopes)
{
    /* words of 1..63 bytes of [a-z0-9:._-], separated by spaces */
    size_t run = 0;
    for (const char *p = scopes; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == ' ') {
            run = 0;
            continue;
        }
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == ':' || ch == '.' || ch == '_' ||
              ch == '-'))
            return false;
        if (++run > 63)
            return false;
    }
    return true;
}

static void check_error_text(void)
{
    const char *e = ta_last_error();
    if (!e)
        die("ta_last_error returned NULL", NULL);
    if (!rel_utf8_valid((const unsigned char *)e, strlen(e)))
        die("ta_last_error is not valid UTF-8", e);
    for (int i = 0; i < NTOK; i++) {
        size_t rn;
        const char *r = rel_random_part(secrets[i], 3, &rn);
        char part[80];
        if (strstr(e, secrets[i]))
            die("ta_last_error contains a secret", ids[i]);
        snprintf(part, sizeof part, "%.*s", (int)rn, r);
        if (rn && strstr(e, part))
            die("ta_last_error contains a secret's random part", ids[i]);
    }
}

static void check(const uint8_t *cred, size_t n, const char *scopes)
{
    ta_verdict v;
    ta_status st;
    char detail[200];
    memset(&v, 0xA5, sizeof v);
    st = ta_verify_n(store, (const char *)cred, n, scopes, &v);
    snprintf(detail, sizeof detail, "status %s, scopes \"%s\", %zu bytes", ta_status_name(st),
             scopes ? scopes : "(null)", n);
    check_error_text();

    switch (st) {
    case TA_OK: case TA_MALFORMED: case TA_UNKNOWN_TOKEN: case TA_REVOKED: case TA_EXPIRED: case TA_INACTIVE:
    case TA_OWNER_INACTIVE: case TA_FORBIDDEN: case TA_RATE_LIMITED: case TA_INVALID_ARGUMENT:
        break;
    default:
        die("ta_verify_n returned a status it never should on a healthy in-memory store", detail);
    }
    if (v.status != st || v.http_status != ta_status_http(st))
        die("the verdict disagrees with the returned status", detail);
    if (!terminated(v.token_id, sizeof v.token_id) || !terminated(v.subject, sizeof v.subject) ||
        !terminated(v.missing_scope, sizeof v.missing_scope))
        die("a verdict string is not NUL-terminated", detail);
    if (st == TA_OK && ta_last_error()[0] != '\0')
        die("ta_last_error is not empty after TA_OK", detail);
    if (st != TA_OK && ta_last_error()[0] == '\0')
        die("ta_last_error is empty after a failure", detail);

    /* scope syntax is judged first */
    bool syntax = !scopes || scope_syntax_ok(scopes);
    if (!syntax && st != TA_INVALID_ARGUMENT)
        die("required scopes with bad syntax were not TA_INVALID_ARGUMENT", detail);
    if (syntax && st == TA_INVALID_ARGUMENT)
        die("TA_INVALID_ARGUMENT for well-formed scopes", detail);

    const uint8_t *tok;
    size_t tn;
    strip(cred, n, &tok, &tn);
    int which = -1;
    if (n <= 4096)
        for (int i = 0; i < NTOK; i++)
            if (tn == strlen(secrets[i]) && memcmp(tok, secrets[i], tn) == 0)
                which = i;

    bool names_token = st == TA_OK || st == TA_REVOKED || st == TA_EXPIRED || st == TA_INACTIVE ||
                       st == TA_OWNER_INACTIVE || st == TA_FORBIDDEN || st == TA_RATE_LIMITED;
    if (names_token && which < 0)
        die("a status of a known token for a credential that is no issued token", detail);
    if (which >= 0 && syntax) {
        ta_status want = expected[which];
        if (names_token && strcmp(v.token_id, ids[which]) != 0)
            die("the verdict names another token", detail);
        if (want == TA_OK) {
            /* the scopes decide: OK, or FORBIDDEN with the first missing one */
            const char *first_missing = NULL;
            size_t fm_len = 0;
            if (scopes) {
                const char *p = scopes;
                while (*p && !first_missing) {
                    while (*p == ' ')
                        p++;
                    const char *w = p;
                    while (*p && *p != ' ')
                        p++;
                    if (p > w && !scope_in_force(which, w, (size_t)(p - w))) {
                        first_missing = w;
                        fm_len = (size_t)(p - w);
                    }
                }
            }
            if (first_missing) {
                if (st != TA_FORBIDDEN)
                    die("a required scope not in force did not give TA_FORBIDDEN", detail);
                if (strlen(v.missing_scope) != fm_len || memcmp(v.missing_scope, first_missing, fm_len) != 0)
                    die("missing_scope is not the first required scope not in force", detail);
            } else if (!(st == TA_OK || (which == T_LIMITED && st == TA_RATE_LIMITED))) {
                die("a live token with its scopes in force was refused", detail);
            }
        } else if (st != want) {
            die("a token in a known state got another status", detail);
        }
    } else if (which < 0 && syntax && st != TA_MALFORMED && st != TA_UNKNOWN_TOKEN) {
        die("an unknown credential got neither TA_MALFORMED nor TA_UNKNOWN_TOKEN", detail);
    }

    /* the same through ta_verify (when there is no NUL inside) and with a NULL verdict */
    if (which != T_LIMITED) {
        ta_status again = ta_verify_n(store, (const char *)cred, n, scopes, NULL);
        if (again != st)
            die("ta_verify_n with a NULL verdict disagrees", detail);
        if (!memchr(cred, '\0', n)) {
            char *copy = malloc(n + 1);
            memcpy(copy, cred, n);
            copy[n] = '\0';
            again = ta_verify(store, copy, scopes, NULL);
            free(copy);
            if (again != st)
                die("ta_verify on a NUL-terminated copy disagrees with ta_verify_n", detail);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    if (size == 0) {
        check(data, 0, NULL);
        return 0;
    }
    uint8_t mode = data[0];
    const uint8_t *rest = data + 1;
    size_t rn = size - 1;
    switch (mode % 4) {
    case 0:
        check(rest, rn, NULL);
        /* a NULL credential is TA_MALFORMED */
        if (ta_verify_n(store, NULL, rn, NULL, NULL) != TA_MALFORMED || ta_verify(store, NULL, NULL, NULL) != TA_MALFORMED)
            die("a NULL credential was not TA_MALFORMED", NULL);
        if (ta_verify_n(NULL, (const char *)rest, rn, NULL, NULL) != TA_INVALID_ARGUMENT)
            die("a NULL store was not TA_INVALID_ARGUMENT", NULL);
        break;
    case 1: {
        size_t len = rn ? rest[0] % 80 : 0;
        char scopes[81];
        if (len > rn - (rn ? 1 : 0))
            len = rn ? rn - 1 : 0;
        memcpy(scopes, rest + 1, len);
        scopes[len] = '\0';
        if (rn)
            check(rest + 1 + len, rn - 1 - len, scopes);
        break;
    }
    case 2: {
        char kind = rn && (rest[0] & 1) ? 's' : 'p';
        if (rn && rest[0] >= 0xF0)
            kind = (char)rest[0];
        size_t body = rn ? rn - 1 : 0;
        if (body > 4000)
            body = 4000;
        char *buf = malloc(body + 32);
        size_t len = 0;
        if (mode & 0x40) {
            memcpy(buf, "Bearer ", 7);
            len = 7;
        }
        size_t start = len;
        memcpy(buf + len, "tka", 3);
        buf[len + 3] = kind;
        buf[len + 4] = '_';
        len += 5;
        if (body)
            memcpy(buf + len, rest + 1, body);
        len += body;
        {
            uint32_t crc = rel_crc32((const unsigned char *)buf + start, len - start);
            for (int i = 5; i >= 0; i--) {
                buf[len + (size_t)i] = rel_b62[crc % 62];
                crc /= 62;
            }
            len += 6;
        }
        check((const uint8_t *)buf, len, (mode & 0x80) ? "tickets:read" : NULL);
        free(buf);
        break;
    }
    case 3: {
        int which = rn ? rest[0] % NTOK : 0;
        const char *scopes = rn > 1 ? scope_dict[rest[1] % NSCOPES] : NULL;
        char buf[4200];
        size_t len = 0;
        static const char *heads[] = {"", "Bearer ", "bearer   ", "BEARER ", "Bearer\t", "Basic ", " ", "Bearer"};
        const char *head = heads[(mode >> 2) % 8];
        len = (size_t)snprintf(buf, sizeof buf, "%s%s", head, secrets[which]);
        for (size_t k = 2; k + 2 < rn && len > 0 && len < sizeof buf - 1; k += 3) {
            size_t pos = rest[k + 1] % len;
            uint8_t val = rest[k + 2];
            switch (rest[k] % 3) {
            case 0:
                buf[pos] = (char)val;
                break;
            case 1:
                memmove(buf + pos + 1, buf + pos, len - pos);
                buf[pos] = (char)val;
                len++;
                break;
            default:
                memmove(buf + pos, buf + pos + 1, len - pos - 1);
                len--;
                break;
            }
        }
        check((const uint8_t *)buf, len, scopes);
        break;
    }
    }
    return 0;
}

/*
 * libFuzzer target: a driver that decodes its input into a sequence of ABI calls on a fresh
 * ":memory:" store and checks the library against a model after every step.
 *
 * Calls: member put / set_active / remove, scope define, token create (one, or a batch of two) /
 * rename / set_active / revoke / delete / rotate, verify (with header variants, byte edits and
 * required scopes), record_usage, flush, every JSON read (list, get, stats, audit, report, scope
 * and member lists), moving the store's pinned clock forward or back, and bad arguments (NULL store, NULL /
 * invalid UTF-8 / over-long strings, NULL out pointers, bad kinds, negative grace).
 *
 * The model (members, catalog with implications, tokens with owner, granted and expanded scopes,
 * expiry, activity, revocation as a state, a grace period's end as a time, rotation, deletion) is
 * updated only when a call returns
 * TA_OK. Invariants (abort() on violation, so libFuzzer records a crash with the input):
 *  - every tracked token verifies exactly as the model says after every step: a revoked token is
 *    TA_REVOKED, a deleted one TA_UNKNOWN_TOKEN, never TA_OK, whatever the clock reads later;
 *  - a personal token never has a scope in force that its owner lacks now (verification, and
 *    "effective_scopes" of ta_token_get, against the model's expansion of the owner's permissions);
 *  - a management call that succeeds was allowed by the contract's IAM rules (actor active,
 *    IAM action, ownership, held scopes, only the owner rotates a personal token, reads only of
 *    visible tokens, audit only for admin), and in an allowed state (no activating or rotating a
 *    revoked token, no rotating twice, nothing on a deleted token);
 *  - invalid input (NULL, invalid UTF-8, reserved or over-long ids, bad syntax) never succeeds;
 *  - every JSON output parses (strict checker: structure, escapes, UTF-8); on failure every
 *    char** out is NULL; ta_last_error() is "" after TA_OK and non-empty, valid UTF-8 and free of
 *    secrets after a failure; no call returns TA_STORAGE_ERROR or TA_INTERNAL_ERROR.
 */
#include "rel.h"

#include <stdbool.h>

#define T0 1700000000000LL
#define MAXT 24
#define MAXSTEPS 64

/* ---------------------------------------------------------------- the model */

#define NS 11
static const char *SCOPE[NS] = {"tickets:read", "tickets:write", "assets:read", "assets:write", "users:read",
                                "users:write",  "admin",         "x:a",         "x:b",          "x:c",
                                "x:d"};
#define ADMIN 6
#define SCOPE_BITS ((1u << NS) - 1)
#define P_LIST (1u << 16)
#define P_MPAT (1u << 17)
#define P_MSAT (1u << 18)
static const char *IAM_NAME[3] = {"ListAccessTokens", "ManagePersonalAccessTokens", "ManageServiceAccessTokens"};

#define NM 4
static const char *MEMBER[NM] = {"alice", "bob", "carol", "dave"};

typedef struct {
    bool exists, active;
    uint32_t perms;
} member_m;

typedef struct {
    char id[TA_ID_MAX];
    char secret[128];
    ta_token_kind kind;
    int owner; /* member index, -1 for a service token */
    bool owner_removed, active, deleted, rotated, revoked;
    uint32_t granted, expanded, limit;
    int64_t created, expires, grace_end; /* 0 = none */
} token_m;

static struct {
    uint32_t exists;
    uint32_t implies[NS];
    member_m m[NM];
    token_m t[MAXT];
    int nt;
    int64_t now;
} M;

static ta_store *S;
static int step;
static char trace[MAXSTEPS + 2][96];

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_ops: INVARIANT VIOLATED at step %d: %s\n    %s\n    last error: \"%s\"\n    steps:\n",
            step, what, detail ? detail : "", ta_last_error());
    for (int i = 0; i <= step && i < MAXSTEPS + 2; i++)
        if (trace[i][0])
            fprintf(stderr, "      %2d %s\n", i, trace[i]);
    abort();
}

static uint32_t closure(uint32_t mask)
{
    uint32_t result = 0, pending = mask & M.exists;
    while (pending & ~result) {
        for (int i = 0; i < NS; i++)
            if ((pending & ~result) & (1u << i)) {
                result |= 1u << i;
                pending |= M.implies[i] & M.exists;
            }
    }
    if (result & (1u << ADMIN))
        result |= M.exists;
    return result;
}

static uint32_t cover(int m) { return closure(M.m[m].perms & SCOPE_BITS); }
static bool is_admin(int m) { return (cover(m) >> ADMIN) & 1u; }
static bool holds(int m, uint32_t action) { return (M.m[m].perms & action) || is_admin(m); }
static bool active_member(int m) { return m >= 0 && m < NM && M.m[m].exists && M.m[m].active; }
static bool owned_by(const token_m *t, int m) { return t->kind == TA_KIND_PERSONAL && !t->owner_removed && t->owner == m; }

static ta_status model_status(const token_m *t)
{
    if (t->deleted)
        return TA_UNKNOWN_TOKEN;
    if (t->owner_removed || t->revoked)
        return TA_REVOKED;
    if (t->grace_end && M.now >= t->grace_end)
        return TA_REVOKED;
    if (t->expires && M.now >= t->expires)
        return TA_EXPIRED;
    if (!t->active)
        return TA_INACTIVE;
    if (t->kind == TA_KIND_PERSONAL && !active_member(t->owner))
        return TA_OWNER_INACTIVE;
    return TA_OK;
}

/* Whether scope r is in force for a token whose state is OK. */
static bool in_force(const token_m *t, int r)
{
    if (!((M.exists >> r) & 1u))
        return false;
    if (!(((t->expanded >> r) & 1u) || ((t->expanded >> ADMIN) & 1u)))
        return false;
    if (t->kind == TA_KIND_PERSONAL) {
        uint32_t c = cover(t->owner);
        if (!(((c >> r) & 1u) || ((c >> ADMIN) & 1u)))
            return false;
    }
    return true;
}

static uint32_t in_force_mask(const token_m *t)
{
    uint32_t mask = 0;
    if (model_status(t) != TA_OK)
        return 0;
    for (int r = 0; r < NS; r++)
        if (in_force(t, r))
            mask |= 1u << r;
    return mask;
}

/* actor: -1 host, 0..NM-1 a member. Visibility of a token (not deleted) for that actor. */
static bool visible(int actor, const token_m *t)
{
    if (actor < 0)
        return true;
    if (holds(actor, P_LIST))
        return true;
    if (t->kind == TA_KIND_SERVICE)
        return holds(actor, P_MSAT);
    return owned_by(t, actor);
}

enum op_kind { OP_RENAME, OP_SET_ACTIVE, OP_REVOKE, OP_DELETE, OP_ROTATE };

/* Whether the contract allows `actor` (-1 host) to perform `op` on token t. */
static bool allowed(int actor, enum op_kind op, const token_m *t)
{
    if (t->deleted)
        return false;
    if (actor < 0)
        return !(op == OP_ROTATE && t->kind == TA_KIND_PERSONAL);
    if (!active_member(actor) || !visible(actor, t))
        return false;
    if (t->kind == TA_KIND_SERVICE) {
        if (!holds(actor, P_MSAT))
            return false;
        if (op == OP_ROTATE) {
            uint32_t c = cover(actor);
            if ((t->granted & ~c) != 0)
                return false;
        }
        return true;
    }
    bool owns = owned_by(t, actor);
    if (op == OP_ROTATE)
        return owns && holds(actor, P_MPAT);
    if (!owns)
        return is_admin(actor);
    return holds(actor, P_MPAT);
}

/* ---------------------------------------------------------------- the input */

static const uint8_t *IN;
static size_t IN_LEN, IN_POS;

static uint8_t u8(void) { return IN_POS < IN_LEN ? IN[IN_POS++] : 0; }
static uint16_t u16(void) { return (uint16_t)(u8() | (u8() << 8)); }

/* A string that must be refused wherever a string argument is required: NULL, invalid UTF-8,
   over-long. Returns NULL for NULL. */
static char badbuf[4][400];
static int badnext;
static const char *bad_string(void)
{
    char *b = badbuf[badnext++ % 4];
    uint8_t k = u8();
    switch (k % 6) {
    case 0:
        return NULL;
    case 1:
        return "\xC3\x28"; /* truncated sequence */
    case 2:
        return "ab\xED\xA0\x80"; /* a surrogate */
    case 3:
        return "\xC0\xAF"; /* overlong '/' */
    case 4: {
        /* raw bytes after an invalid lead byte */
        size_t n = u8() % 40, i;
        b[0] = (char)0xFF;
        for (i = 0; i < n; i++) {
            uint8_t c = u8();
            b[i + 1] = (char)(c ? c : 'x');
        }
        b[n + 1] = '\0';
        return b;
    }
    default:
        /* valid UTF-8 but 300 bytes: too long for an id, a scope, a name or an operation */
        memset(b, 'a', 300);
        b[300] = '\0';
        return b;
    }
}

/* The same, never NULL (where NULL would be a valid "none"). */
static const char *bad_nonnull(void)
{
    const char *s = bad_string();
    return s ? s : "\xFF";
}

/* Whether the top-level array `json` has an element whose member `key` is the string `value`. */
struct find_ctx {
    const char *key, *value;
    bool found;
};
static void find_cb(const char *element, void *ctx)
{
    struct find_ctx *f = ctx;
    if (rel_json_str_is(element, f->key, f->value))
        f->found = true;
}
static bool json_list_has(const char *json, const char *key, const char *value)
{
    struct find_ctx f = {key, value, false};
    if (rel_json_each(json, find_cb, &f) < 0)
        die("a JSON list is not an array", json);
    return f.found;
}

/* A space-separated list from a bit mask over `words`, sometimes with extra spaces. */
static void join(char *out, size_t cap, uint32_t mask, const char **words, int nwords, bool extra_spaces)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < nwords; i++)
        if ((mask >> i) & 1u)
            len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? (extra_spaces ? "  " : " ") : "", words[i]);
}

/* ---------------------------------------------------------------- generic checks */

static bool any_secret_in(const char *text)
{
    if (!text)
        return false;
    for (int i = 0; i < M.nt; i++) {
        size_t rn;
        const char *r = rel_random_part(M.t[i].secret, 3, &rn);
        char part[80];
        if (strstr(text, M.t[i].secret))
            return true;
        snprintf(part, sizeof part, "%.*s", (int)rn, r);
        if (rn && strstr(text, part))
            return true;
    }
    return false;
}

/* FUZZ_OPS_STATS=1: at exit, how many calls of each status the inputs made (to see that the
   inputs reach the interesting paths). */
static long stat_calls, stat_ok, stat_verified;
static void print_stats(void)
{
    fprintf(stderr, "fuzz_ops: %ld calls, %ld returned TA_OK, %ld model verifications\n", stat_calls, stat_ok,
            stat_verified);
}

/* After every call: the status is one this store may give, ta_last_error is right, outs are NULL
   on failure and JSON when asked for. */
static void after(const char *call, ta_status st, char **outs[], int nouts, bool json)
{
    char detail[160];
    const char *e = ta_last_error();
    stat_calls++;
    stat_ok += st == TA_OK;
    snprintf(detail, sizeof detail, "%s -> %s", call, ta_status_name(st));
    if (st == TA_STORAGE_ERROR || st == TA_INTERNAL_ERROR)
        die("a storage or internal error on a healthy in-memory store", detail);
    if ((int)st < 0 || (st > TA_RATE_LIMITED && st < TA_NOT_FOUND) || st > TA_INTERNAL_ERROR)
        die("a status outside the enumeration", detail);
    if (!e)
        die("ta_last_error returned NULL", detail);
    if (st == TA_OK && e[0])
        die("ta_last_error is not empty after TA_OK", detail);
    if (st != TA_OK && !e[0])
        die("ta_last_error is empty after a failure", detail);
    if (!rel_utf8_valid((const unsigned char *)e, strlen(e)))
        die("ta_last_error is not valid UTF-8", detail);
    if (any_secret_in(e))
        die("ta_last_error contains a secret", detail);
    for (int i = 0; i < nouts; i++) {
        if (!outs[i])
            continue;
        if (st != TA_OK && *outs[i])
            die("a char** out is not NULL after a failure", detail);
        if (st == TA_OK && json) {
            if (!*outs[i])
                die("a JSON out is NULL after TA_OK", detail);
            if (!rel_json_valid(*outs[i]))
                die("a JSON output does not parse", *outs[i]);
            if (any_secret_in(*outs[i]))
                die("a JSON output contains a secret", detail);
        }
    }
}

static void must_fail(const char *call, ta_status st)
{
    if (st == TA_OK)
        die("a call with an invalid argument succeeded", call);
}

static const char *status_word(ta_status st)
{
    switch (st) {
    case TA_OK: return "active";
    case TA_REVOKED: return "revoked";
    case TA_EXPIRED: return "expired";
    case TA_INACTIVE: return "inactive";
    case TA_OWNER_INACTIVE: return "owner_inactive";
    default: return "?";
    }
}

/* ---------------------------------------------------------------- verification against the model */

static void verify_expect(const token_m *t, const char *cred, const char *scopes, ta_status want,
                          const char *want_missing)
{
    ta_verdict v;
    ta_status st = ta_verify(S, cred, scopes, &v);
    char detail[200];
    stat_verified++;
    snprintf(detail, sizeof detail, "verify %s (%s) scopes \"%s\": got %s, model says %s", t->id,
             t->kind == TA_KIND_PERSONAL ? MEMBER[t->owner] : "service", scopes ? scopes : "(null)",
             ta_status_name(st), ta_status_name(want));
    after("ta_verify", st, NULL, 0, false);
    if (st == TA_OK && (want == TA_REVOKED || want == TA_UNKNOWN_TOKEN))
        die("a revoked or deleted token verified OK", detail);
    if (st == TA_OK && want == TA_FORBIDDEN && t->kind == TA_KIND_PERSONAL)
        die("a personal token had a scope in force that the model says is not (owner lacks it?)", detail);
    if (want == TA_OK && st == TA_RATE_LIMITED && t->limit)
        return;
    if (st != want)
        die("verification disagrees with the model", detail);
    if (st == TA_FORBIDDEN && want_missing && strcmp(v.missing_scope, want_missing) != 0)
        die("missing_scope is not the first required scope not in force", detail);
    if (st != TA_UNKNOWN_TOKEN && strcmp(v.token_id, t->id) != 0)
        die("the verdict names another token", detail);
    if (st != TA_UNKNOWN_TOKEN && v.kind != t->kind)
        die("the verdict has the wrong kind", detail);
    if (st != TA_UNKNOWN_TOKEN) {
        const char *subject = t->kind == TA_KIND_SERVICE ? t->id : (t->owner_removed ? "" : MEMBER[t->owner]);
        if (strcmp(v.subject, subject) != 0)
            die("the verdict has the wrong subject", detail);
    }
}

/* Verifies token i with required scope r (-1: none) and compares with the model. */
static void verify_model(int i, int r)
{
    token_m *t = &M.t[i];
    ta_status want = model_status(t);
    if (r < 0) {
        verify_expect(t, t->secret, NULL, want, NULL);
        return;
    }
    if (want == TA_OK && !in_force(t, r))
        want = TA_FORBIDDEN;
    verify_expect(t, t->secret, SCOPE[r], want, SCOPE[r]);
}

/* ta_token_get as the host: status, kind, owner, hint and effective_scopes against the model. */
static void check_token_json(int i)
{
    token_m *t = &M.t[i];
    char *json = NULL;
    ta_status st = ta_token_get(S, NULL, t->id, &json);
    char **outs[] = {&json};
    char detail[200];
    after("ta_token_get(host)", st, outs, 1, true);
    if (t->deleted) {
        if (st != TA_NOT_FOUND)
            die("a deleted token is still found by ta_token_get", t->id);
        ta_free(json);
        return;
    }
    if (st != TA_OK)
        die("the host cannot get a token that exists", t->id);
    ta_status ms = model_status(t);
    snprintf(detail, sizeof detail, "%s: model status %s; json %.100s", t->id, status_word(ms), json);
    if (!rel_json_str_is(json, "status", status_word(ms)))
        die("token JSON \"status\" disagrees with the model", detail);
    if (!rel_json_str_is(json, "kind", t->kind == TA_KIND_PERSONAL ? "personal" : "service"))
        die("token JSON \"kind\" is wrong", detail);
    if (!rel_json_str_is(json, "id", t->id))
        die("token JSON \"id\" is wrong", detail);
    {
        char hint[16];
        snprintf(hint, sizeof hint, "%.9s", t->secret);
        if (!rel_json_str_is(json, "hint", hint))
            die("token JSON \"hint\" is not the first len(prefix)+6 characters", detail);
    }
    const char *eff = rel_json_member(json, "effective_scopes");
    if (!eff || *eff != '[')
        die("token JSON has no effective_scopes array", detail);
    uint32_t got = 0, want = in_force_mask(t);
    for (int r = 0; r < NS; r++)
        if (rel_json_array_has(eff, SCOPE[r]))
            got |= 1u << r;
    if (rel_json_each(eff, NULL, NULL) != __builtin_popcount(got))
        die("effective_scopes holds a scope the model does not know", detail);
    if (t->kind == TA_KIND_PERSONAL && (got & ~cover(t->owner)) && !(cover(t->owner) >> ADMIN & 1u))
        die("a personal token's effective_scopes holds a scope its owner lacks", detail);
    if (got != want)
        die("effective_scopes disagrees with the model", detail);
    ta_free(json);
}

/* ---------------------------------------------------------------- steps */

static int pick_member_or_bad(const char **id)
{
    uint8_t b = u8() % 8;
    if (b < NM) {
        *id = MEMBER[b];
        return b;
    }
    if (b == 4) {
        *id = "system"; /* reserved */
        return -2;
    }
    if (b == 7 && M.nt) {
        *id = M.t[M.nt - 1].secret; /* a secret where a member id belongs */
        return -2;
    }
    *id = bad_string();
    return -2;
}

/* actor: returns -1 for the host (NULL), 0..3 members, -2 for a non-member, -3 for an invalid one */
static int pick_actor(const char **actor)
{
    uint8_t b = u8() % 8;
    if (b < NM) {
        *actor = MEMBER[b];
        return b;
    }
    if (b == 4 || b == 5) {
        *actor = NULL;
        return -1;
    }
    if (b == 6) {
        *actor = "nobody";
        return -2;
    }
    uint8_t k = u8();
    *actor = (k & 1) ? "system" : bad_string();
    if (!*actor)
        *actor = "system";
    if ((k & 2) && M.nt)
        *actor = M.t[k % M.nt].secret; /* a secret where a member id belongs: refused, never audited */
    return -3;
}

/* a token: returns its model index, or -1 with *id set to something that names no token */
static int pick_token(const char **id)
{
    uint8_t b = u8();
    if (M.nt > 0 && b < 0xF0) {
        int i = b % M.nt;
        *id = M.t[i].id;
        return i;
    }
    switch (b % 5) {
    case 0: *id = "tok_0000000000000000"; break;
    case 1: *id = bad_string(); break;
    case 2: *id = NULL; break;
    case 3: *id = M.nt ? M.t[b % M.nt].secret : "tok with spaces"; break; /* a secret where an id belongs */
    default: *id = "tok with spaces"; break;
    }
    return -1;
}

static void add_token(const char *secret, const char *id, const token_m *tmpl)
{
    token_m *t = &M.t[M.nt];
    char detail[200];
    *t = *tmpl;
    snprintf(t->secret, sizeof t->secret, "%s", secret);
    snprintf(t->id, sizeof t->id, "%s", id);
    snprintf(detail, sizeof detail, "%s %s", id, secret);
    /* the public format: tka + kind + '_' + 32 base62 + 6 base62 CRC; id tok_ + 16 base62 */
    if (strlen(secret) != 43 || strncmp(secret, "tka", 3) != 0 || secret[4] != '_' ||
        secret[3] != (t->kind == TA_KIND_PERSONAL ? 'p' : 's'))
        die("a new token does not have the documented format", detail);
    {
        char again[64];
        snprintf(again, sizeof again, "%.37s", secret);
        rel_append_checksum(again, 37);
        if (strcmp(again, secret) != 0)
            die("a new token's checksum is wrong", detail);
    }
    if (strlen(id) != 20 || strncmp(id, "tok_", 4) != 0 || strspn(id + 4, rel_b62) != 16)
        die("a new token id does not have the documented format", detail);
    for (int k = 0; k < M.nt; k++)
        if (strcmp(M.t[k].id, id) == 0 || strcmp(M.t[k].secret, secret) == 0)
            die("a new token repeats an id or a secret", detail);
    M.nt++;
}

static void op_member_put(void)
{
    const char *id;
    int m = pick_member_or_bad(&id);
    uint32_t mask = u16();
    static const char *words[16];
    char perms[600];
    for (int i = 0; i < NS; i++)
        words[i] = SCOPE[i];
    words[11] = IAM_NAME[0];
    words[12] = IAM_NAME[1];
    words[13] = IAM_NAME[2];
    words[14] = "nope:scope"; /* not in the catalog */
    words[15] = "Bad!";       /* not scope syntax */
    join(perms, sizeof perms, mask, words, 16, mask & 0x8000u);
    bool null_perms = (mask & 0x3FFF) == 0x3FFF;
    snprintf(trace[step], sizeof trace[step], "member_put %s \"%.60s\"", id ? id : "(null)", null_perms ? "(null)" : perms);
    ta_status st = ta_member_put(S, id, null_perms ? NULL : perms);
    after("ta_member_put", st, NULL, 0, false);
    if (st != TA_OK)
        return;
    if (m < 0 || null_perms)
        must_fail("ta_member_put with an invalid id or NULL permissions", st);
    if (mask & (3u << 14))
        die("ta_member_put accepted an unknown or malformed permission", perms);
    uint32_t scopes = mask & SCOPE_BITS;
    if (scopes & ~M.exists)
        die("ta_member_put accepted a scope that is not in the catalog", perms);
    if (!M.m[m].exists)
        M.m[m].active = true;
    M.m[m].exists = true;
    M.m[m].perms = scopes | ((mask >> 11) & 1u ? P_LIST : 0) | ((mask >> 12) & 1u ? P_MPAT : 0) |
                   ((mask >> 13) & 1u ? P_MSAT : 0);
}

static void op_member_set_active(void)
{
    const char *id;
    int m = pick_member_or_bad(&id);
    bool active = u8() & 1;
    snprintf(trace[step], sizeof trace[step], "member_set_active %s %d", id ? id : "(null)", active);
    ta_status st = ta_member_set_active(S, id, active);
    after("ta_member_set_active", st, NULL, 0, false);
    if (st != TA_OK)
        return;
    if (m < 0)
        must_fail("ta_member_set_active with an invalid id", st);
    if (!M.m[m].exists)
        die("ta_member_set_active succeeded on a member that does not exist", id);
    M.m[m].active = active;
}

static void op_member_remove(void)
{
    const char *id;
    int m = pick_member_or_bad(&id);
    snprintf(trace[step], sizeof trace[step], "member_remove %s", id ? id : "(null)");
    ta_status st = ta_member_remove(S, id);
    after("ta_member_remove", st, NULL, 0, false);
    if (st != TA_OK)
        return;
    if (m < 0)
        must_fail("ta_member_remove with an invalid id", st);
    if (!M.m[m].exists)
        die("ta_member_remove succeeded on a member that does not exist", id);
    M.m[m].exists = false;
    M.m[m].active = false;
    M.m[m].perms = 0;
    for (int i = 0; i < M.nt; i++)
        if (M.t[i].kind == TA_KIND_PERSONAL && M.t[i].owner == m)
            M.t[i].owner_removed = true;
}

static bool implies_reaches(int from, int target, uint32_t seen)
{
    for (int k = 0; k < NS; k++)
        if ((M.implies[from] >> k) & 1u) {
            if (k == target)
                return true;
            if (!((seen >> k) & 1u) && implies_reaches(k, target, seen | (1u << k)))
                return true;
        }
    return false;
}

static void op_scope_define(void)
{
    uint8_t b = u8();
    int r = b % NS;
    bool bad_name = b >= 0xF0;
    uint32_t mask = u16() & SCOPE_BITS;
    char implies[400];
    join(implies, sizeof implies, mask, SCOPE, NS, false);
    static const char *descs[] = {NULL, "", "a description", "ünïcödé \"quoted\" \\ \t\n"};
    const char *desc;
    char longdesc[1002];
    uint8_t d = u8() % 6;
    bool bad_desc = false;
    if (d < 4) {
        desc = descs[d];
    } else if (d == 4) {
        memset(longdesc, 'd', 1001);
        longdesc[1001] = '\0';
        desc = longdesc;
        bad_desc = true;
    } else {
        desc = "\xFF\xFE";
        bad_desc = true;
    }
    const char *name = bad_name ? bad_string() : SCOPE[r];
    bool null_implies = (b & 0x30) == 0x30;
    snprintf(trace[step], sizeof trace[step], "scope_define %.30s implies \"%.40s\"", name ? name : "(null)",
             null_implies ? "(null)" : implies);
    ta_status st = ta_scope_define(S, name, null_implies ? NULL : implies, desc);
    after("ta_scope_define", st, NULL, 0, false);
    if (st != TA_OK)
        return;
    if (bad_name || bad_desc)
        must_fail("ta_scope_define with an invalid name or description", st);
    if (null_implies)
        mask = 0;
    if (mask & ~M.exists)
        die("ta_scope_define accepted an implied scope that is not in the catalog", implies);
    uint32_t saved = M.implies[r];
    M.implies[r] = mask;
    if (implies_reaches(r, r, 0)) {
        M.implies[r] = saved;
        die("ta_scope_define accepted a cycle of implications", implies);
    }
    M.exists |= 1u << r;
}

static void op_token_create(void)
{
    const char *actor;
    int a = pick_actor(&actor);
    uint8_t b = u8();
    ta_token_kind kind = (b & 1) ? TA_KIND_SERVICE : TA_KIND_PERSONAL;
    bool bad_kind = (b & 0x0E) == 0x0E;
    if (bad_kind)
        kind = (ta_token_kind)(b & 0x10 ? 0 : 7);
    uint32_t mask = u16();
    static const char *extra[2] = {"nope:scope", "NOT"};
    char scopes[600];
    {
        const char *words[NS + 2];
        for (int i = 0; i < NS; i++)
            words[i] = SCOPE[i];
        words[NS] = extra[0];
        words[NS + 1] = extra[1];
        join(scopes, sizeof scopes, mask & ((1u << (NS + 2)) - 1), words, NS + 2, (mask >> 15) & 1u);
    }
    static const int64_t lifetimes[] = {0, 0, 1, 1000, 60000, 86400000, -1};
    int64_t life = lifetimes[u8() % 7];
    int64_t expires = life == 0 ? 0 : life < 0 ? M.now - 1 : M.now + life;
    static const uint32_t limits[] = {0, 0, 0, 1, 2, 5};
    uint32_t limit = limits[u8() % 6];
    static const char *names[] = {"ci", "deploy key", "ünïcödé", "", NULL, "\xC3\x28"};
    uint8_t nb = u8() % 7;
    char longname[202];
    const char *name;
    bool bad_name = false;
    if (nb < 6) {
        name = names[nb];
        bad_name = nb >= 3;
    } else {
        memset(longname, 'n', 201);
        longname[(b & 0x80) ? 200 : 201] = '\0';
        name = longname;
        bad_name = !(b & 0x80);
    }
    ta_token_spec spec = {name, kind, scopes, expires, limit, limit ? 1000 : 0};
    bool null_spec = (b & 0x60) == 0x60 && (mask & 0x4000);
    bool null_outs = (b & 0x60) == 0x40 && (mask & 0x4000);
    bool batch = mask & 0x2000; /* ta_token_create_batch with the spec twice */
    int n = batch ? 2 : 1;
    char *secrets[2] = {NULL, NULL}, *ids[2] = {NULL, NULL};
    ta_token_spec specs[2] = {spec, spec};
    snprintf(trace[step], sizeof trace[step], "create%s %s %s \"%.40s\" exp+%lld lim %u", batch ? " x2" : "",
             actor ? actor : "(host)", kind == TA_KIND_PERSONAL ? "p" : kind == TA_KIND_SERVICE ? "s" : "?", scopes,
             (long long)life, limit);
    if (M.nt + n > MAXT && !null_outs)
        return; /* the model is full */
    ta_status st = batch ? ta_token_create_batch(S, actor, null_spec ? NULL : specs, 2, null_outs ? NULL : secrets,
                                                 null_outs ? NULL : ids)
                         : ta_token_create(S, actor, null_spec ? NULL : &spec, null_outs ? NULL : &secrets[0],
                                           null_outs ? NULL : &ids[0]);
    char **outs[] = {&secrets[0], &ids[0], &secrets[1], &ids[1]};
    after(batch ? "ta_token_create_batch" : "ta_token_create", st, outs, 2 * n, false);
    if (st != TA_OK)
        return;
    if (null_spec || bad_kind || bad_name || a <= -2 || life < 0)
        must_fail("ta_token_create with an invalid argument or actor", st);
    if (mask & (3u << NS))
        die("ta_token_create accepted an unknown or malformed scope", scopes);
    uint32_t granted = mask & SCOPE_BITS;
    if (!granted)
        die("ta_token_create accepted an empty scope list", scopes);
    if (granted & ~M.exists)
        die("ta_token_create accepted a scope that is not in the catalog", scopes);
    if (a == -1 && kind == TA_KIND_PERSONAL)
        die("the host created a personal token", scopes);
    if (a >= 0) {
        if (!active_member(a))
            die("an inactive or removed member created a token", actor);
        if (!holds(a, kind == TA_KIND_PERSONAL ? P_MPAT : P_MSAT))
            die("a member without the IAM action created a token", actor);
        if (granted & ~cover(a))
            die("a member granted a scope it does not hold", scopes);
    }
    if (null_outs)
        return; /* created, but the secret is unknown: not tracked */
    token_m t;
    memset(&t, 0, sizeof t);
    t.kind = kind;
    t.owner = kind == TA_KIND_PERSONAL ? a : -1;
    t.active = true;
    t.granted = granted;
    t.expanded = closure(granted);
    t.limit = limit;
    t.created = M.now;
    t.expires = expires;
    for (int k = 0; k < n; k++) {
        if (!secrets[k] || !ids[k])
            die("ta_token_create returned OK without the secret or the id", NULL);
        add_token(secrets[k], ids[k], &t);
        verify_model(M.nt - 1, -1);
        ta_free(secrets[k]);
        ta_free(ids[k]);
    }
}

static void op_token_manage(enum op_kind op)
{
    const char *actor, *id;
    int a = pick_actor(&actor);
    int i = pick_token(&id);
    uint8_t b = u8();
    ta_status st;
    char *secret = NULL, *newid = NULL;
    static const char *opname[] = {"rename", "set_active", "revoke", "delete", "rotate"};
    snprintf(trace[step], sizeof trace[step], "%s %s %s b=%u", opname[op], actor ? actor : "(host)",
             id ? id : "(null)", b);
    bool bad_arg = false;
    bool active = b & 1;
    static const int64_t graces[] = {0, 0, 1000, 60000, -1};
    int64_t grace = graces[(b >> 1) % 5];
    switch (op) {
    case OP_RENAME: {
        const char *name = (b & 6) == 6 ? bad_string() : "renamed";
        bad_arg = (b & 6) == 6;
        st = ta_token_rename(S, actor, id, name);
        after("ta_token_rename", st, NULL, 0, false);
        break;
    }
    case OP_SET_ACTIVE:
        st = ta_token_set_active(S, actor, id, active);
        after("ta_token_set_active", st, NULL, 0, false);
        break;
    case OP_REVOKE:
        st = ta_token_revoke(S, actor, id);
        after("ta_token_revoke", st, NULL, 0, false);
        break;
    case OP_DELETE:
        st = ta_token_delete(S, actor, id);
        after("ta_token_delete", st, NULL, 0, false);
        break;
    default: {
        if (M.nt >= MAXT)
            return;
        bad_arg = grace < 0;
        st = ta_token_rotate(S, actor, id, grace, &secret, &newid);
        char **outs[] = {&secret, &newid};
        after("ta_token_rotate", st, outs, 2, false);
        break;
    }
    }
    if (st != TA_OK)
        return;
    if (bad_arg || a <= -2 || i < 0)
        must_fail("a token call with an invalid argument, actor or token", st);
    token_m *t = &M.t[i];
    char detail[160];
    snprintf(detail, sizeof detail, "%s by %s on %s", opname[op], actor ? actor : "(host)", t->id);
    if (!allowed(a, op, t))
        die("a token call succeeded that IAM must refuse", detail);
    ta_status state = model_status(t);
    switch (op) {
    case OP_RENAME:
        break;
    case OP_SET_ACTIVE:
        if (active && state == TA_REVOKED)
            die("a revoked token was activated", detail);
        t->active = active;
        break;
    case OP_REVOKE:
        t->revoked = true;
        break;
    case OP_DELETE:
        t->deleted = true;
        break;
    default: {
        if (state == TA_REVOKED)
            die("a revoked token was rotated", detail);
        if (t->rotated)
            die("a token was rotated twice", detail);
        if (!secret || !newid)
            die("ta_token_rotate returned OK without the secret or the id", detail);
        token_m n = *t;
        n.created = M.now;
        n.active = true;
        n.grace_end = 0;
        n.revoked = false;
        n.rotated = false;
        if (t->expires) {
            int64_t life = t->expires - t->created;
            n.expires = M.now + (life < 1 ? 1 : life);
        }
        if (grace == 0)
            t->revoked = true;
        else
            t->grace_end = M.now + grace;
        t->rotated = true;
        add_token(secret, newid, &n);
        ta_free(secret);
        ta_free(newid);
        break;
    }
    }
}

static void op_clock(void)
{
    /* Backwards too: NTP steps, a restored snapshot. */
    static const int64_t deltas[] = {1, 999, 1000, 60000, 86400000, 7LL * 86400000, -1000, -3600000};
    int64_t d = deltas[u8() % 8];
    snprintf(trace[step], sizeof trace[step], "clock %+lld", (long long)d);
    M.now += d;
    ta_set_clock(S, M.now);
}

static void op_read(void)
{
    const char *actor;
    int a = pick_actor(&actor);
    uint8_t b = u8();
    char *json = NULL;
    char **outs[] = {&json};
    ta_status st;
    snprintf(trace[step], sizeof trace[step], "read %u by %s", b % 8, actor ? actor : "(host)");
    switch (b % 8) {
    case 0: {
        static const char *queries[] = {NULL, "kind=personal", "kind=service status=revoked", "owner=alice",
                                        "status=active", "status=owner_inactive", "bogus=1",
                                        "kind=personal kind=service"};
        const char *q = queries[(b >> 3) % 8];
        st = ta_token_list(S, actor, q, &json);
        after("ta_token_list", st, outs, 1, true);
        if (st == TA_OK) {
            if ((b >> 3) % 8 >= 6)
                must_fail("ta_token_list with a bad query", st);
            if (a <= -2 || (a >= 0 && !active_member(a)))
                die("ta_token_list succeeded for an invalid or inactive actor", actor);
            /* every listed token must be visible to the actor, and none may be deleted */
            for (int i = 0; i < M.nt; i++) {
                if (json_list_has(json, "id", M.t[i].id) && (M.t[i].deleted || !visible(a, &M.t[i])))
                    die("ta_token_list shows a token the actor may not see (or a deleted one)", M.t[i].id);
            }
        }
        break;
    }
    case 1: {
        const char *id;
        int i = pick_token(&id);
        st = ta_token_get(S, actor, id, &json);
        after("ta_token_get", st, outs, 1, true);
        if (st == TA_OK && (i < 0 || a <= -2 || M.t[i].deleted || (a >= 0 && (!active_member(a) || !visible(a, &M.t[i])))))
            die("ta_token_get returned a token the actor may not see", id);
        break;
    }
    case 2: {
        const char *id;
        int i = pick_token(&id);
        st = ta_token_stats(S, actor, id, (b & 0x80) ? M.now : 0, &json);
        after("ta_token_stats", st, outs, 1, true);
        if (st == TA_OK && (i < 0 || a <= -2 || M.t[i].deleted || (a >= 0 && (!active_member(a) || !visible(a, &M.t[i])))))
            die("ta_token_stats returned a token the actor may not see", id);
        break;
    }
    case 3: {
        static const char *queries[] = {NULL, "limit=5", "event=token.created", "since=0 until=9999999999999",
                                        "actor=alice", "event=no.such", "limit=0", "until=x"};
        int qi = (b >> 3) % 8;
        st = ta_audit(S, actor, queries[qi], &json);
        after("ta_audit", st, outs, 1, true);
        if (st == TA_OK && qi >= 6)
            must_fail("ta_audit with a bad query", st);
        if (st == TA_OK && a != -1 && !(a >= 0 && active_member(a) && is_admin(a)))
            die("ta_audit succeeded for an actor that is not admin", actor);
        break;
    }
    case 4:
        st = ta_report(S, actor, (b & 0x80) ? M.now - 86400000 : 0, &json);
        after("ta_report", st, outs, 1, true);
        if (st == TA_OK && (a <= -2 || (a >= 0 && !active_member(a))))
            die("ta_report succeeded for an invalid or inactive actor", actor);
        break;
    case 5:
        st = ta_scope_list(S, &json);
        after("ta_scope_list", st, outs, 1, true);
        if (st != TA_OK)
            die("ta_scope_list failed", NULL);
        for (int r = 0; r < NS; r++) {
            if (json_list_has(json, "scope", SCOPE[r]) != (((M.exists >> r) & 1u) != 0))
                die("ta_scope_list disagrees with the model's catalog", SCOPE[r]);
        }
        break;
    case 6:
        st = ta_member_list(S, &json);
        after("ta_member_list", st, outs, 1, true);
        if (st != TA_OK)
            die("ta_member_list failed", NULL);
        for (int m = 0; m < NM; m++) {
            if (json_list_has(json, "id", MEMBER[m]) != M.m[m].exists)
                die("ta_member_list disagrees with the model's members", MEMBER[m]);
        }
        break;
    default:
        st = ta_flush(S);
        after("ta_flush", st, NULL, 0, false);
        break;
    }
    ta_free(json);
}

/* Calls that must be refused: NULL store, NULL outs, and the like. None may crash. */
static void op_bad(void)
{
    uint8_t b = u8();
    char *out = (char *)0x1, *out2 = (char *)0x1;
    char **outs[] = {&out, &out2};
    ta_status st;
    ta_verdict v;
    ta_token_spec spec = {"n", TA_KIND_SERVICE, "tickets:read", 0, 0, 0};
    const char *tok = M.nt ? M.t[0].id : "tok_0000000000000000";
    snprintf(trace[step], sizeof trace[step], "bad %u", b % 20);
    switch (b % 20) {
    case 0: st = ta_token_create(NULL, NULL, &spec, &out, &out2); after("create(NULL store)", st, outs, 2, false); break;
    case 1: st = ta_token_list(S, NULL, NULL, NULL); after("list(NULL out)", st, NULL, 0, false); break;
    case 2: st = ta_token_get(S, NULL, tok, NULL); after("get(NULL out)", st, NULL, 0, false); break;
    case 3: st = ta_audit(NULL, NULL, NULL, &out); after("audit(NULL store)", st, outs, 1, false); break;
    case 4: st = ta_report(S, NULL, 0, NULL); after("report(NULL out)", st, NULL, 0, false); break;
    case 5: st = ta_scope_list(S, NULL); after("scope_list(NULL out)", st, NULL, 0, false); break;
    case 6: st = ta_member_list(NULL, &out); after("member_list(NULL store)", st, outs, 1, false); break;
    case 7: st = ta_token_stats(S, NULL, tok, 0, NULL); after("stats(NULL out)", st, NULL, 0, false); break;
    case 8: st = ta_verify(NULL, "x", NULL, &v); after("verify(NULL store)", st, NULL, 0, false);
        if (st != TA_INVALID_ARGUMENT || v.status != TA_INVALID_ARGUMENT)
            die("ta_verify with a NULL store is not TA_INVALID_ARGUMENT", NULL);
        break;
    case 9: st = ta_record_usage(S, tok, bad_string(), 200); after("record_usage(bad op)", st, NULL, 0, false); break;
    case 10: st = ta_record_usage(S, tok, "GET /x", (b & 0x80) ? 99 : 600); after("record_usage(bad status)", st, NULL, 0, false); break;
    case 11: st = ta_member_put(S, bad_string(), "tickets:read"); after("member_put(bad id)", st, NULL, 0, false); break;
    case 12: st = ta_token_rotate(S, NULL, tok, -1 - (int64_t)(b >> 5), &out, &out2); after("rotate(negative grace)", st, outs, 2, false); break;
    case 13: spec.scopes = NULL; st = ta_token_create(S, NULL, &spec, &out, &out2); after("create(NULL scopes)", st, outs, 2, false); break;
    case 14: spec.scopes = ""; st = ta_token_create(S, NULL, &spec, &out, &out2); after("create(no scopes)", st, outs, 2, false); break;
    case 15: spec.scopes = bad_string(); st = ta_token_create(S, NULL, &spec, &out, &out2); after("create(bad scopes)", st, outs, 2, false); break;
    case 16: st = ta_token_list(S, bad_nonnull(), NULL, &out); after("list(bad actor)", st, outs, 1, false); break;
    case 17: st = ta_audit(S, NULL, bad_nonnull(), &out); after("audit(bad query)", st, outs, 1, false); break;
    case 18: st = ta_flush(NULL); after("flush(NULL)", st, NULL, 0, false); break;
    default: st = ta_scope_define(S, "x:a", bad_nonnull(), NULL); after("scope_define(bad implies)", st, NULL, 0, false); break;
    }
    must_fail(trace[step], st);
    if (b % 20 == 0 || b % 20 == 3 || b % 20 == 6 || b % 20 >= 12) {
        /* the outs that were passed must have been set to NULL */
        if (out && out != (char *)0x1)
            die("an out pointer was left non-NULL after a failure", trace[step]);
    }
}

static void op_verify_variant(void)
{
    const char *id;
    int i = pick_token(&id);
    uint8_t b = u8();
    int r = (int)(u8() % (NS + 2)) - 1; /* -1 none, NS: a scope outside the catalog */
    char cred[256];
    if (i < 0) {
        snprintf(trace[step], sizeof trace[step], "verify unknown");
        ta_status st = ta_verify(S, "tkas_notatoken", NULL, NULL);
        after("ta_verify", st, NULL, 0, false);
        if (st != TA_MALFORMED)
            die("a malformed credential was not TA_MALFORMED", NULL);
        return;
    }
    token_m *t = &M.t[i];
    static const char *heads[] = {"", "Bearer ", "bearer    ", "BEARER "};
    snprintf(cred, sizeof cred, "%s%s", heads[b % 4], t->secret);
    snprintf(trace[step], sizeof trace[step], "verify %s head %u scope %d edit %u", t->id, b % 4, r, b >> 4);
    if ((b >> 4) == 0) {
        ta_status want = model_status(t);
        const char *scopes = r < 0 ? NULL : r == NS ? "zz:top" : SCOPE[r];
        if (want == TA_OK && r >= 0 && (r == NS || !in_force(t, r)))
            want = TA_FORBIDDEN;
        verify_expect(t, cred, scopes, want, scopes);
        return;
    }
    /* edited: flip one character of the token part, or add white space: never OK */
    size_t len = strlen(cred), pos = len - 1 - (b >> 4) % 40;
    if ((b >> 4) == 15)
        cred[len - 0] = ' ', cred[len + 1] = '\0';
    else
        cred[pos] = cred[pos] == 'A' ? 'B' : 'A';
    ta_verdict v;
    ta_status st = ta_verify(S, cred, NULL, &v);
    after("ta_verify", st, NULL, 0, false);
    for (int k = 0; k < M.nt; k++) {
        const char *c = cred;
        if (strncmp(c, heads[b % 4], strlen(heads[b % 4])) == 0)
            c += strlen(heads[b % 4]);
        if (strcmp(c, M.t[k].secret) == 0)
            return; /* the edit produced another real token (impossible in practice) */
    }
    if (st != TA_MALFORMED && st != TA_UNKNOWN_TOKEN)
        die("an edited credential was not TA_MALFORMED or TA_UNKNOWN_TOKEN", cred);
}

static void op_record_usage(void)
{
    const char *id;
    int i = pick_token(&id);
    uint8_t b = u8();
    static const char *ops[] = {"GET /api/tickets", "POST /x", "ünïcödé", ""};
    const char *op = ops[b % 4];
    int http = (b & 0x80) ? 700 : 200 + (b % 5) * 100;
    snprintf(trace[step], sizeof trace[step], "record_usage %s \"%s\" %d", id ? id : "(null)", op, http);
    ta_status st = ta_record_usage(S, id, op, http);
    after("ta_record_usage", st, NULL, 0, false);
    if (st == TA_OK && (i < 0 || M.t[i].deleted || !op[0] || http > 599))
        die("ta_record_usage accepted an unknown or deleted token or a bad argument", trace[step]);
}

/* After every step: every tracked token verifies as the model says; one scope is checked each
   step, rotating through the catalog. */
static void sweep(bool full)
{
    for (int i = 0; i < M.nt; i++) {
        verify_model(i, -1);
        if (full) {
            for (int r = 0; r < NS; r++)
                verify_model(i, r);
            check_token_json(i);
        } else if (M.t[i].kind == TA_KIND_PERSONAL) {
            verify_model(i, (step + i) % NS);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once && getenv("FUZZ_OPS_STATS"))
        atexit(print_stats);
    once = 1;
    memset(&M, 0, sizeof M);
    memset(trace, 0, sizeof trace);
    IN = data;
    IN_LEN = size;
    IN_POS = 0;
    step = 0;
    M.now = T0;
    for (int r = 0; r < 7; r++)
        M.exists |= 1u << r;
    M.implies[1] = 1u << 0; /* tickets:write -> tickets:read */
    M.implies[3] = 1u << 2;
    M.implies[5] = 1u << 4;
    /* No background ticks: a handle's thread records a grace period's end once its clock has
       passed it, which would make the model depend on timing once the clock steps back. */
    ta_config quiet = {NULL, 0, 0, UINT32_MAX, 0};
    if (ta_open(":memory:", &quiet, &S) != TA_OK)
        die("ta_open(\":memory:\") failed", ta_last_error());
    ta_set_clock(S, M.now);
    /* a starting team, so that short inputs reach the token calls */
    if (ta_member_put(S, "alice", "admin") != TA_OK ||
        ta_member_put(S, "bob", "tickets:write assets:read ManagePersonalAccessTokens") != TA_OK)
        die("setup: ta_member_put failed", ta_last_error());
    M.m[0] = (member_m){true, true, 1u << ADMIN};
    M.m[1] = (member_m){true, true, (1u << 1) | (1u << 2) | P_MPAT};

    for (step = 1; step <= MAXSTEPS && IN_POS < IN_LEN; step++) {
        switch (u8() % 16) {
        case 0: op_member_put(); break;
        case 1: op_member_set_active(); break;
        case 2: op_member_remove(); break;
        case 3: op_scope_define(); break;
        case 4: case 5: op_token_create(); break;
        case 6: op_token_manage(OP_RENAME); break;
        case 7: op_token_manage(OP_SET_ACTIVE); break;
        case 8: op_token_manage(OP_REVOKE); break;
        case 9: op_token_manage(OP_DELETE); break;
        case 10: op_token_manage(OP_ROTATE); break;
        case 11: op_clock(); break;
        case 12: op_read(); break;
        case 13: op_bad(); break;
        case 14: op_verify_variant(); break;
        default: op_record_usage(); break;
        }
        sweep(false);
    }
    step = MAXSTEPS + 1;
    snprintf(trace[step], sizeof trace[step], "final sweep");
    sweep(true);
    ta_close(S);
    S = NULL;
    return 0;
}

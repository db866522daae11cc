/*
 * libtokenauth — API access tokens for API gateways. C ABI version 1.
 *
 * This header is the whole public interface: what is not declared here is not a published API. It
 * keeps the project's binding contract (every name, signature, constant and rule of
 * shared/contract/tokenauth.h, checked by `make test`); docs/DECISIONS.md records the choices the
 * contract leaves open (token id format, audit event details, check order). Link with
 * `pkg-config --cflags --libs tokenauth`; the library needs only libc, libsqlite3 and libcrypto
 * (and libpq, loaded on demand, for a PostgreSQL store).
 *
 * Secrets: generated with OpenSSL RAND_bytes, returned once, stored only as SHA-256 digests and
 * compared with CRYPTO_memcmp; never logged, never in JSON, never in ta_last_error().
 *
 * Conventions
 *  - Every string crossing the ABI is NUL-terminated UTF-8 unless a length is passed. Invalid UTF-8,
 *    embedded NULs where a length is passed, over-long values and NULL where a value is required
 *    give TA_INVALID_ARGUMENT, or TA_MALFORMED for a verification's credential — never a crash.
 *  - Inputs are borrowed for the call only. Strings returned through `char **out` are allocated by
 *    the library and released with ta_free(). On failure every `char **out` is set to NULL.
 *  - Every function is safe to call from any thread on a shared ta_store. Several processes may
 *    open the same database file at once; what one commits, the others honour on their next call.
 *  - Times are int64 milliseconds since the Unix epoch (UTC). 0 means "none" / "never".
 *  - Lists of scopes or permissions are single strings of space-separated words (OAuth style).
 *  - "Sorted" in JSON outputs means by UTF-8 bytes.
 *  - Identifiers (token ids, member ids) are 1..63 bytes of [A-Za-z0-9._@:-]. The member id
 *    "system" is reserved for the host (TA_INVALID_ARGUMENT).
 *  - Every call except the static helpers (ta_status_name, ta_status_http, ta_error_json,
 *    ta_version, ta_last_error, ta_free) clears this thread's last error on entry; a call that
 *    does not return TA_OK sets it.
 *  - ta_close must not race with other calls on the same handle; everything else may.
 *
 * Token format (public, so that secret scanners can recognise a leaked token offline):
 *    <prefix><k>_<R><C>
 *  - <prefix> the store's token prefix (2..8 lowercase letters, default "tka");
 *  - <k> 'p' for a personal token, 's' for a service token;
 *  - <R> 27..64 base62 characters drawn from a CSPRNG (>= 160 bits);
 *  - <C> 6 base62 characters: the CRC-32 (ISO-HDLC, as zlib's crc32) of everything before it,
 *    most significant digit first, left-padded with '0'.
 *  base62 is the alphabet 0-9 A-Z a-z in that order. A credential whose checksum does not match
 *  is TA_MALFORMED without any lookup.
 */
#ifndef TOKENAUTH_H
#define TOKENAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TA_ABI_VERSION 1
#define TA_ID_MAX 64    /* bytes for an identifier, NUL included */
#define TA_SCOPE_MAX 64 /* bytes for a scope name, NUL included */
#define TA_BATCH_MAX 1000 /* added to the contract: the most tokens one ta_token_create_batch makes */

/* The library version this header belongs to; ta_version() reports the library's own. */
#define TA_VERSION_MAJOR 1
#define TA_VERSION_MINOR 1
#define TA_VERSION_PATCH 0
#define TA_VERSION_STRING "1.1.0"

typedef struct ta_store ta_store; /* one open token database */

typedef enum ta_status {
    TA_OK = 0,

    /* Verification outcomes, in the order they are checked. (HTTP status in brackets.) */
    TA_MALFORMED = 1,      /* [401] not a token of this store's format, bad checksum, or a bad
                                    Authorization value; decided without touching storage   */
    TA_UNKNOWN_TOKEN = 2,  /* [401] well-formed but never issued here, or deleted                */
    TA_REVOKED = 3,        /* [401] revoked, replaced by rotation once now >= rotation time +
                                    grace, or its owner was removed. A revocation is a state:
                                    no clock, on any host, ever undoes it                     */
    TA_EXPIRED = 4,        /* [401] now >= its expires_at_ms                                     */
    TA_INACTIVE = 5,       /* [403] deactivated (can be activated again)                         */
    TA_OWNER_INACTIVE = 6, /* [403] personal token whose owner is deactivated                    */
    TA_FORBIDDEN = 7,      /* [403] lacks a required scope (ta_verify says which are in force);
                                    a well-formed scope that is not in the catalog is never
                                    in force, not even through admin                          */
    TA_RATE_LIMITED = 8,   /* [429] over its rate limit; see ta_verdict.retry_after_ms          */

    /* Management outcomes. */
    TA_NOT_FOUND = 20,         /* [404] no such token or member, or a token the actor may not
                                        see (its existence is not revealed)                    */
    TA_PERMISSION_DENIED = 21, /* [403] the actor is not an active member, lacks the IAM action,
                                        or asked for scopes it does not hold itself            */
    TA_CONFLICT = 22,          /* [409] the state forbids it: activate or rotate a revoked token,
                                        rotate a token already rotated, reopen a database with
                                        another token prefix, open a database that is not a
                                        libtokenauth database                                  */
    TA_UNKNOWN_SCOPE = 23,     /* [400] a scope that is not in the catalog                    */
    TA_INVALID_ARGUMENT = 24,  /* [400] NULL, bad UTF-8, too long, bad identifier or scope
                                        syntax, past expiry; also a NULL store in ta_verify    */

    /* Failures. Nothing half-done is left behind. */
    TA_STORAGE_ERROR = 40,  /* [503] the database could not be read or written (busy, I/O, full,
                               not a database file)                                             */
    TA_INTERNAL_ERROR = 41  /* [500] a bug                                                       */
} ta_status;

typedef enum ta_token_kind {
    TA_KIND_PERSONAL = 1, /* owned by a member; never more than the owner can do now          */
    TA_KIND_SERVICE = 2   /* owned by no one; scopes fixed at creation, never more than the
                             creator held then; unaffected by later changes to the creator   */
} ta_token_kind;

/* ---------------------------------------------------------------- the store */

typedef struct ta_config {
    const char *token_prefix;        /* 2..8 lowercase ASCII letters, fixed by the first open of
                                        a database; another prefix later gives TA_CONFLICT.
                                        NULL keeps the database's prefix ("tka" for a new one). */
    uint32_t default_rate_limit;     /* requests per window for tokens created through this
                                        handle without one (resolved at creation and stored with
                                        the token); 0 = unlimited. A token's limit is one budget
                                        for every process of the host that opens the same file,
                                        and for a whole fleet on PostgreSQL (see
                                        ta_set_rate_limit_policy)                                */
    uint32_t default_rate_window_ms; /* 0 = 60000                                                */
    uint32_t usage_flush_ms;         /* the longest that recorded usage may wait in memory before
                                        it is written; 0 = 1000                                  */
    uint32_t busy_timeout_ms;        /* how long a write waits for another process; 0 = 5000    */
} ta_config;

/* Opens (creating if needed) the database at `path`; ":memory:" gives a private in-memory store.
   `config` may be NULL for the defaults. A new database starts with the default scope catalog:
   tickets:read, tickets:write (implies tickets:read), assets:read, assets:write (implies
   assets:read), users:read, users:write (implies users:read), and admin (implies every scope,
   including scopes defined later, and every IAM action). */
ta_status ta_open(const char *path, const ta_config *config, ta_store **out_store);
/* Added to the contract: a `postgresql://` or `postgres://` URI opens a PostgreSQL store shared by
   a fleet of hosts (libpq, loaded on first use: Debian's libpq5; see docs/fleets.md). Same
   semantics and statuses; every host keeps its own index, refreshed through LISTEN/NOTIFY, and
   fails closed (TA_STORAGE_ERROR) when it cannot confirm freshness. ":memory:" uses SQLite's
   in-process memdb, which has no WAL: its verifications may wait for a write in progress. Files
   use WAL, where they never do.
   Added: processes open stores after fork(), or close them all before. In a process forked while
   any store was open (and in its own children), ta_open answers TA_STORAGE_ERROR, and every call
   on a handle opened before the fork answers TA_STORAGE_ERROR; ta_close of such a handle only
   abandons it (its threads and connections belong to the parent). Processes may open one new
   file at the same moment (a gateway's workers on first start): each open succeeds. */

/* Writes all usage still held in memory. */
ta_status ta_flush(ta_store *store);

/* Flushes, then frees the handle. NULL is a no-op. */
void ta_close(ta_store *store);

/* For tests: makes the store's clock read `now_ms` (0 returns it to the wall clock). */
void ta_set_clock(ta_store *store, int64_t now_ms);

/* Added to the contract. Bounds this handle's in-memory verification index to `max_tokens` tokens
   (default 1,000,000; 0 turns the index off, so that every verification reads the database).
   The index is never stale: before each use it checks, in SQLite's shared memory, whether any
   connection in any process committed, and drops exactly the tokens a commit changed. Evicted
   tokens are simply read again. TA_INVALID_ARGUMENT for a NULL store. */
ta_status ta_set_index_limit(ta_store *store, size_t max_tokens);

/* Added to the contract (1.1). How a handle's rate limits are shared.
   TA_RATE_LIMIT_SHARED, the default: every process of the host that opens the same database file
   draws each token's capacity from one bucket, kept in shared memory in a file beside the database
   (`<path>-ratelimit`, created with the database file's mode and owner, like SQLite's `-shm`); a
   token limited to 100/min gets 100/min behind any number of workers. On PostgreSQL, one budget for
   the whole fleet (docs/fleets.md). TA_RATE_LIMIT_PER_HANDLE: one bucket per token for this handle
   alone, as libtokenauth 1.0 did (the only policy of a ":memory:" store). If the shared table cannot
   be used for a token (the file could not be opened or allocated, or more tokens are short of
   capacity at once than it holds near that token: 262,144 slots), that token is limited by a bucket
   of this handle alone, and each such verification is counted by ta_rate_limit_info and written to
   the audit log as rate_limit.unshared (one entry per reason and minute): never silently. */
typedef enum ta_rate_limit_policy {
    TA_RATE_LIMIT_SHARED = 0,
    TA_RATE_LIMIT_PER_HANDLE = 1
} ta_rate_limit_policy;

/* Added to the contract (1.1). Chooses this handle's policy for its verifications from now on
   (buckets do not carry over: call it right after ta_open). TA_CONFLICT for TA_RATE_LIMIT_SHARED
   on a ":memory:" store; TA_INVALID_ARGUMENT for another value or a NULL store. */
ta_status ta_set_rate_limit_policy(ta_store *store, ta_rate_limit_policy policy);

/* Added to the contract (1.1). The policy in force and its buckets, as JSON: {"policy": "host" |
   "fleet" | "handle", "table": the file or null, "slots", "buckets_in_use" (buckets not full now),
   "unshared_verifications" (this handle's verifications that fell back to a bucket of its own),
   "problem": why the shared table is unavailable, or null}. */
ta_status ta_rate_limit_info(ta_store *store, char **out_json);

/* ---------------------------------------------------------------- scopes and members */

/* Adds a scope to the catalog, or replaces its implications and description (audited as
   scope.defined). `implies` is a space-separated list of existing scopes, or NULL; a cycle is
   TA_INVALID_ARGUMENT (cycles are judged on explicit implications; admin's coverage of every
   scope is not an edge). A NULL description keeps the current one; "" clears it. Scope names
   are 1..63 bytes of [a-z0-9:._-].
   A token's scopes are expanded through the implications when it is created and stored so:
   a later change to the catalog never widens an existing token. (A token granted admin covers
   every catalog scope, including later ones: that is what admin means.) Members' permissions
   are expanded at each check with the catalog as it is then. */
ta_status ta_scope_define(ta_store *store, const char *scope, const char *implies,
                          const char *description);

/* The catalog as JSON: an array of {"scope", "implies" (array), "description" (or null)},
   sorted by scope. */
ta_status ta_scope_list(ta_store *store, char **out_json);

/* Creates or updates a member: the host application tells the store who exists and what each
   may do now. `permissions` holds catalog scopes and IAM actions, space-separated ("" for none;
   NULL is TA_INVALID_ARGUMENT). The IAM actions are exactly: ListAccessTokens,
   ManagePersonalAccessTokens, ManageServiceAccessTokens.
   Reducing a member's permissions reduces what their personal tokens can do from the next
   verification on. */
ta_status ta_member_put(ta_store *store, const char *member_id, const char *permissions);

/* Deactivating a member makes their personal tokens fail with TA_OWNER_INACTIVE until the
   member is activated again. */
ta_status ta_member_set_active(ta_store *store, const char *member_id, bool active);

/* Removes a member. Their personal tokens are revoked for good (TA_REVOKED) and belong to no one
   from then on: a member created later with the same id neither uses, sees nor manages them
   (holders of ListAccessTokens still see them, with their old "owner"). Service tokens they
   created are unaffected. */
ta_status ta_member_remove(ta_store *store, const char *member_id);

/* The members as JSON: an array of {"id", "active" (bool), "permissions" (sorted array, no
   duplicates)}, sorted by id. Removed members are not listed. */
ta_status ta_member_list(ta_store *store, char **out_json);

/* ---------------------------------------------------------------- tokens */

typedef struct ta_token_spec {
    const char *name;        /* required; 1..200 bytes of UTF-8                               */
    ta_token_kind kind;
    const char *scopes;      /* space-separated catalog scopes, at least one; each must be held
                                by the actor                                                    */
    int64_t expires_at_ms;   /* 0 = never; otherwise in the future                           */
    uint32_t rate_limit;     /* requests per window; 0 = the store's default                  */
    uint32_t rate_window_ms; /* 0 = the store's default window                                */
} ta_token_spec;

/*
 * The actor (a member id) performs the action, and IAM decides. An actor that is not an active
 * member gets TA_PERMISSION_DENIED for every call.
 *  - Personal tokens: create/rename/activate/deactivate/revoke/delete/rotate need
 *    ManagePersonalAccessTokens and ownership. A personal token created by an actor belongs to
 *    that actor. An admin may also rename, deactivate, activate, revoke or delete another
 *    member's personal token, but only the owner may rotate it — not an admin, not the host:
 *    nobody ever obtains a secret that acts as someone else.
 *  - Service tokens: every management call needs ManageServiceAccessTokens; rotating one also
 *    needs the actor to hold every scope the token has (rotation hands over its power).
 *  - Visibility: ListAccessTokens shows every token; ManageServiceAccessTokens shows every service
 *    token; every actor sees its own personal tokens. Every call on a token the actor may not see
 *    is TA_NOT_FOUND, so its existence is never revealed; a visible token the actor may not
 *    manage is TA_PERMISSION_DENIED. Permission checks come before state checks (TA_CONFLICT).
 *    A call refused by IAM (TA_PERMISSION_DENIED, or TA_NOT_FOUND for a token that exists but is
 *    not visible) is audited as iam.denied, detail {"action": the function's name without "ta_",
 *    "count", "first_at", "last_at"}, aggregated per (actor, action, token, UTC minute) like
 *    verify.denied, so probing cannot grow the log without bound; other refusals write nothing.
 *    Reading the audit log needs admin.
 * actor == NULL means the host application itself: trusted, allowed everything, recorded in the
 * audit log as "system" — except that it cannot own or rotate a personal token
 * (TA_INVALID_ARGUMENT to create one, TA_PERMISSION_DENIED to rotate one).
 * No scope of a token can ever be changed after creation (narrow by creating a new token and
 * rotating). Each management call is one transaction and is written to the audit log, even one
 * that changes nothing. When it returns, it survives a crash of the process; every change of a
 * token's state, a member or the catalog, other than creating or renaming a token, also survives
 * a power loss (synchronous=FULL for them), so a revoked token can never come back. Audit-only
 * writes (iam.denied, verify.denied) and usage need not. Renaming, deactivating or revoking a
 * revoked token is allowed and harmless; activating or rotating it is TA_CONFLICT. An expired or
 * inactive token may be rotated: the new token is active.
 */

/* Creates a token. `*out_token` receives the secret token string — the only time it is ever
   available: the store keeps only a hash. `*out_token_id` receives its public id, which
   identifies it in every other call and in logs. Either out pointer may be NULL if unwanted. */
ta_status ta_token_create(ta_store *store, const char *actor, const ta_token_spec *spec,
                          char **out_token, char **out_token_id);

/* Added to the contract. Creates `count` tokens (1..TA_BATCH_MAX) in one transaction, all or none:
   token i from specs[i], with the same checks, IAM decisions, records, audit entries (one
   token.created each) and durability as `count` calls of ta_token_create by the same actor. For
   bulk provisioning (fixtures, a migration from another token service), where one transaction
   per token is what limits the rate. One call holds the store's write lock for the whole batch.
   `out_tokens` and `out_token_ids` are two arrays of `count` pointers, either NULL if unwanted:
   out_tokens[i] receives token i's secret (the only time it is ever available),
   out_token_ids[i] its id, each released with ta_free().
   Checks run in ta_token_create's order across the batch: every spec's arguments, then the
   actor, then each spec's scopes and the actor's permission for it, in index order. The first
   failure decides the status (the one ta_token_create would return for that spec), nothing is
   created, and ta_last_error() names the spec ("specs[3]: name is empty"). An IAM refusal is
   audited as iam.denied with the action "token_create_batch".
   On failure every element of both arrays is set to NULL, except that a `count` of 0 or more
   than TA_BATCH_MAX (TA_INVALID_ARGUMENT) leaves the arrays untouched. A NULL store, or NULL
   specs, is TA_INVALID_ARGUMENT. */
ta_status ta_token_create_batch(ta_store *store, const char *actor, const ta_token_spec *specs,
                                size_t count, char **out_tokens, char **out_token_ids);

/* Renames a token (`name`: 1..200 bytes of UTF-8). Allowed on a revoked token. Audited as
   token.renamed; TA_NOT_FOUND for a token the actor may not see. */
ta_status ta_token_rename(ta_store *store, const char *actor, const char *token_id,
                          const char *name);

/* Deactivate (TA_INACTIVE from the next verification) or activate again. Activating a revoked
   token gives TA_CONFLICT. */
ta_status ta_token_set_active(ta_store *store, const char *actor, const char *token_id,
                              bool active);

/* Revokes at once and for good: every later verification, in every process, gets TA_REVOKED.
   The token's record stays, for listing and audit. Revocation is recorded as a state, never as a
   time compared with a verifying host's clock: a host whose clock is behind or ahead of the
   revoker's, or a clock stepped back later, refuses the token all the same ("revoked_at" keeps
   the revoker's time, for the record). */
ta_status ta_token_revoke(ta_store *store, const char *actor, const char *token_id);

/* Deletes the token's record; it can never be restored or used (TA_UNKNOWN_TOKEN). Its audit
   entries stay. */
ta_status ta_token_delete(ta_store *store, const char *actor, const char *token_id);

/* Rotation: issues a new, active token with the same name, kind, owner, scopes and rate limit
   (and, if the old one expires, the same lifetime counted from now; created_by is the actor),
   and revokes the old one once `grace_ms` has passed (0: at once, as a state, like
   ta_token_revoke): the old token answers TA_REVOKED when now >= rotation time + grace_ms. The
   grace period is the one rule of revocation that is a time: each host judges it by its own clock
   (so it ends up to the hosts' skew early or late there) until a handle whose clock has passed
   its end records it as a revocation, within one usage_flush_ms of its background thread; from
   then on every host refuses the old token whatever its clock reads. Rotating a revoked or already-rotated token is
   TA_CONFLICT; grace_ms < 0 is TA_INVALID_ARGUMENT. Returns the new secret and id as
   ta_token_create does; "rotated_from"/"rotated_to" link the two at once. */
ta_status ta_token_rotate(ta_store *store, const char *actor, const char *token_id,
                          int64_t grace_ms, char **out_token, char **out_token_id);

/* JSON. A token object has at least: "id", "name", "kind" ("personal"|"service"), "owner"
   (member id or null), "created_by" (member id or "system"), "scopes" (array, as granted),
   "effective_scopes" (sorted array of the catalog scopes in force now, implications expanded;
   [] unless status is "active"), "status" (the first failing check in verification order:
   "revoked"|"expired"|"inactive"|"owner_inactive", else "active"), "created_at", "expires_at",
   "last_used_at" (numbers in ms, or null), "use_count", "hint" (exactly the token's first
   len(prefix)+6 characters: prefix, kind letter, '_' and 4 random characters — never more of
   the secret), "rate_limit" ({"limit","window_ms"} or null), "rotated_from", "rotated_to" (ids
   or null). Neither the secret nor its hash ever appears.
   `query` may be NULL, or space-separated filters: kind=personal|service, owner=ID,
   status=active|inactive|revoked|expired|owner_inactive, each key at most once; anything else is
   TA_INVALID_ARGUMENT.
   The list is an array ordered by created_at descending, then newest created first. */
ta_status ta_token_list(ta_store *store, const char *actor, const char *query, char **out_json);

/* One token as the JSON object described above; TA_NOT_FOUND if it does not exist or the actor may
   not see it (the two are indistinguishable). */
ta_status ta_token_get(ta_store *store, const char *actor, const char *token_id,
                       char **out_json);

/* ---------------------------------------------------------------- consoles over large stores */

/* Added to the contract. One page of ta_token_list, for a console over a store of any size: the
   tokens the actor can see, in descending id order (newest first to the millisecond: ids are
   time-ordered; tokens created in the same millisecond come in id order), as JSON
   {"tokens": [...], "next": id or null, "scanned": n, "as_of": ms, "usage_flush_ms": ms}.
   `query` may be NULL, or space-separated filters: those of ta_token_list (kind=, owner=,
   status=), after=ID (start below this id: the previous page's "next"), limit=N (1..1000, default
   50) and usage_days=N (0..90, default 0), each key at most once; anything else is
   TA_INVALID_ARGUMENT. `name_contains` (NULL or "" for none, at most 200 bytes) keeps the tokens
   whose name contains it, ignoring case.
   Each token object is ta_token_list's, plus "actions": what the actor may do with it now, among
   "rename", "activate", "deactivate", "revoke", "rotate", "delete" (allowed by IAM and by the
   token's state, and not pointless: no "activate" for an active token), and with usage_days=N,
   "recent_uses": its uses on each of the last N UTC days, oldest first.
   One call examines at most 20,000 tokens: when a filter matches rarely, "tokens" may hold fewer
   than `limit` while "next" is not null; pass it as after= to go on. "next" is null once every
   token was examined. "as_of" is the time of the read: counts include this handle's uses up to
   then, and other handles' up to their own usage_flush_ms earlier; "usage_flush_ms" is this
   handle's. Refusals are audited as for ta_token_list (action "token_page"). */
ta_status ta_token_page(ta_store *store, const char *actor, const char *query,
                        const char *name_contains, char **out_json);

/* Added to the contract. What the actor may do with one token it can see, as JSON
   {"token_id", "actions": [...]}, the "actions" of ta_token_page. TA_NOT_FOUND as ta_token_get. */
ta_status ta_token_actions(ta_store *store, const char *actor, const char *token_id,
                           char **out_json);

/* Added to the contract. What the actor may do in general, as JSON: {"actor" (member id or
   "system"), "create" (the kinds it may create: "personal", "service"), "grantable_scopes" (the
   catalog entries, as ta_scope_list has them, that it holds and so may grant), "audit" (bool: may
   read the audit log), "all_members" (bool: ta_member_list_for shows every member)}. An actor that
   is not an active member is TA_PERMISSION_DENIED (audited, action "actor_rights"). */
ta_status ta_actor_rights(ta_store *store, const char *actor, char **out_json);

/* Added to the contract. The members the actor may see, as ta_member_list has them: every member
   for an admin (and for actor NULL, the host), otherwise the actor alone. */
ta_status ta_member_list_for(ta_store *store, const char *actor, char **out_json);

/* ---------------------------------------------------------------- the hot path */

typedef struct ta_verdict {
    ta_status status;                /* the same value ta_verify returns                      */
    int http_status;                 /* ta_status_http(status): 200, 401, 403 or 429; 400 for
                                        TA_INVALID_ARGUMENT, 503/500 for failures              */
    ta_token_kind kind;              /* 0 when the token is not known                          */
    char token_id[TA_ID_MAX];        /* "" when the token is not known                         */
    char subject[TA_ID_MAX];         /* who acts, for the gateway's logs and the upstream:
                                        the owner's member id, or the token id for a service
                                        token; "" when not known or the owner was removed      */
    int64_t expires_at_ms;           /* 0 = never                                               */
    uint32_t rate_limit;             /* the token's limit per window; 0 = unlimited            */
    uint32_t rate_remaining;         /* whole units left in the bucket after this verification
                                        (reported without spending for a denial)               */
    int64_t rate_reset_ms;           /* ms until the token's capacity is full again            */
    int64_t retry_after_ms;          /* > 0 only with TA_RATE_LIMITED                           */
    char missing_scope[TA_SCOPE_MAX];/* with TA_FORBIDDEN: the first required scope not held   */
} ta_verdict;

/*
 * Verifies a presented credential and, if `required_scopes` is not NULL or empty, that every
 * space-separated scope in it is in force for the token. In force: for a service token, its
 * stored (expanded) scopes; for a personal token, those ∩ its owner's permissions now (expanded
 * with the catalog now). `credential` is the bare token or a whole Authorization header value
 * ("Bearer" + one or more spaces + token, scheme matched case-insensitively, as RFC 6750 has it).
 * The store and `required_scopes` are checked first: a NULL store or a `required_scopes` that is
 * not valid scope syntax is TA_INVALID_ARGUMENT, touches no storage and counts nowhere. Fills
 * `*out` (which may be NULL; zeroed first, every field set) and returns its status.
 *
 * Rate limiting is a token bucket per token, shared as ta_set_rate_limit_policy says (by default,
 * one bucket for every process of the host that opens the same file): capacity rate_limit, refilled continuously at rate_limit per
 * rate_window_ms, starting full. Only a verification that passes every other check takes a unit;
 * without one it gets TA_RATE_LIMITED. rate_remaining is the whole units left, retry_after_ms the
 * time until one unit is back, rate_reset_ms the time until the bucket is full. Windows are
 * measured with the host's CLOCK_BOOTTIME (the pinned clock under ta_set_clock), which no wall
 * clock step moves; a reading that goes back refills nothing and locks nothing out (the bucket
 * keeps its level and refills from the new reading on).
 *
 * A successful verification counts as a use: it updates "use_count", "last_used_at", "by_day"
 * and "scopes_used" (buffered, see ta_config.usage_flush_ms). The use is counted under the UTC day
 * the verifying host's clock reads; "last_used_at" never moves backwards, whatever the clocks of
 * the hosts that report uses. A denied verification of a known
 * token (TA_RATE_LIMITED included) counts in "denied_count" and is written to the audit log as
 * verify.denied, buffered the same way, with the verdict's subject as actor. Denials are
 * aggregated into one entry per (token, status, UTC minute) — "at" is the first denial; detail
 * {"status", "http_status", "count", "first_at", "last_at"} and, for TA_FORBIDDEN, the first
 * "missing_scope"; later flushes and other processes add to the same entry — so a flood cannot
 * grow the log without bound.
 *
 * This is the hot path: it must not allocate per call on the success path when the token has
 * been seen before, and must not block on another thread's or process's write.
 */
ta_status ta_verify(ta_store *store, const char *credential, const char *required_scopes,
                    ta_verdict *out);

/* The same, for a credential that is not NUL-terminated (e.g. a header in a request buffer). */
ta_status ta_verify_n(ta_store *store, const char *credential, size_t credential_len,
                      const char *required_scopes, ta_verdict *out);

/*
 * Added to the contract (1.1): resource-scoped grants, for least privilege ("single-purpose
 * integrations should be scoped to specific entities").
 *
 * A grant in a token's scopes or a member's permissions is a SCOPE, or SCOPE@PATTERN: the scope on
 * the resources the pattern covers only (`tickets:read@project/42`, `assets:write@site/STAR/rack/7`
 * with STAR a lone `*`). A pattern is '/'-separated segments, each 1..64 bytes of [A-Za-z0-9._:-] or
 * a lone `*` (any one whole segment), at most 200 bytes. A resource name has the same syntax
 * without `*`, at most 1024 bytes. A pattern covers a name when, segment by segment over the
 * pattern's length, each pattern segment is `*` or equal to the name's (by bytes: case-sensitive);
 * the name may go deeper (`project/42` covers `project/42/tickets/7`, not `project`).
 * Implications keep the qualifier: `tickets:write@P` implies `tickets:read@P`, and `admin@P` every
 * scope on P and nothing elsewhere (IAM actions take no pattern, and only admin on every resource
 * makes an administrator).
 *
 * Verifies like ta_verify, with the resource the request touches. A required scope is in force when
 * the token holds it on every resource (directly or by implication), or holds it through a grant
 * whose pattern covers `resource`; for a personal token, its owner must also hold it on `resource`
 * now (an owner downgraded to `S@project/42` narrows the owner's `S` tokens to project 42 at once).
 * `resource` NULL or "" means no specific resource: then only grants on every resource count, so
 * ta_verify of a token holding only qualified grants is TA_FORBIDDEN (fail closed). An ill-formed
 * resource name is TA_INVALID_ARGUMENT (checked first, counting nowhere). With TA_FORBIDDEN,
 * missing_scope names the scope and ta_last_error() the resource too. A success counts the grant
 * used in "scopes_used" as written: `tickets:read@project/42` when a qualified grant put it in force.
 *
 * Creation, batch creation and rotation keep least privilege per grant: each requested grant must be
 * covered by one the actor holds. A grant on every resource covers everything; `S@Q` covers `S@P`
 * when Q has no more segments than P and each Q segment is `*` or equal to P's (a `*` in P needs a
 * `*` in Q); otherwise TA_PERMISSION_DENIED. The SCOPE part must be in the catalog
 * (TA_UNKNOWN_SCOPE); patterns are not catalog entries. Lists, reports, statistics and the audit
 * show grants as written.
 */
ta_status ta_verify_resource(ta_store *store, const char *credential, const char *required_scopes,
                             const char *resource, ta_verdict *out);

/* Added to the contract (1.1). ta_verify_resource for a credential that is not NUL-terminated. */
ta_status ta_verify_resource_n(ta_store *store, const char *credential, size_t credential_len,
                               const char *required_scopes, const char *resource, ta_verdict *out);

/* Added to the contract (1.1). Whether `required_scopes` and `resource` are well-formed, as
   ta_verify_resource judges them before it looks at a token, without a store: TA_OK, or
   TA_INVALID_ARGUMENT with ta_last_error() naming which and why. NULL or "" checks nothing. It does
   not ask whether the scopes are in a store's catalog. For a gateway that checks a fixed
   configuration when it loads it (nginx -t), so that a value every request would refuse is
   refused once, at load. */
ta_status ta_check_verify_input(const char *required_scopes, const char *resource);

/* Records what the gateway did with a verified request: `operation` names it (e.g.
   "GET /api/tickets", at most 200 bytes), `http_status` is what the upstream answered (100..599).
   Feeds the per-operation statistics. Buffered like the use counts. An unknown token id is
   TA_NOT_FOUND. */
ta_status ta_record_usage(ta_store *store, const char *token_id, const char *operation,
                          int http_status);

/* Added to the contract (1.1). The rate limit stored with the token `token_id`: `*out_limit` requests
   per `*out_window_ms` (both 0 for an unlimited token), for a gateway's RateLimit-Policy header
   (ta_verdict carries the limit but not its window). One read of the token's record: it neither
   flushes usage nor waits for a writer, so a gateway may call it while answering a request (and
   keep the answer: a token's limit never changes). TA_NOT_FOUND for an unknown id. Either out
   pointer may be NULL; both are set to 0 on failure. */
ta_status ta_token_rate_limit(ta_store *store, const char *token_id, uint32_t *out_limit,
                              uint32_t *out_window_ms);

/* ---------------------------------------------------------------- oversight */

/* Usage statistics of one token, as JSON. Counts are kept per UTC day: `since_ms` (0 = all time)
   selects whole days from its UTC day on; "last_used_at" is the exact last use, whatever
   `since_ms`. At least:
   "token_id", "use_count", "denied_count", "last_used_at", "by_day" ({"YYYY-MM-DD": n}),
   "by_operation" ({"GET /x": n}) and "by_status" ({"200": n}) — both counted from
   ta_record_usage — and "scopes_used" (array of the scopes successful verifications required,
   over the same days). */
ta_status ta_token_stats(ta_store *store, const char *actor, const char *token_id,
                         int64_t since_ms, char **out_json);

/* The audit log as a JSON array, newest first. Each entry has at least "at", "event", "actor",
   "token_id" (or null), "member_id" (or null) and "detail". Events include token.created,
   token.renamed, token.activated, token.deactivated, token.revoked, token.deleted,
   token.rotated, member.put, member.activated, member.deactivated, member.removed,
   scope.defined, iam.denied (with the action) and verify.denied (with the status). `query` may
   be NULL or space-separated filters: token=ID, actor=ID, event=NAME, since=MS, until=MS
   (since <= at <= until), limit=N (N >= 1; default 1000); each key at most once; event=NAME matches exactly (an unknown
   name matches nothing); anything else is TA_INVALID_ARGUMENT. Ordered by "at" descending,
   then newest written first. Needs admin (or actor NULL). */
ta_status ta_audit(ta_store *store, const char *actor, const char *query, char **out_json);

/* The least-privilege and hygiene report, as JSON: {"generated_at": ms, "since": ms,
   "tokens": [...]}, one entry per visible token that is not revoked, with at least "token_id",
   "name", "unused_scopes" (granted, but not required by any successful verification since
   `since_ms`), "never_used" (bool), "idle_days" (whole days since last use, or null),
   "never_expires" (bool), "expires_soon" (bool: 0 < expires_at - now <= 7 days) and
   "recommendations" (array of plain-language strings, e.g. to drop an unused scope: create a
   narrower token, move the integration to it, revoke this one). */
ta_status ta_report(ta_store *store, const char *actor, int64_t since_ms, char **out_json);

/* ---------------------------------------------------------------- helpers */

const char *ta_status_name(ta_status status);  /* "TA_FORBIDDEN"; static storage           */
int ta_status_http(ta_status status);          /* the bracketed HTTP status above; 200 OK  */
/* A static JSON error body for a status, in the shape
   {"success":false,"errors":["Forbidden"],"data":null} ("Unauthorized", "Forbidden",
   "Too Many Requests", …). NULL for TA_OK. */
const char *ta_error_json(ta_status status);
/* Detail of the last failed call on this thread; "" if none. Valid until this thread's next
   call into the library. Never contains a secret. */
const char *ta_last_error(void);
const char *ta_version(void);                  /* "MAJOR.MINOR.PATCH"                        */
void ta_free(void *pointer);                   /* NULL is a no-op                             */

#ifdef __cplusplus
}
#endif

#endif /* TOKENAUTH_H */

/*
 * libtokenauth demo: every row of the status table, from C.
 *
 * Opens a store in a temporary directory, declares three members (an admin, a developer who may
 * manage personal tokens, and someone who will be removed), issues a personal and a service token,
 * and then shows what ta_verify and the management calls answer in each case: the status name,
 * the HTTP status a gateway would send, and the JSON error body it would send with it.
 *
 * Build against an installed library:
 *     cc -std=c99 demo.c $(pkg-config --cflags --libs tokenauth) -o demo
 * Secrets are never printed: only their hint (prefix, kind letter, '_' and 4 characters).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tokenauth.h"

static ta_store *store;
static int rows, surprises;
static int64_t now_ms;

/* Stops the demo when a set-up step fails: the table would be meaningless. */
static void must(ta_status s, const char *what)
{
    if (s != TA_OK) {
        fprintf(stderr, "demo: %s failed: %s (%s)\n", what, ta_status_name(s), ta_last_error());
        exit(1);
    }
}

static void header(const char *title)
{
    printf("\n%s\n", title);
    printf("%-3s %-48s %-21s %-4s  %-62s %s\n", "#", "case", "status", "HTTP", "error body", "detail");
    printf("%-3s %-48s %-21s %-4s  %-62s %s\n", "--", "----", "------", "----", "----------", "------");
}

/* One table row. `expected` is what the contract says; a mismatch is flagged and counted. */
static void row(const char *what, ta_status got, ta_status expected, const char *detail)
{
    const char *body = ta_error_json(got);
    rows++;
    if (got != expected)
        surprises++;
    printf("%-3d %-48s %-21s %-4d  %-62s %s%s%s\n", rows, what, ta_status_name(got), ta_status_http(got),
           body ? body : "-", detail ? detail : "", got != expected ? "  <-- expected " : "",
           got != expected ? ta_status_name(expected) : "");
}

/* A verification row: the verdict's most useful fields as the detail. */
static void verify_row(const char *what, const char *credential, const char *scopes, ta_status expected)
{
    ta_verdict v;
    char detail[160];
    ta_status s = ta_verify(store, credential, scopes, &v);
    switch (s) {
    case TA_OK:
        snprintf(detail, sizeof detail, "subject=%s, %u of %u left", v.subject, v.rate_remaining, v.rate_limit);
        if (v.rate_limit == 0)
            snprintf(detail, sizeof detail, "subject=%s, unlimited", v.subject);
        break;
    case TA_FORBIDDEN:
        snprintf(detail, sizeof detail, "missing scope %s", v.missing_scope);
        break;
    case TA_RATE_LIMITED:
        snprintf(detail, sizeof detail, "Retry-After: %lld s (retry_after_ms=%lld)",
                 (long long)((v.retry_after_ms + 999) / 1000), (long long)v.retry_after_ms);
        break;
    default:
        snprintf(detail, sizeof detail, "%s%s", v.token_id[0] ? "token " : "", v.token_id);
    }
    row(what, s, expected, detail);
}

/* A management row: the thread's last error message as the detail (it never holds a secret). */
static void manage_row(const char *what, ta_status s, ta_status expected)
{
    char detail[80];
    snprintf(detail, sizeof detail, "%.70s", s == TA_OK ? "" : ta_last_error());
    row(what, s, expected, detail);
}

static char *create(const char *actor, const char *name, ta_token_kind kind, const char *scopes,
                    int64_t expires_at_ms, uint32_t rate_limit, char **id)
{
    ta_token_spec spec;
    char *secret = NULL;
    memset(&spec, 0, sizeof spec);
    spec.name = name;
    spec.kind = kind;
    spec.scopes = scopes;
    spec.expires_at_ms = expires_at_ms;
    spec.rate_limit = rate_limit;
    spec.rate_window_ms = 60000;
    must(ta_token_create(store, actor, &spec, &secret, id), name);
    return secret;
}

int main(void)
{
    char dir[] = "/tmp/tokenauth-demo-XXXXXX", path[256], bearer[160], tampered[128];
    char *personal, *personal_id = NULL, *service, *service_id = NULL, *t, *t_id = NULL;
    char *leaver_token, *expiring, *json = NULL;
    ta_token_spec spec;
    ta_status s;
    size_t n;
    int i;

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/tokens.db", dir);
    must(ta_open(path, NULL, &store), "ta_open");
    /* A fixed clock makes the table reproducible (rate-limit numbers, expiry). */
    now_ms = (int64_t)time(NULL) * 1000;
    ta_set_clock(store, now_ms);

    printf("libtokenauth %s demo: store %s\n", ta_version(), path);

    must(ta_member_put(store, "alice", "admin"), "member alice");
    must(ta_member_put(store, "dev", "ManagePersonalAccessTokens tickets:write assets:read"), "member dev");
    must(ta_member_put(store, "leaver", "ManagePersonalAccessTokens tickets:read"), "member leaver");
    printf("\nmembers:  alice = admin\n"
           "          dev = ManagePersonalAccessTokens tickets:write assets:read\n"
           "          leaver = ManagePersonalAccessTokens tickets:read (removed below)\n");

    personal = create("dev", "dev's CLI", TA_KIND_PERSONAL, "tickets:write assets:read", 0, 0, &personal_id);
    service = create("alice", "ticket sync", TA_KIND_SERVICE, "tickets:read", 0, 3, &service_id);
    printf("tokens:   personal %s  hint %.9s...  owner dev, scopes tickets:write assets:read\n", personal_id, personal);
    printf("          service  %s  hint %.9s...  created by alice, scopes tickets:read, 3 requests/minute\n",
           service_id, service);

    header("Verification (ta_verify), in the order the checks run");
    snprintf(bearer, sizeof bearer, "Bearer %s", personal);
    verify_row("personal token, needs tickets:read", bearer, "tickets:read", TA_OK);
    verify_row("service token, needs tickets:read", service, "tickets:read", TA_OK);
    verify_row("\"Bearer not-a-token\"", "Bearer not-a-token", NULL, TA_MALFORMED);
    verify_row("\"Basic ...\" instead of \"Bearer ...\"", "Basic dXNlcjpwYXNz", NULL, TA_MALFORMED);
    snprintf(tampered, sizeof tampered, "%s", personal);
    n = strlen(tampered);
    tampered[n - 8] = tampered[n - 8] == 'x' ? 'y' : 'x';
    verify_row("one character changed (checksum fails)", tampered, NULL, TA_MALFORMED);

    t = create("dev", "deleted later", TA_KIND_PERSONAL, "assets:read", 0, 0, &t_id);
    must(ta_token_delete(store, "dev", t_id), "delete");
    verify_row("a deleted token (well formed, unknown)", t, NULL, TA_UNKNOWN_TOKEN);
    ta_free(t);
    ta_free(t_id);

    t = create("dev", "revoked", TA_KIND_PERSONAL, "assets:read", 0, 0, &t_id);
    must(ta_token_revoke(store, "dev", t_id), "revoke");
    verify_row("a revoked token", t, NULL, TA_REVOKED);
    ta_free(t);
    ta_free(t_id);

    expiring = create("dev", "expires in an hour", TA_KIND_PERSONAL, "assets:read", now_ms + 3600000, 0, NULL);
    ta_set_clock(store, now_ms + 2 * 3600000);
    verify_row("an expired token (clock moved 2 h ahead)", expiring, NULL, TA_EXPIRED);
    ta_set_clock(store, now_ms);
    ta_free(expiring);

    t = create("dev", "paused", TA_KIND_PERSONAL, "assets:read", 0, 0, &t_id);
    must(ta_token_set_active(store, "dev", t_id, false), "deactivate");
    verify_row("a deactivated token", t, NULL, TA_INACTIVE);
    ta_free(t);
    ta_free(t_id);

    leaver_token = create("leaver", "leaver's token", TA_KIND_PERSONAL, "tickets:read", 0, 0, NULL);
    must(ta_member_set_active(store, "leaver", false), "deactivate leaver");
    verify_row("personal token, owner deactivated", leaver_token, NULL, TA_OWNER_INACTIVE);

    verify_row("personal token, needs users:write", personal, "tickets:read users:write", TA_FORBIDDEN);
    must(ta_member_put(store, "dev", "ManagePersonalAccessTokens assets:read"), "downgrade dev");
    verify_row("owner lost tickets:write, needs tickets:write", personal, "tickets:write", TA_FORBIDDEN);
    verify_row("service token, needs users:read", service, "users:read", TA_FORBIDDEN);

    must(ta_member_remove(store, "leaver"), "remove leaver");
    verify_row("personal token, owner removed", leaver_token, NULL, TA_REVOKED);
    ta_free(leaver_token);

    verify_row("service token, 2nd request this minute", service, "tickets:read", TA_OK);
    verify_row("service token, 3rd request this minute", service, "tickets:read", TA_OK);
    verify_row("service token, 4th request this minute", service, "tickets:read", TA_RATE_LIMITED);
    {
        ta_verdict v;
        row("a NULL store", ta_verify(NULL, service, NULL, &v), TA_INVALID_ARGUMENT, "");
    }

    header("Management calls");
    s = ta_token_get(store, "dev", "tok_0000000000000000", &json);
    manage_row("get a token that does not exist", s, TA_NOT_FOUND);
    s = ta_token_get(store, "dev", service_id, &json);
    manage_row("dev gets alice's service token (not visible)", s, TA_NOT_FOUND);
    memset(&spec, 0, sizeof spec);
    spec.name = "integration";
    spec.kind = TA_KIND_SERVICE;
    spec.scopes = "assets:read";
    s = ta_token_create(store, "dev", &spec, NULL, NULL);
    manage_row("dev creates a service token", s, TA_PERMISSION_DENIED);
    spec.kind = TA_KIND_PERSONAL;
    spec.scopes = "users:read";
    s = ta_token_create(store, "dev", &spec, NULL, NULL);
    manage_row("dev grants a scope dev does not hold", s, TA_PERMISSION_DENIED);
    s = ta_token_rotate(store, "alice", personal_id, 0, NULL, NULL);
    manage_row("an admin rotates dev's personal token", s, TA_PERMISSION_DENIED);
    t = create("dev", "to revoke", TA_KIND_PERSONAL, "assets:read", 0, 0, &t_id);
    must(ta_token_revoke(store, "dev", t_id), "revoke");
    s = ta_token_set_active(store, "dev", t_id, true);
    manage_row("activate a revoked token", s, TA_CONFLICT);
    s = ta_token_rotate(store, "dev", t_id, 0, NULL, NULL);
    manage_row("rotate a revoked token", s, TA_CONFLICT);
    ta_free(t);
    ta_free(t_id);
    spec.scopes = "billing:read";
    s = ta_token_create(store, "dev", &spec, NULL, NULL);
    manage_row("create with a scope not in the catalog", s, TA_UNKNOWN_SCOPE);
    spec.scopes = "assets:read";
    spec.expires_at_ms = now_ms - 1000;
    s = ta_token_create(store, "dev", &spec, NULL, NULL);
    manage_row("create with an expiry in the past", s, TA_INVALID_ARGUMENT);
    s = ta_member_put(store, "system", "");
    manage_row("declare the reserved member id \"system\"", s, TA_INVALID_ARGUMENT);
    s = ta_token_rename(store, "dev", personal_id, "renamed");
    manage_row("dev renames own token", s, TA_OK);

    /* Rotation with grace: the old secret keeps working for a minute. */
    header("Rotation with a 60 s grace period");
    {
        char *fresh = NULL, *fresh_id = NULL;
        s = ta_token_rotate(store, "dev", personal_id, 60000, &fresh, &fresh_id);
        manage_row("dev rotates own token, grace 60 s", s, TA_OK);
        if (s == TA_OK) {
            printf("    new token %s  hint %.9s...\n", fresh_id, fresh);
            verify_row("old token, right after the rotation", personal, "assets:read", TA_OK);
            ta_set_clock(store, now_ms + 59000);
            verify_row("old token, 59 s later", personal, "assets:read", TA_OK);
            ta_set_clock(store, now_ms + 60000);
            verify_row("old token, 60 s later", personal, "assets:read", TA_REVOKED);
            verify_row("new token, 60 s later", fresh, "assets:read", TA_OK);
        }
        ta_free(fresh);
        ta_free(fresh_id);
    }

    must(ta_flush(store), "flush");
    if (ta_token_stats(store, NULL, service_id, 0, &json) == TA_OK) {
        printf("\nusage of the service token (ta_token_stats): %s\n", json);
        ta_free(json);
    }

    ta_free(personal);
    ta_free(personal_id);
    ta_free(service);
    ta_free(service_id);
    ta_close(store);

    {
        const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
        for (i = 0; i < 4; i++) {
            char file[300];
            snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
            remove(file);
        }
        rmdir(dir);
    }
    printf("\n%d rows, %d different from the contract's table%s\n", rows, surprises,
           surprises ? " (marked with <--)" : "");
    return surprises ? 1 : 0;
}

/*
 * tokenctl: a small admin tool over libtokenauth, for setting up the gateway's members and tokens.
 *
 *   tokenctl [--db PATH] [--prefix P] [--actor ID] COMMAND [ARGS] [--flags]
 *
 * Commands (the actor is the host unless --actor ID):
 *   scopes                                  ta_scope_list (JSON)
 *   scope-define SCOPE [IMPLIES [DESC]]     ta_scope_define
 *   members                                 ta_member_list (JSON)
 *   member-put ID PERMISSIONS               ta_member_put ("" for none)
 *   member-activate ID | member-deactivate ID | member-remove ID
 *   create NAME personal|service SCOPES [--expires-in-ms N] [--rate-limit N] [--window-ms N]
 *                                           prints "TOKEN_ID SECRET" (the secret, this once)
 *   rotate TOKEN_ID [--grace-ms N]          prints "TOKEN_ID SECRET" of the new token
 *   rename TOKEN_ID NAME | activate TOKEN_ID | deactivate TOKEN_ID | revoke TOKEN_ID
 *   delete TOKEN_ID
 *   list [QUERY] | get TOKEN_ID | stats TOKEN_ID [--since-ms N] | audit [QUERY]
 *   report [--since-ms N]                   JSON
 *   verify CREDENTIAL [SCOPES]              prints the verdict (never the credential)
 *   error-json STATUS                       ta_error_json of a status (number or TA_ name)
 *   version                                 ta_version
 * Exit status: 0, or the failing ta_status (with "tokenctl: TA_NAME: detail" on stderr); 2 for
 * a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <tokenauth.h>

static const char *g_actor; /* NULL: the host */

static int fail(ta_status st, const char *what) {
    fprintf(stderr, "tokenctl: %s: %s: %s\n", what, ta_status_name(st), ta_last_error());
    return (int)st;
}

static int usage(void) {
    fprintf(stderr,
            "usage: tokenctl [--db PATH] [--prefix P] [--actor ID] COMMAND [ARGS]\n"
            "  scopes | scope-define SCOPE [IMPLIES [DESC]] | members | member-put ID PERMS\n"
            "  member-activate ID | member-deactivate ID | member-remove ID\n"
            "  create NAME personal|service SCOPES [--expires-in-ms N] [--rate-limit N] [--window-ms N]\n"
            "  rotate ID [--grace-ms N] | rename ID NAME | activate ID | deactivate ID | revoke ID\n"
            "  delete ID | list [QUERY] | get ID | stats ID [--since-ms N] | audit [QUERY]\n"
            "  report [--since-ms N] | verify CREDENTIAL [SCOPES] | error-json STATUS | version\n");
    return 2;
}

static int64_t now_ms(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static bool parse_i64(const char *s, int64_t *out) {
    char *end = NULL;
    errno = 0;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || errno || !*s || *end) return false;
    *out = v;
    return true;
}

static int print_json(ta_status st, char *json, const char *what) {
    if (st != TA_OK) return fail(st, what);
    puts(json ? json : "null");
    ta_free(json);
    return 0;
}

static int print_issued(ta_status st, char *secret, char *id, const char *what) {
    if (st != TA_OK) return fail(st, what);
    printf("%s %s\n", id ? id : "-", secret ? secret : "-");
    ta_free(secret);
    ta_free(id);
    return 0;
}

static const char *kind_name(ta_token_kind k) {
    return k == TA_KIND_PERSONAL ? "personal" : k == TA_KIND_SERVICE ? "service" : "-";
}

int main(int argc, char **argv) {
    const char *db = "tokens.db", *prefix = NULL;
    /* Flags may come anywhere; what is left are the command and its positional arguments. */
    const char *pos[8];
    int npos = 0;
    int64_t expires_in = 0, rate_limit = 0, window = 0, grace = 0, since = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int64_t *num = !strcmp(a, "--expires-in-ms") ? &expires_in
                       : !strcmp(a, "--rate-limit")  ? &rate_limit
                       : !strcmp(a, "--window-ms")   ? &window
                       : !strcmp(a, "--grace-ms")    ? &grace
                       : !strcmp(a, "--since-ms")    ? &since
                                                     : NULL;
        if (num) {
            if (!parse_i64(v, num)) return fprintf(stderr, "tokenctl: %s wants a number\n", a), 2;
            i++;
        } else if (!strcmp(a, "--db") && v) {
            db = v, i++;
        } else if (!strcmp(a, "--prefix") && v) {
            prefix = v, i++;
        } else if (!strcmp(a, "--actor") && v) {
            g_actor = v, i++;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            return usage();
        } else if (npos < 8) {
            pos[npos++] = a;
        } else {
            return usage();
        }
    }
    if (npos == 0) return usage();
    const char *cmd = pos[0];
    const char *a1 = npos > 1 ? pos[1] : NULL, *a2 = npos > 2 ? pos[2] : NULL,
               *a3 = npos > 3 ? pos[3] : NULL;

    /* Static helpers need no store. */
    if (!strcmp(cmd, "version")) return puts(ta_version()), 0;
    if (!strcmp(cmd, "error-json") && a1) {
        int64_t n = -1;
        if (!parse_i64(a1, &n)) {
            for (int s = 0; s < 64; s++)
                if (!strcmp(ta_status_name((ta_status)s), a1)) n = s;
        }
        const char *body = n >= 0 ? ta_error_json((ta_status)n) : NULL;
        if (!body) return fprintf(stderr, "tokenctl: no error body for %s\n", a1), 2;
        return puts(body), 0;
    }

    ta_config cfg = {.token_prefix = prefix};
    ta_store *s = NULL;
    ta_status st = ta_open(db, &cfg, &s);
    if (st != TA_OK) return fail(st, "open");
    int rc = -1;
    char *json = NULL, *secret = NULL, *id = NULL;

    if (!strcmp(cmd, "scopes")) {
        st = ta_scope_list(s, &json);
        rc = print_json(st, json, cmd);
    } else if (!strcmp(cmd, "scope-define") && a1) {
        st = ta_scope_define(s, a1, a2, a3);
        rc = st == TA_OK ? 0 : fail(st, cmd);
    } else if (!strcmp(cmd, "members")) {
        st = ta_member_list(s, &json);
        rc = print_json(st, json, cmd);
    } else if (!strcmp(cmd, "member-put") && a1 && a2) {
        st = ta_member_put(s, a1, a2);
        rc = st == TA_OK ? 0 : fail(st, cmd);
    } else if ((!strcmp(cmd, "member-activate") || !strcmp(cmd, "member-deactivate")) && a1) {
        st = ta_member_set_active(s, a1, !strcmp(cmd, "member-activate"));
        rc = st == TA_OK ? 0 : fail(st, cmd);
    } else if (!strcmp(cmd, "member-remove") && a1) {
        st = ta_member_remove(s, a1);
        rc = st == TA_OK ? 0 : fail(st, cmd);
    } else if (!strcmp(cmd, "create") && a1 && a2 && a3) {
        ta_token_kind kind = !strcmp(a2, "service") ? TA_KIND_SERVICE
                             : !strcmp(a2, "personal") ? TA_KIND_PERSONAL
                                                       : (ta_token_kind)0;
        if (!kind || rate_limit < 0 || rate_limit > UINT32_MAX || window < 0 || window > UINT32_MAX) {
            rc = usage();
        } else {
            ta_token_spec spec = {.name = a1, .kind = kind, .scopes = a3,
                                  .expires_at_ms = expires_in ? now_ms() + expires_in : 0,
                                  .rate_limit = (uint32_t)rate_limit,
                                  .rate_window_ms = (uint32_t)window};
            st = ta_token_create(s, g_actor, &spec, &secret, &id);
            rc = print_issued(st, secret, id, cmd);
        }
    } else if (!strcmp(cmd, "rotate") && a1) {
        st = ta_token_rotate(s, g_actor, a1, grace, &secret, &id);
        rc = print_issued(st, secret, id, cmd);
    } else if (!strcmp(cmd, "rename") && a1 && a2) {
        st = ta_token_rename(s, g_actor, a1, a2);
        rc = st == TA_OK ? 0 : fail(st, cmd);
    } else if ((!strcmp(cmd, "activate") || !strcmp(cmd, "deactivate")) && a1) {
        st = ta_token_set_active(s, g_actor, a1, !strcmp(cmd, "activate"));
        rc = st == TA_OK ? 0 : fail(st, cmd);
    } else if (!strcmp(cmd, "revoke") && a1) {
        st = ta_token_revoke(s, g_actor, a1);
        rc = st == TA_OK ? 0 : fail(st, cmd);
    } else if (!strcmp(cmd, "delete") && a1) {
        st = ta_token_delete(s, g_actor, a1);
        rc = st == TA_OK ? 0 : fail(st, cmd);
    } else if (!strcmp(cmd, "list")) {
        st = ta_token_list(s, g_actor, a1, &json);
        rc = print_json(st, json, cmd);
    } else if (!strcmp(cmd, "get") && a1) {
        st = ta_token_get(s, g_actor, a1, &json);
        rc = print_json(st, json, cmd);
    } else if (!strcmp(cmd, "stats") && a1) {
        st = ta_token_stats(s, g_actor, a1, since, &json);
        rc = print_json(st, json, cmd);
    } else if (!strcmp(cmd, "audit")) {
        st = ta_audit(s, g_actor, a1, &json);
        rc = print_json(st, json, cmd);
    } else if (!strcmp(cmd, "report")) {
        st = ta_report(s, g_actor, since, &json);
        rc = print_json(st, json, cmd);
    } else if (!strcmp(cmd, "verify") && a1) {
        ta_verdict v;
        st = ta_verify(s, a1, a2, &v);
        printf("status=%s http=%d kind=%s token_id=%s subject=%s rate_limit=%" PRIu32
               " remaining=%" PRIu32 " retry_after_ms=%" PRId64 " missing_scope=%s\n",
               ta_status_name(v.status), v.http_status, kind_name(v.kind), v.token_id, v.subject,
               v.rate_limit, v.rate_remaining, v.retry_after_ms, v.missing_scope);
        rc = (int)st;
    } else {
        rc = usage();
    }
    ta_close(s);
    return rc;
}

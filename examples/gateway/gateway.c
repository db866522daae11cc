/*
 * gateway: an HTTP API gateway on libmicrohttpd that authenticates every request with
 * libtokenauth and forwards it, over real HTTP, to an upstream it serves itself.
 *
 *   gateway [--port N] [--bind ADDR] [--db PATH] [--routes FILE] [--threads N]
 *           [--upstream-port N] [--flush-ms N] [--quiet]
 *
 * Each request is matched against the routes file ("METHOD PATH SCOPES", see routes.conf):
 *  - no route: 404 with ta_error_json(TA_NOT_FOUND) (the gateway fails closed);
 *  - a "public" route (the benchmark's /noauth/...): forwarded without authentication;
 *  - otherwise the Authorization header is verified with ta_verify_n against the route's scopes.
 *    A denial is answered with ta_verdict.http_status (401/403/429) and the library's JSON body
 *    (ta_error_json), WWW-Authenticate (RFC 6750), and on 429 Retry-After (seconds, rounded up)
 *    plus the IETF RateLimit headers. A request that passes is forwarded with X-Token-Subject,
 *    the upstream's answer is relayed (with the RateLimit headers of a limited token), and
 *    ta_record_usage(token_id, "METHOD PATTERN", upstream status) feeds the statistics.
 * Client headers are not forwarded (only Content-Type and the body), so a client can never set
 * X-Token-Subject itself, and the secret in Authorization never reaches the upstream.
 *
 * The upstream stub is a second MHD daemon on 127.0.0.1 (an ephemeral port unless
 * --upstream-port): it answers {"success":true,"errors":[],"data":{method,path,subject}}, 201 for
 * POST, 200 otherwise. Each gateway worker thread keeps one keep-alive connection to it.
 *
 * The gateway prints "listening on http://ADDR:PORT" on stdout once it serves (--port 0 picks a
 * free port), logs one line per request on stderr unless --quiet, and stops cleanly on
 * SIGINT/SIGTERM (ta_close flushes the buffered usage).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <tokenauth.h>
#include <unistd.h>

#define MAX_BODY (1024 * 1024)
#define BAD_GATEWAY_JSON "{\"success\":false,\"errors\":[\"Bad Gateway\"],\"data\":null}"
#define TOO_LARGE_JSON "{\"success\":false,\"errors\":[\"Payload Too Large\"],\"data\":null}"

/* ------------------------------------------------------------------------------------ routes */

struct route {
    char *method;
    char *pattern;   /* as written; a trailing '*' matches any rest */
    size_t match_len; /* bytes of pattern compared (without the '*') */
    bool prefix;
    bool public_route;
    char *scopes;    /* space-separated, NULL for "-" (any valid token) */
    char *operation; /* "METHOD PATTERN": the name given to ta_record_usage */
};

static struct route *g_routes;
static size_t g_nroutes;

static const char *DEFAULT_ROUTES =
    "GET    /api/tickets      tickets:read\n"
    "GET    /api/tickets/*    tickets:read\n"
    "POST   /api/tickets      tickets:write\n"
    "GET    /api/assets       assets:read\n"
    "POST   /api/assets       assets:write\n"
    "GET    /api/users        users:read\n"
    "GET    /api/whoami       -\n"
    "GET    /noauth/*         public\n";

static char *xstrdup(const char *s) {
    char *d = strdup(s);
    if (!d) {
        perror("strdup");
        exit(1);
    }
    return d;
}

static int add_route_line(char *line, const char *where, int lineno) {
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char *save = NULL;
    char *method = strtok_r(line, " \t\r\n", &save);
    if (!method) return 0; /* blank */
    char *pattern = strtok_r(NULL, " \t\r\n", &save);
    char *rest = save ? save + strspn(save, " \t") : NULL;
    if (rest) rest[strcspn(rest, "\r\n")] = '\0';
    while (rest && *rest && isspace((unsigned char)rest[strlen(rest) - 1])) rest[strlen(rest) - 1] = '\0';
    if (!pattern || pattern[0] != '/' || !rest || !*rest) {
        fprintf(stderr, "gateway: %s:%d: expected \"METHOD /path SCOPES|-|public\"\n", where, lineno);
        return -1;
    }
    struct route *grown = realloc(g_routes, (g_nroutes + 1) * sizeof *g_routes);
    if (!grown) {
        perror("realloc");
        exit(1);
    }
    g_routes = grown;
    struct route *r = &g_routes[g_nroutes++];
    memset(r, 0, sizeof *r);
    for (char *p = method; *p; p++) *p = (char)toupper((unsigned char)*p);
    r->method = xstrdup(method);
    r->pattern = xstrdup(pattern);
    size_t len = strlen(pattern);
    r->prefix = pattern[len - 1] == '*';
    r->match_len = r->prefix ? len - 1 : len;
    r->public_route = strcmp(rest, "public") == 0;
    r->scopes = (r->public_route || strcmp(rest, "-") == 0) ? NULL : xstrdup(rest);
    size_t oplen = strlen(method) + 1 + len + 1;
    r->operation = malloc(oplen);
    if (!r->operation) exit(1);
    snprintf(r->operation, oplen, "%s %s", method, pattern);
    return 0;
}

static int load_routes(const char *path) {
    if (!path) {
        char *copy = xstrdup(DEFAULT_ROUTES), *save = NULL;
        int n = 0;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
            if (add_route_line(line, "built-in routes", ++n) != 0) return -1;
        free(copy);
        return 0;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "gateway: cannot read routes file %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int n = 0, rc = 0;
    while (fgets(line, sizeof line, f))
        if (add_route_line(line, path, ++n) != 0) rc = -1;
    fclose(f);
    if (rc == 0 && g_nroutes == 0) {
        fprintf(stderr, "gateway: %s holds no routes\n", path);
        rc = -1;
    }
    return rc;
}

/* The most specific route: an exact pattern first, then the longest matching prefix. */
static const struct route *find_route(const char *method, const char *url) {
    const struct route *best = NULL;
    size_t ulen = strlen(url);
    for (size_t i = 0; i < g_nroutes; i++) {
        const struct route *r = &g_routes[i];
        if (strcmp(r->method, method) != 0) continue;
        if (!r->prefix) {
            if (ulen == r->match_len && memcmp(url, r->pattern, ulen) == 0) return r;
        } else if (ulen >= r->match_len && memcmp(url, r->pattern, r->match_len) == 0) {
            if (!best || r->match_len > best->match_len) best = r;
        }
    }
    return best;
}

/* ------------------------------------------------------------------ rate-limit window cache */

/* ta_verdict has the limit but not the window, which RateLimit-Policy needs: ask the store once
   per token (ta_token_get as the host) and keep it; a token's limit never changes. */
#define WINDOW_SLOTS 1024
static struct {
    char token_id[TA_ID_MAX];
    uint32_t window_ms;
} g_windows[WINDOW_SLOTS];
static pthread_mutex_t g_windows_lock = PTHREAD_MUTEX_INITIALIZER;
static ta_store *g_store;

static uint32_t token_window_ms(const char *token_id) {
    uint32_t h = 2166136261u;
    for (const char *p = token_id; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
    size_t slot = h % WINDOW_SLOTS;
    pthread_mutex_lock(&g_windows_lock);
    if (strcmp(g_windows[slot].token_id, token_id) == 0) {
        uint32_t w = g_windows[slot].window_ms;
        pthread_mutex_unlock(&g_windows_lock);
        return w;
    }
    pthread_mutex_unlock(&g_windows_lock);
    char *json = NULL;
    uint32_t window = 0;
    if (ta_token_get(g_store, NULL, token_id, &json) == TA_OK && json) {
        const char *w = strstr(json, "\"window_ms\":");
        if (w) window = (uint32_t)strtoul(w + strlen("\"window_ms\":"), NULL, 10);
    }
    ta_free(json);
    if (window) {
        pthread_mutex_lock(&g_windows_lock);
        snprintf(g_windows[slot].token_id, sizeof g_windows[slot].token_id, "%s", token_id);
        g_windows[slot].window_ms = window;
        pthread_mutex_unlock(&g_windows_lock);
    }
    return window;
}

static int64_t ceil_seconds(int64_t ms) { return ms <= 0 ? 0 : (ms + 999) / 1000; }

static void add_rate_headers(struct MHD_Response *resp, const ta_verdict *v) {
    if (v->rate_limit == 0) return;
    char buf[128];
    uint32_t window = token_window_ms(v->token_id);
    if (window) {
        snprintf(buf, sizeof buf, "\"default\";q=%" PRIu32 ";w=%" PRId64, v->rate_limit,
                 ceil_seconds(window));
        MHD_add_response_header(resp, "RateLimit-Policy", buf);
    }
    snprintf(buf, sizeof buf, "\"default\";r=%" PRIu32 ";t=%" PRId64, v->rate_remaining,
             ceil_seconds(v->rate_reset_ms));
    MHD_add_response_header(resp, "RateLimit", buf);
    if (v->status == TA_RATE_LIMITED) {
        int64_t secs = ceil_seconds(v->retry_after_ms);
        snprintf(buf, sizeof buf, "%" PRId64, secs < 1 ? 1 : secs);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, buf);
    }
}

/* ----------------------------------------------------------------------------- the upstream */

static int g_upstream_port;
static __thread int t_upstream_fd = -1;

struct upstream_reply {
    int status;
    char content_type[128];
    char *body;
    size_t body_len;
};

static int upstream_connect(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {.tv_sec = 10, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_upstream_port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Case-insensitive search for a header line "\r\nName:" inside the head; returns its value. */
static const char *header_value(const char *head, const char *name, size_t *len) {
    size_t nlen = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
            const char *v = line + nlen + 1;
            while (*v == ' ' || *v == '\t') v++;
            const char *end = strstr(v, "\r\n");
            *len = end ? (size_t)(end - v) : strlen(v);
            return v;
        }
    }
    return NULL;
}

/* One request/response on this thread's keep-alive connection. -1: the connection failed. */
static int upstream_exchange(int fd, const char *req, size_t req_len, const char *body,
                             size_t body_len, struct upstream_reply *out) {
    if (send_all(fd, req, req_len) != 0) return -1;
    if (body_len && send_all(fd, body, body_len) != 0) return -1;
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap + 1);
    if (!buf) return -1;
    char *head_end = NULL;
    while (!head_end) {
        if (len == cap) {
            if (cap >= 64 * 1024) goto fail;
            cap *= 2;
            char *g = realloc(buf, cap + 1);
            if (!g) goto fail;
            buf = g;
        }
        ssize_t r = recv(fd, buf + len, cap - len, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) goto fail;
        len += (size_t)r;
        buf[len] = '\0';
        head_end = strstr(buf, "\r\n\r\n");
    }
    size_t head_len = (size_t)(head_end - buf) + 4;
    head_end[2] = '\0'; /* terminate the head after the last header's CRLF */
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1 || status < 100 || status > 599) goto fail;
    size_t vlen = 0;
    const char *cl = header_value(buf, "Content-Length", &vlen);
    size_t content_length = cl ? (size_t)strtoull(cl, NULL, 10) : 0;
    if (content_length > MAX_BODY) goto fail;
    const char *ct = header_value(buf, "Content-Type", &vlen);
    out->content_type[0] = '\0';
    if (ct) snprintf(out->content_type, sizeof out->content_type, "%.*s", (int)vlen, ct);
    const char *conn = header_value(buf, "Connection", &vlen);
    bool close_after = conn && vlen == 5 && strncasecmp(conn, "close", 5) == 0;
    if (!cl) close_after = true; /* a body without a length: do not reuse */
    char *bodybuf = malloc(content_length + 1);
    if (!bodybuf) goto fail;
    size_t have = len - head_len;
    if (have > content_length) have = content_length;
    memcpy(bodybuf, buf + head_len, have);
    while (have < content_length) {
        ssize_t r = recv(fd, bodybuf + have, content_length - have, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            free(bodybuf);
            goto fail;
        }
        have += (size_t)r;
    }
    bodybuf[content_length] = '\0';
    free(buf);
    out->status = status;
    out->body = bodybuf;
    out->body_len = content_length;
    return close_after ? 1 : 0;
fail:
    free(buf);
    return -1;
}

static void url_encode_into(char **p, char *end, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    for (; *s && *p + 3 < end; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            *(*p)++ = (char)c;
        } else {
            *(*p)++ = '%';
            *(*p)++ = hex[c >> 4];
            *(*p)++ = hex[c & 15];
        }
    }
    **p = '\0';
}

/* MHD hands the handler an unescaped path: escape it again for the upstream request line, so
   that a "%20" or "%0D%0A" in the client's path can never split or inject into that request. */
static bool escape_path(char *out, size_t cap, const char *path) {
    static const char hex[] = "0123456789ABCDEF";
    static const char keep[] = "-._~!$&'()*+,;=:@/";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (n + 4 > cap) return false;
        if (isalnum(*p) || (*p && strchr(keep, *p))) {
            out[n++] = (char)*p;
        } else {
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        }
    }
    out[n] = '\0';
    return true;
}

struct query_builder {
    char *p, *end;
    bool first;
};

static enum MHD_Result add_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value) {
    (void)kind;
    struct query_builder *q = cls;
    if (q->p + 2 >= q->end) return MHD_NO;
    *q->p++ = q->first ? '?' : '&';
    q->first = false;
    url_encode_into(&q->p, q->end, key);
    if (value) {
        if (q->p + 2 >= q->end) return MHD_NO;
        *q->p++ = '=';
        url_encode_into(&q->p, q->end, value);
    }
    return MHD_YES;
}

/* Forwards the request; fills *out (body malloc'd). Returns 0, or -1 when the upstream failed. */
static int forward(struct MHD_Connection *conn, const char *method, const char *url,
                   const char *subject, const char *body, size_t body_len,
                   struct upstream_reply *out) {
    char query[2048] = "";
    struct query_builder q = {query, query + sizeof query, true};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_query_arg, &q);
    const char *ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    char path[4096];
    if (!escape_path(path, sizeof path, url)) return -1;
    char req[8192];
    int n = snprintf(req, sizeof req,
                     "%s %s%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%s%s%s%s%sContent-Length: %zu\r\n\r\n",
                     method, path, query, g_upstream_port,
                     subject ? "X-Token-Subject: " : "", subject ? subject : "", subject ? "\r\n" : "",
                     ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "", body_len);
    if (n < 0 || (size_t)n >= sizeof req) return -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        bool fresh = false;
        if (t_upstream_fd < 0) {
            t_upstream_fd = upstream_connect();
            fresh = true;
            if (t_upstream_fd < 0) return -1;
        }
        int rc = upstream_exchange(t_upstream_fd, req, (size_t)n, body, body_len, out);
        if (rc != 0) {
            close(t_upstream_fd);
            t_upstream_fd = -1;
        }
        if (rc >= 0) return 0;
        if (fresh) return -1; /* a kept connection may have gone stale: retry once anew */
    }
    return -1;
}

/* ------------------------------------------------------------------------- the stub upstream */

static enum MHD_Result upstream_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                        const char *method, const char *version,
                                        const char *upload_data, size_t *upload_data_size,
                                        void **con_cls) {
    (void)cls;
    (void)version;
    (void)upload_data;
    if (*con_cls == NULL) {
        *con_cls = conn; /* first call: headers only */
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* the stub ignores bodies */
        return MHD_YES;
    }
    const char *subject = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Token-Subject");
    char body[1024];
    /* subject and url come from the gateway (identifier syntax, parsed path); still, never let
       a quote break the JSON */
    char safe_url[512], safe_subject[TA_ID_MAX];
    snprintf(safe_url, sizeof safe_url, "%s", url);
    snprintf(safe_subject, sizeof safe_subject, "%s", subject ? subject : "");
    for (char *p = safe_url; *p; p++)
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) *p = '_';
    for (char *p = safe_subject; *p; p++)
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) *p = '_';
    int n = snprintf(body, sizeof body,
                     "{\"success\":true,\"errors\":[],\"data\":{\"upstream\":\"stub\",\"method\":\"%s\","
                     "\"path\":\"%s\",\"subject\":%s%s%s}}",
                     strcmp(method, "POST") == 0 ? "POST" : strcmp(method, "GET") == 0 ? "GET" : "OTHER",
                     safe_url, subject ? "\"" : "", subject ? safe_subject : "null", subject ? "\"" : "");
    struct MHD_Response *resp =
        MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret =
        MHD_queue_response(conn, strcmp(method, "POST") == 0 ? MHD_HTTP_CREATED : MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ------------------------------------------------------------------------------- the gateway */

static bool g_quiet;

struct request {
    char *body;
    size_t len;
    bool too_large;
};

static enum MHD_Result respond_static(struct MHD_Connection *conn, unsigned int http,
                                      const char *json, const ta_verdict *v, const char *scopes,
                                      bool presented) {
    /* ta_error_json is static storage: no copy needed. */
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (v) {
        if (http == MHD_HTTP_UNAUTHORIZED) {
            /* RFC 6750 section 3.1: no error code when the request had no credentials */
            MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                    presented ? "Bearer realm=\"api\", error=\"invalid_token\""
                                        : "Bearer realm=\"api\"");
        } else if (v->status == TA_FORBIDDEN) {
            char buf[512];
            snprintf(buf, sizeof buf, "Bearer realm=\"api\", error=\"insufficient_scope\", scope=\"%s\"",
                     scopes ? scopes : "");
            MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, buf);
        } else if (v->status == TA_RATE_LIMITED) {
            add_rate_headers(resp, v);
        }
    }
    enum MHD_Result ret = MHD_queue_response(conn, http, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void log_line(const char *method, const char *url, int http, const ta_verdict *v) {
    if (g_quiet) return;
    fprintf(stderr, "gateway: %s %s -> %d %s%s%s%s%s\n", method, url, http,
            v ? ta_status_name(v->status) : "-", v && v->subject[0] ? " subject=" : "",
            v ? v->subject : "", v && v->missing_scope[0] ? " missing_scope=" : "",
            v ? v->missing_scope : "");
}

static enum MHD_Result gateway_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                       const char *method, const char *version,
                                       const char *upload_data, size_t *upload_data_size,
                                       void **con_cls) {
    (void)cls;
    (void)version;
    struct request *req = *con_cls;
    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req) return MHD_NO;
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!req->too_large) {
            if (req->len + *upload_data_size > MAX_BODY) {
                req->too_large = true;
            } else {
                char *g = realloc(req->body, req->len + *upload_data_size);
                if (!g) return MHD_NO;
                req->body = g;
                memcpy(req->body + req->len, upload_data, *upload_data_size);
                req->len += *upload_data_size;
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }

    const struct route *route = find_route(method, url);
    if (!route) {
        log_line(method, url, 404, NULL);
        return respond_static(conn, (unsigned)ta_status_http(TA_NOT_FOUND), ta_error_json(TA_NOT_FOUND),
                              NULL, NULL, false);
    }
    if (req->too_large) return respond_static(conn, 413, TOO_LARGE_JSON, NULL, NULL, false);

    ta_verdict v = {0};
    bool authed = !route->public_route;
    if (authed) {
        const char *auth = NULL;
        size_t auth_len = 0;
        bool presented = MHD_lookup_connection_value_n(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION,
                                                       strlen(MHD_HTTP_HEADER_AUTHORIZATION), &auth,
                                                       &auth_len) == MHD_YES;
        if (!presented) auth = "", auth_len = 0;
        ta_status st = ta_verify_n(g_store, auth, auth_len, route->scopes, &v);
        if (st != TA_OK) {
            log_line(method, url, v.http_status, &v);
            return respond_static(conn, (unsigned)v.http_status, ta_error_json(st), &v, route->scopes,
                                  presented);
        }
    }

    struct upstream_reply up = {0};
    if (forward(conn, method, url, authed ? v.subject : NULL, req->body, req->len, &up) != 0) {
        if (authed) (void)ta_record_usage(g_store, v.token_id, route->operation, 502);
        log_line(method, url, 502, authed ? &v : NULL);
        return respond_static(conn, MHD_HTTP_BAD_GATEWAY, BAD_GATEWAY_JSON, NULL, NULL, false);
    }
    if (authed) (void)ta_record_usage(g_store, v.token_id, route->operation, up.status);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(up.body_len, up.body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(up.body);
        return MHD_NO;
    }
    if (up.content_type[0]) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, up.content_type);
    if (authed) add_rate_headers(resp, &v);
    log_line(method, url, up.status, authed ? &v : NULL);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)up.status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)conn;
    (void)toe;
    struct request *req = *con_cls;
    if (req) {
        free(req->body);
        free(req);
        *con_cls = NULL;
    }
}

/* ---------------------------------------------------------------------------------- main */

static void usage(FILE *out) {
    fprintf(out,
            "usage: gateway [--port N] [--bind ADDR] [--db PATH] [--routes FILE] [--threads N]\n"
            "               [--upstream-port N] [--flush-ms N] [--quiet]\n"
            "  --port N           listen port (default 8080; 0 picks a free one)\n"
            "  --bind ADDR        IPv4 address to listen on (default 127.0.0.1: loopback only)\n"
            "  --db PATH          token database (default tokens.db)\n"
            "  --routes FILE      \"METHOD /path SCOPES|-|public\" per line (default: built in)\n"
            "  --threads N        worker threads (default 2)\n"
            "  --upstream-port N  port of the stub upstream on 127.0.0.1 (default: a free one)\n"
            "  --flush-ms N       ta_config.usage_flush_ms (default: the library's)\n"
            "  --quiet            no per-request log\n");
}

static long parse_num(const char *opt, const char *v, long lo, long hi) {
    char *end = NULL;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || errno || *end || n < lo || n > hi) {
        fprintf(stderr, "gateway: %s wants a number in %ld..%ld\n", opt, lo, hi);
        exit(2);
    }
    return n;
}

static struct MHD_Daemon *start_daemon(const char *addr, int port, unsigned threads,
                                       MHD_AccessHandlerCallback handler, bool track) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "gateway: not an IPv4 address: %s\n", addr);
        exit(2);
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (track)
        return MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handler, NULL,
                                MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                MHD_OPTION_THREAD_POOL_SIZE, threads,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
                                MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
                                MHD_OPTION_END);
    return MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handler, NULL,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_END);
}

static int bound_port(struct MHD_Daemon *d) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    return info ? (int)info->port : -1;
}

int main(int argc, char **argv) {
    const char *bind_addr = "127.0.0.1", *db = "tokens.db", *routes_file = NULL;
    int port = 8080, upstream_port = 0;
    unsigned threads = 2, flush_ms = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--port")) port = (int)parse_num(a, next, 0, 65535), i++;
        else if (!strcmp(a, "--bind") && next) bind_addr = next, i++;
        else if (!strcmp(a, "--db") && next) db = next, i++;
        else if (!strcmp(a, "--routes") && next) routes_file = next, i++;
        else if (!strcmp(a, "--threads")) threads = (unsigned)parse_num(a, next, 1, 256), i++;
        else if (!strcmp(a, "--upstream-port")) upstream_port = (int)parse_num(a, next, 0, 65535), i++;
        else if (!strcmp(a, "--flush-ms")) flush_ms = (unsigned)parse_num(a, next, 0, 3600000), i++;
        else if (!strcmp(a, "--quiet")) g_quiet = true;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(stdout), 0;
        else return fprintf(stderr, "gateway: unknown option %s\n", a), usage(stderr), 2;
    }
    if (load_routes(routes_file) != 0) return 2;

    ta_config cfg = {.usage_flush_ms = flush_ms};
    ta_status st = ta_open(db, &cfg, &g_store);
    if (st != TA_OK) {
        fprintf(stderr, "gateway: cannot open %s: %s: %s\n", db, ta_status_name(st), ta_last_error());
        return 1;
    }

    /* Block the stop signals in every thread; main waits for them with sigwait. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    struct MHD_Daemon *up = start_daemon("127.0.0.1", upstream_port, threads, upstream_handler, false);
    if (!up) {
        fprintf(stderr, "gateway: cannot start the upstream stub on port %d\n", upstream_port);
        ta_close(g_store);
        return 1;
    }
    g_upstream_port = bound_port(up);
    struct MHD_Daemon *gw = start_daemon(bind_addr, port, threads, gateway_handler, true);
    if (!gw) {
        fprintf(stderr, "gateway: cannot listen on %s:%d\n", bind_addr, port);
        MHD_stop_daemon(up);
        ta_close(g_store);
        return 1;
    }
    printf("listening on http://%s:%d (upstream stub on 127.0.0.1:%d, %zu routes, libtokenauth %s)\n",
           bind_addr, bound_port(gw), g_upstream_port, g_nroutes, ta_version());
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    if (!g_quiet) fprintf(stderr, "gateway: stopping (signal %d)\n", sig);
    MHD_stop_daemon(gw);
    MHD_stop_daemon(up);
    ta_close(g_store); /* flushes the buffered usage */
    for (size_t i = 0; i < g_nroutes; i++) {
        free(g_routes[i].method);
        free(g_routes[i].pattern);
        free(g_routes[i].scopes);
        free(g_routes[i].operation);
    }
    free(g_routes);
    return 0;
}

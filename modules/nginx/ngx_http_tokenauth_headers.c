/*
 * Response headers: the RFC 6750 challenge of a refusal, Retry-After, and the IETF RateLimit
 * headers (draft-ietf-httpapi-ratelimit-headers) that a rate-limited token's answers carry:
 *
 *   RateLimit-Policy: "default";q=<limit>;w=<window in seconds>
 *   RateLimit: "default";r=<remaining>;t=<seconds until the bucket is full>
 */

#include "ngx_http_tokenauth_module.h"


/* Rate windows of the tokens this worker has seen, by token id (a token's limit never
   changes). The worker is single-threaded: no lock. */
#define NGX_HTTP_TOKENAUTH_WINDOW_SLOTS  1024

typedef struct {
    char        token_id[TA_ID_MAX];
    uint32_t    window_ms;
} ngx_http_tokenauth_window_t;

static ngx_http_tokenauth_window_t
    ngx_http_tokenauth_windows[NGX_HTTP_TOKENAUTH_WINDOW_SLOTS];


static int64_t
ngx_http_tokenauth_ceil_seconds(int64_t ms)
{
    return ms <= 0 ? 0 : (ms + 999) / 1000;
}


/* The token's rate window in ms, asked of the store once per token and worker; 0 if unknown. */
static uint32_t
ngx_http_tokenauth_window_ms(ngx_http_request_t *r, const char *token_id)
{
    size_t                        len;
    uint32_t                      window;
    ta_store                     *store;
    ngx_http_tokenauth_window_t  *slot;

    len = ngx_strlen(token_id);
    slot = &ngx_http_tokenauth_windows[ngx_hash_key((u_char *) token_id, len)
                                       % NGX_HTTP_TOKENAUTH_WINDOW_SLOTS];

    if (ngx_strcmp(slot->token_id, token_id) == 0) {
        return slot->window_ms;
    }

    store = ngx_http_tokenauth_worker_store(r->connection->log);

    if (store == NULL || len >= TA_ID_MAX
        || ta_token_rate_limit(store, token_id, NULL, &window) != TA_OK)
    {
        return 0;
    }

    ngx_memcpy(slot->token_id, token_id, len + 1);
    slot->window_ms = window;

    return window;
}


static ngx_int_t
ngx_http_tokenauth_add_header(ngx_http_request_t *r, const char *key, u_char *value,
    size_t len, ngx_table_elt_t **field)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.len = ngx_strlen(key);
    h->key.data = (u_char *) key;
    h->value.len = len;
    h->value.data = value;

    if (field) {
        *field = h;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_tokenauth_rate_headers(ngx_http_request_t *r, const ta_verdict *verdict)
{
    u_char    *p, *last;
    uint32_t   window;

    if (verdict->rate_limit == 0) {
        return NGX_OK;
    }

    window = ngx_http_tokenauth_window_ms(r, verdict->token_id);

    if (window) {
        p = ngx_pnalloc(r->pool, sizeof("\"default\";q=;w=") + 2 * NGX_INT64_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        last = ngx_sprintf(p, "\"default\";q=%uD;w=%L", verdict->rate_limit,
                           ngx_http_tokenauth_ceil_seconds(window));

        if (ngx_http_tokenauth_add_header(r, "RateLimit-Policy", p, last - p, NULL)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    p = ngx_pnalloc(r->pool, sizeof("\"default\";r=;t=") + 2 * NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = ngx_sprintf(p, "\"default\";r=%uD;t=%L", verdict->rate_remaining,
                       ngx_http_tokenauth_ceil_seconds(verdict->rate_reset_ms));

    return ngx_http_tokenauth_add_header(r, "RateLimit", p, last - p, NULL);
}


/* WWW-Authenticate: Bearer realm="...", error="...", scope="..." (RFC 6750 section 3). */
static ngx_int_t
ngx_http_tokenauth_challenge(ngx_http_request_t *r, ngx_http_tokenauth_ctx_t *ctx,
    const char *error, ngx_str_t *scope)
{
    u_char  *p, *last;
    size_t   len;

    len = ctx->challenge.len;

    if (error) {
        len += sizeof(", error=\"\"") - 1 + ngx_strlen(error);
    }

    if (scope) {
        len += sizeof(", scope=\"\"") - 1 + scope->len;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = ngx_cpymem(p, ctx->challenge.data, ctx->challenge.len);

    if (error) {
        last = ngx_sprintf(last, ", error=\"%s\"", error);
    }

    if (scope) {
        last = ngx_sprintf(last, ", scope=\"%V\"", scope);
    }

    return ngx_http_tokenauth_add_header(r, "WWW-Authenticate", p, last - p,
                                         &r->headers_out.www_authenticate);
}


ngx_int_t
ngx_http_tokenauth_refusal_headers(ngx_http_request_t *r, ngx_http_tokenauth_ctx_t *ctx)
{
    u_char   *p, *last;
    int64_t   seconds;

    if (ctx->refusal == NGX_HTTP_UNAUTHORIZED) {
        /* no credential, or another scheme: no error code (RFC 6750 section 3.1) */
        return ngx_http_tokenauth_challenge(r, ctx, ctx->presented ? "invalid_token" : NULL,
                                            NULL);
    }

    if (ctx->refusal == NGX_HTTP_BAD_REQUEST) {
        /* tokenauth_resource evaluated to what is no resource name */
        return ngx_http_tokenauth_challenge(r, ctx, "invalid_request", NULL);
    }

    if (ctx->verdict.status == TA_FORBIDDEN) {
        return ngx_http_tokenauth_challenge(r, ctx, "insufficient_scope", &ctx->scopes);
    }

    if (ctx->verdict.status != TA_RATE_LIMITED) {
        return NGX_OK;
    }

    seconds = ngx_http_tokenauth_ceil_seconds(ctx->verdict.retry_after_ms);

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = ngx_sprintf(p, "%L", seconds < 1 ? (int64_t) 1 : seconds);

    if (ngx_http_tokenauth_add_header(r, "Retry-After", p, last - p, NULL) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_tokenauth_rate_headers(r, &ctx->verdict);
}

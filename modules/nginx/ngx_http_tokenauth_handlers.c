/*
 * The phase handlers: verification in the access phase (after allow/deny), usage in the log
 * phase, and the request context they share.
 *
 * A refusal is answered by returning its HTTP status, as auth_basic does: nginx then applies
 * `satisfy`, `auth_delay` and the operator's `error_page`, and when no error page takes it, the
 * filter module replaces nginx's built-in page with the library's JSON body.
 */

#include "ngx_http_tokenauth_module.h"


static ngx_int_t ngx_http_tokenauth_evaluate(ngx_http_request_t *r,
    ngx_http_complex_value_t *cv, char *fixed, ngx_str_t *value, const char **text);
static ngx_uint_t ngx_http_tokenauth_same(ngx_str_t *a, ngx_str_t *b);
static const char *ngx_http_tokenauth_invalid_argument(ngx_http_tokenauth_ctx_t *ctx,
    const char *resource);
static ngx_uint_t ngx_http_tokenauth_bearer_presented(ngx_str_t *value);
static ngx_int_t ngx_http_tokenauth_refuse(ngx_http_request_t *r,
    ngx_http_tokenauth_ctx_t *ctx, ngx_http_tokenauth_loc_conf_t *lcf, const char *why);
static ngx_int_t ngx_http_tokenauth_refuse_argument(ngx_http_request_t *r,
    ngx_http_tokenauth_ctx_t *ctx, ngx_http_tokenauth_loc_conf_t *lcf, const char *why);
static void ngx_http_tokenauth_cleanup(void *data);


/* ------------------------------------------------------------------ the context */

/* Contexts the worker is done with, for its next requests (a worker is single-threaded). A context
   is kept out of the request's pool, where it often took a pool block of its own; the list holds at
   most as many as requests were checked at once. */
static ngx_http_tokenauth_ctx_t  *ngx_http_tokenauth_free_ctx;


/* Gives the context back when the request's pool is destroyed; its pool cleanup also keeps the
   context reachable after an internal redirect cleared r->ctx. */
static void
ngx_http_tokenauth_cleanup(void *data)
{
    ngx_http_tokenauth_ctx_t  *ctx = data;

    ctx->next_free = ngx_http_tokenauth_free_ctx;
    ngx_http_tokenauth_free_ctx = ctx;
}


ngx_http_tokenauth_ctx_t *
ngx_http_tokenauth_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t        *cln;
    ngx_http_tokenauth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_tokenauth_module);

    if (ctx == NULL && (r->internal || r->filter_finalize)) {

        /* an internal redirect cleared the module contexts; the pool still holds it */

        for (cln = r->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == ngx_http_tokenauth_cleanup) {
                ctx = cln->data;
                ngx_http_set_ctx(r, ctx, ngx_http_tokenauth_module);
                break;
            }
        }
    }

    return ctx;
}


static ngx_http_tokenauth_ctx_t *
ngx_http_tokenauth_create_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t        *cln;
    ngx_http_tokenauth_ctx_t  *ctx;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    ctx = ngx_http_tokenauth_free_ctx;

    if (ctx) {
        ngx_http_tokenauth_free_ctx = ctx->next_free;

    } else {
        ctx = ngx_alloc(sizeof(ngx_http_tokenauth_ctx_t), r->connection->log);
        if (ctx == NULL) {
            return NULL;
        }
    }

    ngx_memzero(ctx, sizeof(ngx_http_tokenauth_ctx_t));
    cln->data = ctx;
    cln->handler = ngx_http_tokenauth_cleanup;
    ngx_http_set_ctx(r, ctx, ngx_http_tokenauth_module);

    return ctx;
}


/* ------------------------------------------------------------------ the access phase */

ngx_int_t
ngx_http_tokenauth_access_handler(ngx_http_request_t *r)
{
    ngx_str_t                       scopes, resource, credential;
    ta_store                       *store;
    ta_status                       status;
    const char                     *required, *named;
    ngx_http_tokenauth_ctx_t       *ctx;
    ngx_http_tokenauth_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_tokenauth_module);

    /* subrequests (auth_request, SSI, mirror) are the main request's business */
    if (!lcf->enable || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_tokenauth_get_ctx(r);

    if (ctx && ctx->refusal && r->error_page) {
        return NGX_DECLINED;   /* the operator's error page answers this refusal */
    }

    if (ngx_http_tokenauth_evaluate(r, lcf->scopes, lcf->fixed_scopes, &scopes, &required)
        != NGX_OK
        || ngx_http_tokenauth_evaluate(r, lcf->resource, lcf->fixed_resource, &resource, &named)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx && ctx->checked && ctx->verdict.status == TA_OK
        && ngx_http_tokenauth_same(&ctx->scopes, &scopes)
        && ngx_http_tokenauth_same(&ctx->resource, &resource))
    {
        return NGX_OK;   /* an internal redirect to a location that asks for nothing more */
    }

    if (ctx == NULL) {
        ctx = ngx_http_tokenauth_create_ctx(r);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    ctx->scopes = scopes;
    ctx->resource = resource;
    ctx->refusal = 0;
    ctx->answered = 0;
    ctx->bad_resource = 0;
    ctx->checked = 1;

    /* a value from a variable that holds a NUL byte cannot be passed, nor checked */

    if (required == NULL && scopes.len) {
        return ngx_http_tokenauth_refuse_argument(r, ctx, lcf,
                   "tokenauth_scopes evaluated to a value with a NUL byte");
    }

    if (named == NULL && resource.len) {
        ctx->bad_resource = 1;
        return ngx_http_tokenauth_refuse_argument(r, ctx, lcf,
                   "tokenauth_resource evaluated to a value with a NUL byte");
    }

    store = ngx_http_tokenauth_worker_store(r->connection->log);

    if (store == NULL) {
        ngx_memzero(&ctx->verdict, sizeof(ta_verdict));
        ctx->verdict.status = TA_STORAGE_ERROR;
        ctx->verdict.http_status = ta_status_http(TA_STORAGE_ERROR);
        return ngx_http_tokenauth_refuse(r, ctx, lcf, "the token store is not open");
    }

    if (r->headers_in.authorization) {
        credential = r->headers_in.authorization->value;

    } else {
        ngx_str_set(&credential, "");
    }

    status = ta_verify_resource_n(store, (const char *) credential.data, credential.len,
                                  required, named, &ctx->verdict);

    if (status == TA_INVALID_ARGUMENT) {
        return ngx_http_tokenauth_refuse(r, ctx, lcf,
                   ngx_http_tokenauth_invalid_argument(ctx, named));
    }

    if (status != TA_OK) {
        return ngx_http_tokenauth_refuse(r, ctx, lcf, ta_last_error());
    }

    ctx->operation = ngx_http_tokenauth_operation(r, lcf);
    if (ctx->operation == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->verdict.rate_limit
        && ngx_http_tokenauth_rate_headers(r, &ctx->verdict) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/* Logs `why`, picks the status and the JSON body, and returns the status for nginx to finalize. */
static ngx_int_t
ngx_http_tokenauth_refuse(ngx_http_request_t *r, ngx_http_tokenauth_ctx_t *ctx,
    ngx_http_tokenauth_loc_conf_t *lcf, const char *why)
{
    ta_status   status;
    ngx_uint_t  level;

    status = ctx->verdict.status;
    ctx->body_status = status;
    ctx->refusal = ctx->verdict.http_status;
    ctx->challenge = lcf->challenge;
    ctx->uri_changes = r->uri_changes;
    ctx->presented = r->headers_in.authorization
                     && ngx_http_tokenauth_bearer_presented(&r->headers_in.authorization->value);
    level = NGX_LOG_INFO;

    switch (status) {

    case TA_INVALID_ARGUMENT:
        if (ctx->bad_resource && lcf->resource->lengths) {
            /* the request named what is no resource name: 400, the client's to mend */
            break;
        }

        /* the credential cannot cause it: the configuration can (tokenauth_scopes is not a list
           of scope names, or a tokenauth_resource without variables is not a resource name) */
        ctx->body_status = TA_INTERNAL_ERROR;
        ctx->refusal = NGX_HTTP_INTERNAL_SERVER_ERROR;
        level = NGX_LOG_ERR;
        break;

    case TA_STORAGE_ERROR:
    case TA_INTERNAL_ERROR:
        level = NGX_LOG_ERR;
        break;

    default:
        break;
    }

    if (ctx->refusal < NGX_HTTP_BAD_REQUEST || ctx->refusal > 599) {
        ctx->body_status = TA_INTERNAL_ERROR;
        ctx->refusal = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* ta_last_error() never holds a secret; the token id is public */
    ngx_log_error(level, r->connection->log, 0, "tokenauth: %s (%ui)%s%s: %s",
                  ta_status_name(status), ctx->refusal,
                  ctx->verdict.token_id[0] ? " token " : "", ctx->verdict.token_id, why);

    return ctx->refusal;
}


/* Refuses, with TA_INVALID_ARGUMENT, a value the module cannot pass to the library. */
static ngx_int_t
ngx_http_tokenauth_refuse_argument(ngx_http_request_t *r, ngx_http_tokenauth_ctx_t *ctx,
    ngx_http_tokenauth_loc_conf_t *lcf, const char *why)
{
    ngx_memzero(&ctx->verdict, sizeof(ta_verdict));
    ctx->verdict.status = TA_INVALID_ARGUMENT;
    ctx->verdict.http_status = ta_status_http(TA_INVALID_ARGUMENT);

    return ngx_http_tokenauth_refuse(r, ctx, lcf, why);
}


/* Why the library answered TA_INVALID_ARGUMENT: the resource when the library's own check of
   it alone says so (marked in `ctx`); otherwise the scopes. */
static const char *
ngx_http_tokenauth_invalid_argument(ngx_http_tokenauth_ctx_t *ctx, const char *resource)
{
    if (ta_check_verify_input(NULL, resource) == TA_INVALID_ARGUMENT) {
        ctx->bad_resource = 1;
        return "the resource (tokenauth_resource) is not a resource name";
    }

    return "tokenauth_scopes is not a list of scope names";
}


/* Whether the Authorization value uses the Bearer scheme: without one, the request "lacks any
   authentication information" and the challenge carries no error code (RFC 6750 section 3.1). */
static ngx_uint_t
ngx_http_tokenauth_bearer_presented(ngx_str_t *value)
{
    size_t  n = sizeof("Bearer") - 1;

    return value->len >= n
           && ngx_strncasecmp(value->data, (u_char *) "Bearer", n) == 0
           && (value->len == n || value->data[n] == ' ');
}


/* A directive's value for this request (tokenauth_scopes, tokenauth_resource): `value` as
   evaluated, `*text` as a C string (NULL when the directive is not set, or when a variable's
   value holds a NUL byte). `fixed` is the value of a `cv` without variables. */
static ngx_int_t
ngx_http_tokenauth_evaluate(ngx_http_request_t *r, ngx_http_complex_value_t *cv, char *fixed,
    ngx_str_t *value, const char **text)
{
    u_char  *p;

    *text = NULL;
    ngx_str_null(value);

    if (cv == NULL) {
        return NGX_OK;
    }

    if (fixed) {
        *value = cv->value;
        *text = fixed;
        return NGX_OK;
    }

    if (ngx_http_complex_value(r, cv, value) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_strlchr(value->data, value->data + value->len, '\0')) {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, value->len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, value->data, value->len);
    p[value->len] = '\0';
    *text = (const char *) p;

    return NGX_OK;
}


static ngx_uint_t
ngx_http_tokenauth_same(ngx_str_t *a, ngx_str_t *b)
{
    return a->len == b->len && (a->len == 0 || ngx_memcmp(a->data, b->data, a->len) == 0);
}


/* ------------------------------------------------------------------ the log phase */

/* Records the final status of a request that passed, for the token's per-operation statistics.
   ta_record_usage counts in memory; the library's flush thread writes it. */
ngx_int_t
ngx_http_tokenauth_log_handler(ngx_http_request_t *r)
{
    ta_store                  *store;
    ta_status                  status;
    ngx_uint_t                 http_status, level;
    ngx_http_tokenauth_ctx_t  *ctx;

    ctx = ngx_http_tokenauth_get_ctx(r);

    if (ctx == NULL || !ctx->checked || ctx->recorded || ctx->refusal
        || ctx->verdict.status != TA_OK || ctx->operation == NULL)
    {
        return NGX_OK;
    }

    ctx->recorded = 1;
    http_status = r->err_status ? r->err_status : r->headers_out.status;

    if (http_status < 100 || http_status > 599) {
        return NGX_OK;   /* no answer was sent (HTTP/0.9, or the connection broke first) */
    }

    store = ngx_http_tokenauth_worker_store(r->connection->log);
    if (store == NULL) {
        return NGX_OK;
    }

    status = ta_record_usage(store, ctx->verdict.token_id, ctx->operation, (int) http_status);

    if (status != TA_OK) {
        /* TA_NOT_FOUND: the token was deleted meanwhile */
        level = status == TA_NOT_FOUND ? NGX_LOG_INFO : NGX_LOG_WARN;
        ngx_log_error(level, r->connection->log, 0,
                      "tokenauth: usage of token %s not recorded: %s: %s",
                      ctx->verdict.token_id, ta_status_name(status), ta_last_error());
    }

    return NGX_OK;
}

/*
 * ngx_http_tokenauth_filter_module: how a refusal reaches the client.
 *
 * The access handler refuses by returning a status (400, 401, 403, 429, 503, 500). When nginx
 * answers it, in the location that refused or on the operator's error page, the header filter adds
 * the refusal's headers (WWW-Authenticate, Retry-After, RateLimit). When nginx answers it with its
 * own built-in page (no error_page took it), the header and body filters send the library's JSON
 * body (ta_error_json) as application/json instead. An error_page, even to the same status, always
 * wins: it is an internal redirect, after which the page is the operator's.
 */

#include "ngx_http_tokenauth_module.h"


static ngx_int_t ngx_http_tokenauth_filter_init(ngx_conf_t *cf);


static ngx_http_module_t  ngx_http_tokenauth_filter_module_ctx = {
    NULL,                                   /* preconfiguration */
    ngx_http_tokenauth_filter_init,         /* postconfiguration */

    NULL,                                   /* create main configuration */
    NULL,                                   /* init main configuration */

    NULL,                                   /* create server configuration */
    NULL,                                   /* merge server configuration */

    NULL,                                   /* create location configuration */
    NULL                                    /* merge location configuration */
};


ngx_module_t  ngx_http_tokenauth_filter_module = {
    NGX_MODULE_V1,
    &ngx_http_tokenauth_filter_module_ctx,  /* module context */
    NULL,                                   /* module directives */
    NGX_HTTP_MODULE,                        /* module type */
    NULL,                                   /* init master */
    NULL,                                   /* init module */
    NULL,                                   /* init process */
    NULL,                                   /* init thread */
    NULL,                                   /* exit thread */
    NULL,                                   /* exit process */
    NULL,                                   /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


static ngx_int_t
ngx_http_tokenauth_header_filter(ngx_http_request_t *r)
{
    const char                *json;
    ngx_http_tokenauth_ctx_t  *ctx;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_tokenauth_get_ctx(r);

    if (ctx == NULL || ctx->refusal == 0 || ctx->answered
        || r->headers_out.status != ctx->refusal)
    {
        return ngx_http_next_header_filter(r);
    }

    ctx->answered = 1;

    if (ngx_http_tokenauth_refusal_headers(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    /* nginx's own page for the refusal, in the location that refused: no error_page took it */
    if (r->err_status == ctx->refusal && r->uri_changes == ctx->uri_changes) {
        json = ta_error_json(ctx->body_status);

        if (json) {
            ctx->json_body = 1;
            r->headers_out.content_type_len = sizeof("application/json") - 1;
            ngx_str_set(&r->headers_out.content_type, "application/json");
            r->headers_out.content_type_lowcase = NULL;
            r->headers_out.content_length_n = ngx_strlen(json);

            if (r->headers_out.content_length) {
                r->headers_out.content_length->hash = 0;
                r->headers_out.content_length = NULL;
            }
        }
    }

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_tokenauth_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    const char                *json;
    ngx_buf_t                 *b;
    ngx_chain_t               *cl, out;
    ngx_http_tokenauth_ctx_t  *ctx;

    /* the header filter has put the context back into r->ctx if it was needed */
    ctx = ngx_http_get_module_ctx(r, ngx_http_tokenauth_module);

    if (ctx == NULL || !ctx->json_body || r != r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;   /* nginx's page is replaced, not sent */
    }

    if (ctx->json_sent) {
        return NGX_OK;
    }

    ctx->json_sent = 1;
    json = ta_error_json(ctx->body_status);

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->memory = 1;   /* static storage of the library */
    b->pos = (u_char *) json;
    b->last = b->pos + ngx_strlen(json);
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_next_body_filter(r, &out);
}


static ngx_int_t
ngx_http_tokenauth_filter_init(ngx_conf_t *cf)
{
    (void) cf;

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_tokenauth_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_tokenauth_body_filter;

    return NGX_OK;
}

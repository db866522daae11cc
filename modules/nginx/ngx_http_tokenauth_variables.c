/*
 * The variables, for log_format, proxy_set_header, map, ...:
 *
 *   $tokenauth_subject   who acts: the owner's member id, or the token id of a service token
 *   $tokenauth_token_id  the token's public id (tok_...)
 *   $tokenauth_kind      personal | service
 *   $tokenauth_status    the library's status name: TA_OK, TA_REVOKED, TA_FORBIDDEN, ...
 *   $tokenauth_resource  the resource checked (tokenauth_resource as evaluated); empty for none
 *
 * Each is empty (not found) in a request the module did not check, and the first three are
 * empty when the token is not known. They are never cached: the access phase sets them.
 */

#include "ngx_http_tokenauth_module.h"


/* What a variable shows of the verdict (its `data`). */
enum {
    NGX_HTTP_TOKENAUTH_SUBJECT,
    NGX_HTTP_TOKENAUTH_TOKEN_ID,
    NGX_HTTP_TOKENAUTH_KIND,
    NGX_HTTP_TOKENAUTH_STATUS,
    NGX_HTTP_TOKENAUTH_RESOURCE
};


static ngx_int_t ngx_http_tokenauth_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_variable_t  ngx_http_tokenauth_variables[] = {

    { ngx_string("tokenauth_subject"), NULL, ngx_http_tokenauth_variable,
      NGX_HTTP_TOKENAUTH_SUBJECT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("tokenauth_token_id"), NULL, ngx_http_tokenauth_variable,
      NGX_HTTP_TOKENAUTH_TOKEN_ID, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("tokenauth_kind"), NULL, ngx_http_tokenauth_variable,
      NGX_HTTP_TOKENAUTH_KIND, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("tokenauth_status"), NULL, ngx_http_tokenauth_variable,
      NGX_HTTP_TOKENAUTH_STATUS, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("tokenauth_resource"), NULL, ngx_http_tokenauth_variable,
      NGX_HTTP_TOKENAUTH_RESOURCE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_tokenauth_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_tokenauth_variables; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/* The text of the verdict that `data` names (any variable but $tokenauth_resource). */
static const char *
ngx_http_tokenauth_verdict_text(const ta_verdict *verdict, uintptr_t data)
{
    switch (data) {

    case NGX_HTTP_TOKENAUTH_SUBJECT:
        return verdict->subject;

    case NGX_HTTP_TOKENAUTH_TOKEN_ID:
        return verdict->token_id;

    case NGX_HTTP_TOKENAUTH_KIND:
        return verdict->kind == TA_KIND_PERSONAL ? "personal"
               : verdict->kind == TA_KIND_SERVICE ? "service" : "";

    default: /* NGX_HTTP_TOKENAUTH_STATUS */
        return ta_status_name(verdict->status);
    }
}


/* The main request's verdict, or the resource checked, as the variable `data` names; not found
   when the module did not check the request. */
static ngx_int_t
ngx_http_tokenauth_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                  value;
    ngx_http_tokenauth_ctx_t  *ctx;

    ctx = ngx_http_tokenauth_get_ctx(r->main);

    if (ctx == NULL || !ctx->checked) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (data == NGX_HTTP_TOKENAUTH_RESOURCE) {
        value = ctx->resource;

    } else {
        value.data = (u_char *) ngx_http_tokenauth_verdict_text(&ctx->verdict, data);
        value.len = ngx_strlen(value.data);
    }

    v->len = value.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = value.data;

    return NGX_OK;
}

/*
 * The variables, for log_format, proxy_set_header, map, ...:
 *
 *   $tokenauth_subject   who acts: the owner's member id, or the token id of a service token
 *   $tokenauth_token_id  the token's public id (tok_...)
 *   $tokenauth_kind      personal | service
 *   $tokenauth_status    the library's status name: TA_OK, TA_REVOKED, TA_FORBIDDEN, ...
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
    NGX_HTTP_TOKENAUTH_STATUS
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


/* The main request's verdict, as the variable `data` names; not found when the module did not
   check the request. */
static ngx_int_t
ngx_http_tokenauth_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data)
{
    const char                *text;
    const ta_verdict          *verdict;
    ngx_http_tokenauth_ctx_t  *ctx;

    ctx = ngx_http_tokenauth_get_ctx(r->main);

    if (ctx == NULL || !ctx->checked) {
        v->not_found = 1;
        return NGX_OK;
    }

    verdict = &ctx->verdict;

    switch (data) {

    case NGX_HTTP_TOKENAUTH_SUBJECT:
        text = verdict->subject;
        break;

    case NGX_HTTP_TOKENAUTH_TOKEN_ID:
        text = verdict->token_id;
        break;

    case NGX_HTTP_TOKENAUTH_KIND:
        text = verdict->kind == TA_KIND_PERSONAL ? "personal"
               : verdict->kind == TA_KIND_SERVICE ? "service" : "";
        break;

    default: /* NGX_HTTP_TOKENAUTH_STATUS */
        text = ta_status_name(verdict->status);
        break;
    }

    v->len = ngx_strlen(text);
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = (u_char *) text;

    return NGX_OK;
}

/*
 * The operation a request's usage is counted under (ta_record_usage): tokenauth_operation, else
 * "METHOD location", where a method nginx does not know counts as OTHER (clients cannot mint
 * operations). At most NGX_HTTP_TOKENAUTH_OPERATION_MAX bytes, cut at a character boundary.
 *
 * Whatever holds no variable is made once per location, at configuration time: the value of a
 * tokenauth_operation without variables, and the default for every method nginx knows. A request
 * then only picks its string; only a tokenauth_operation with variables is evaluated per request.
 */

#include "ngx_http_tokenauth_module.h"


/* The methods nginx knows (r->method), as the default operation names them; the last one,
   NGX_HTTP_UNKNOWN, is also the name of any method not listed. */
static struct {
    ngx_uint_t  method;
    ngx_str_t   name;
}  ngx_http_tokenauth_methods[] = {
    { NGX_HTTP_GET, ngx_string("GET") },
    { NGX_HTTP_HEAD, ngx_string("HEAD") },
    { NGX_HTTP_POST, ngx_string("POST") },
    { NGX_HTTP_PUT, ngx_string("PUT") },
    { NGX_HTTP_DELETE, ngx_string("DELETE") },
    { NGX_HTTP_PATCH, ngx_string("PATCH") },
    { NGX_HTTP_OPTIONS, ngx_string("OPTIONS") },
    { NGX_HTTP_MKCOL, ngx_string("MKCOL") },
    { NGX_HTTP_COPY, ngx_string("COPY") },
    { NGX_HTTP_MOVE, ngx_string("MOVE") },
    { NGX_HTTP_PROPFIND, ngx_string("PROPFIND") },
    { NGX_HTTP_PROPPATCH, ngx_string("PROPPATCH") },
    { NGX_HTTP_LOCK, ngx_string("LOCK") },
    { NGX_HTTP_UNLOCK, ngx_string("UNLOCK") },
    { NGX_HTTP_TRACE, ngx_string("TRACE") },
#ifdef NGX_HTTP_CONNECT
    { NGX_HTTP_CONNECT, ngx_string("CONNECT") },
#endif
    { NGX_HTTP_UNKNOWN, ngx_string("OTHER") }
};

#define NGX_HTTP_TOKENAUTH_METHODS  \
    (sizeof(ngx_http_tokenauth_methods) / sizeof(ngx_http_tokenauth_methods[0]))


/* `value` cut to at most NGX_HTTP_TOKENAUTH_OPERATION_MAX bytes (not inside a UTF-8 sequence), as
   a NUL-terminated copy in `pool`. */
static char *
ngx_http_tokenauth_operation_text(ngx_pool_t *pool, ngx_str_t *value)
{
    u_char  *p;
    size_t   len;

    len = value->len;

    if (len > NGX_HTTP_TOKENAUTH_OPERATION_MAX) {
        len = NGX_HTTP_TOKENAUTH_OPERATION_MAX;

        while (len && (value->data[len] & 0xC0) == 0x80) {
            len--;   /* do not cut a UTF-8 sequence */
        }
    }

    p = ngx_pnalloc(pool, len + 1);
    if (p == NULL) {
        return NULL;
    }

    ngx_memcpy(p, value->data, len);
    p[len] = '\0';

    return (char *) p;
}


/* "METHOD location" for each method, from the location's name (the core module's `clcf`). */
static ngx_int_t
ngx_http_tokenauth_method_operations(ngx_conf_t *cf, ngx_http_tokenauth_loc_conf_t *lcf,
    ngx_http_core_loc_conf_t *clcf)
{
    u_char      *p;
    ngx_str_t    value, *method;
    ngx_uint_t   i;

    lcf->method_operations = ngx_palloc(cf->pool, NGX_HTTP_TOKENAUTH_METHODS * sizeof(char *));
    if (lcf->method_operations == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < NGX_HTTP_TOKENAUTH_METHODS; i++) {
        method = &ngx_http_tokenauth_methods[i].name;

        value.len = method->len + 1 + clcf->name.len;
        value.data = ngx_pnalloc(cf->temp_pool, value.len);
        if (value.data == NULL) {
            return NGX_ERROR;
        }

        p = ngx_cpymem(value.data, method->data, method->len);
        *p++ = ' ';
        ngx_memcpy(p, clcf->name.data, clcf->name.len);

        lcf->method_operations[i] = ngx_http_tokenauth_operation_text(cf->pool, &value);
        if (lcf->method_operations[i] == NULL) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_tokenauth_prepare_operation(ngx_conf_t *cf, ngx_http_tokenauth_loc_conf_t *lcf)
{
    u_char     *nul;
    ngx_str_t   value;

    if (lcf->operation && lcf->operation->lengths == NULL) {
        value = lcf->operation->value;

        nul = ngx_strlchr(value.data, value.data + value.len, '\0');
        if (nul) {
            value.len = nul - value.data;
        }

        if (value.len) {
            lcf->fixed_operation = ngx_http_tokenauth_operation_text(cf->pool, &value);
            return lcf->fixed_operation ? NGX_OK : NGX_ERROR;
        }
    }

    /* the default, also for a value with variables that evaluates to "" */
    return ngx_http_tokenauth_method_operations(cf, lcf,
               ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module));
}


char *
ngx_http_tokenauth_operation(ngx_http_request_t *r, ngx_http_tokenauth_loc_conf_t *lcf)
{
    u_char      *nul;
    ngx_str_t    value;
    ngx_uint_t   i;

    if (lcf->fixed_operation) {
        return lcf->fixed_operation;
    }

    if (lcf->operation) {
        if (ngx_http_complex_value(r, lcf->operation, &value) != NGX_OK) {
            return NULL;
        }

        nul = ngx_strlchr(value.data, value.data + value.len, '\0');
        if (nul) {
            value.len = nul - value.data;
        }

        if (value.len) {
            return ngx_http_tokenauth_operation_text(r->pool, &value);
        }
    }

    for (i = 0; i < NGX_HTTP_TOKENAUTH_METHODS - 1; i++) {
        if (ngx_http_tokenauth_methods[i].method == r->method) {
            break;
        }
    }

    return lcf->method_operations[i];
}

/*
 * ngx_http_tokenauth: libtokenauth inside nginx. Declarations shared by the module's files.
 *
 * Two nginx modules live in one shared object: ngx_http_tokenauth_module (directives, the worker's
 * store, the access and log phase handlers, the variables) and ngx_http_tokenauth_filter_module
 * (the header and body filters that give a refusal its headers and the library's JSON body).
 * They are two because nginx orders a module once: the first must come before
 * ngx_http_access_module (so that it runs after allow/deny), the second among the filters.
 *
 * Every decision about a token is the library's (ta_verify_resource_n, ta_record_usage,
 * ta_error_json): this module only carries requests to it and its answers back.
 */

#ifndef NGX_HTTP_TOKENAUTH_MODULE_H
#define NGX_HTTP_TOKENAUTH_MODULE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <tokenauth.h>


/* The most bytes of an operation name that ta_record_usage accepts. */
#define NGX_HTTP_TOKENAUTH_OPERATION_MAX  200


typedef struct {
    ngx_str_t                  store;        /* tokenauth_store: a path or a postgresql:// URI,
                                                NUL-terminated; empty when not set */
    ngx_flag_t                 used;         /* some location has "tokenauth on" */
} ngx_http_tokenauth_main_conf_t;


typedef struct {
    ngx_flag_t                 enable;       /* tokenauth on|off */
    ngx_http_complex_value_t  *scopes;       /* tokenauth_scopes; NULL: any valid token */
    char                      *fixed_scopes; /* the scopes as a C string when they hold no
                                                variable */
    ngx_http_complex_value_t  *resource;     /* tokenauth_resource; NULL: none (not set, or
                                                "off") */
    char                      *fixed_resource; /* the resource as a C string when it holds no
                                                variable */
    ngx_http_complex_value_t  *operation;    /* tokenauth_operation; NULL: "METHOD location" */
    char                      *fixed_operation; /* the operation as a C string when it holds no
                                                variable */
    char                     **method_operations; /* "METHOD location", the default
                                                operation, for each method nginx knows (in the
                                                order of ngx_http_tokenauth_operation.c); set
                                                with "tokenauth on" */
    ngx_str_t                  realm;        /* tokenauth_realm */
    ngx_str_t                  challenge;    /* Bearer realm="..." (the realm escaped) */
} ngx_http_tokenauth_loc_conf_t;


/* What the module decided for one request. It outlives internal redirects (error_page, try_files,
   named locations), so that the variables, the error page and the log phase still see it; it is
   the worker's, reused once the request's pool is destroyed. */
typedef struct {
    ta_verdict                 verdict;      /* the library's answer */
    ngx_str_t                  scopes;       /* the scopes checked (for scope="..." and to see
                                                whether a new location asks for others) */
    ngx_str_t                  resource;     /* the resource checked, as evaluated; empty for
                                                none */
    ngx_str_t                  challenge;    /* the refusing location's Bearer realm="..." */
    char                      *operation;    /* the usage operation, NUL-terminated */
    void                      *next_free;    /* in the worker's list of unused contexts */
    ngx_uint_t                 refusal;      /* the HTTP status refused with; 0 when passed */
    ta_status                  body_status;  /* whose ta_error_json() is the refusal's body */
    ngx_uint_t                 uri_changes;  /* r->uri_changes at the refusal: a later internal
                                                redirect means an error_page answers instead */
    unsigned                   checked:1;    /* the store was asked */
    unsigned                   presented:1;  /* a Bearer credential was sent (RFC 6750 3.1) */
    unsigned                   bad_resource:1; /* the resource is no resource name */
    unsigned                   answered:1;   /* the refusal's headers were added */
    unsigned                   json_body:1;  /* the body filter sends the library's JSON */
    unsigned                   json_sent:1;
    unsigned                   recorded:1;   /* ta_record_usage was called */
} ngx_http_tokenauth_ctx_t;


extern ngx_module_t  ngx_http_tokenauth_module;
extern ngx_module_t  ngx_http_tokenauth_filter_module;


/* The worker's store: opened in init_process; while it cannot be opened, another attempt is
   made at most once a second. NULL when unavailable (the failure is logged). */
ta_store *ngx_http_tokenauth_worker_store(ngx_log_t *log);

/* The phase handlers (ngx_http_tokenauth_handlers.c). */
ngx_int_t ngx_http_tokenauth_access_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_tokenauth_log_handler(ngx_http_request_t *r);

/* This request's context, also after an internal redirect cleared r->ctx; NULL when the module
   did not check this request. */
ngx_http_tokenauth_ctx_t *ngx_http_tokenauth_get_ctx(ngx_http_request_t *r);

/* The usage operation (ngx_http_tokenauth_operation.c): made at configuration time where it holds
   no variable; for a request, a NUL-terminated string in the configuration or in r->pool. */
ngx_int_t ngx_http_tokenauth_prepare_operation(ngx_conf_t *cf,
    ngx_http_tokenauth_loc_conf_t *lcf);
char *ngx_http_tokenauth_operation(ngx_http_request_t *r, ngx_http_tokenauth_loc_conf_t *lcf);

/* The response headers (ngx_http_tokenauth_headers.c). */
ngx_int_t ngx_http_tokenauth_refusal_headers(ngx_http_request_t *r,
    ngx_http_tokenauth_ctx_t *ctx);
ngx_int_t ngx_http_tokenauth_rate_headers(ngx_http_request_t *r,
    const ta_verdict *verdict);

/* The variables (ngx_http_tokenauth_variables.c). */
ngx_int_t ngx_http_tokenauth_add_variables(ngx_conf_t *cf);


#endif /* NGX_HTTP_TOKENAUTH_MODULE_H */

/*
 * ngx_http_tokenauth_module: the directives, the per-worker token store, and the registration of
 * the access and log phase handlers.
 *
 *   tokenauth_store      PATH | postgresql://...;   http
 *   tokenauth            on | off;                  http, server, location   (default off)
 *   tokenauth_scopes     "scope ...";               http, server, location   (variables allowed)
 *   tokenauth_resource   name | off;                http, server, location   (variables allowed;
 *                                                   default off: no specific resource)
 *   tokenauth_operation  "name";                    http, server, location   (variables allowed;
 *                                                   default "$request_method <location>")
 *   tokenauth_realm      "text";                    http, server, location   (default "api")
 *
 * The store is opened by each worker after fork (init_process, as the worker's user) and never by
 * the master; it is closed, which writes the usage still held in memory, when the worker exits.
 */

#include "ngx_http_tokenauth_module.h"


static ngx_int_t ngx_http_tokenauth_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_tokenauth_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_tokenauth_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_tokenauth_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_tokenauth_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_tokenauth_store_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_tokenauth_resource_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_tokenauth_check_realm(ngx_conf_t *cf, void *post,
    void *data);
static ngx_int_t ngx_http_tokenauth_init_process(ngx_cycle_t *cycle);
static void ngx_http_tokenauth_exit_process(ngx_cycle_t *cycle);


static ngx_conf_post_handler_pt  ngx_http_tokenauth_realm_post =
    ngx_http_tokenauth_check_realm;


static ngx_command_t  ngx_http_tokenauth_commands[] = {

    { ngx_string("tokenauth_store"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_tokenauth_store_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("tokenauth"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_tokenauth_loc_conf_t, enable),
      NULL },

    { ngx_string("tokenauth_scopes"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_tokenauth_loc_conf_t, scopes),
      NULL },

    { ngx_string("tokenauth_resource"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_tokenauth_resource_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_tokenauth_loc_conf_t, resource),
      NULL },

    { ngx_string("tokenauth_operation"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_tokenauth_loc_conf_t, operation),
      NULL },

    { ngx_string("tokenauth_realm"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_tokenauth_loc_conf_t, realm),
      &ngx_http_tokenauth_realm_post },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_tokenauth_module_ctx = {
    ngx_http_tokenauth_preconfiguration,    /* preconfiguration */
    ngx_http_tokenauth_postconfiguration,   /* postconfiguration */

    ngx_http_tokenauth_create_main_conf,    /* create main configuration */
    NULL,                                   /* init main configuration */

    NULL,                                   /* create server configuration */
    NULL,                                   /* merge server configuration */

    ngx_http_tokenauth_create_loc_conf,     /* create location configuration */
    ngx_http_tokenauth_merge_loc_conf       /* merge location configuration */
};


ngx_module_t  ngx_http_tokenauth_module = {
    NGX_MODULE_V1,
    &ngx_http_tokenauth_module_ctx,         /* module context */
    ngx_http_tokenauth_commands,            /* module directives */
    NGX_HTTP_MODULE,                        /* module type */
    NULL,                                   /* init master */
    NULL,                                   /* init module */
    ngx_http_tokenauth_init_process,        /* init process */
    NULL,                                   /* init thread */
    NULL,                                   /* exit thread */
    ngx_http_tokenauth_exit_process,        /* exit process */
    NULL,                                   /* exit master */
    NGX_MODULE_V1_PADDING
};


/* ------------------------------------------------------------------ the worker's store */

static ta_store    *ngx_http_tokenauth_store;        /* this worker's handle */
static const char  *ngx_http_tokenauth_store_name;   /* set in workers that use a store */
static time_t       ngx_http_tokenauth_retry_at;     /* after a failed open */


static ngx_uint_t
ngx_http_tokenauth_is_uri(const u_char *name, size_t len)
{
    return (len >= sizeof("postgresql://") - 1
            && ngx_strncmp(name, "postgresql://", sizeof("postgresql://") - 1) == 0)
           || (len >= sizeof("postgres://") - 1
               && ngx_strncmp(name, "postgres://", sizeof("postgres://") - 1) == 0);
}


static void
ngx_http_tokenauth_open(ngx_log_t *log)
{
    size_t      len;
    ta_status   status;
    const char *shown;

    status = ta_open(ngx_http_tokenauth_store_name, NULL, &ngx_http_tokenauth_store);

    if (status == TA_OK) {
        if (ngx_http_tokenauth_retry_at) {
            ngx_log_error(NGX_LOG_NOTICE, log, 0,
                          "tokenauth: the token store is open now");
        }

        ngx_http_tokenauth_retry_at = 0;
        return;
    }

    ngx_http_tokenauth_store = NULL;
    ngx_http_tokenauth_retry_at = ngx_time() + 1;

    /* a URI may hold a password: it is never written to the log */
    len = ngx_strlen(ngx_http_tokenauth_store_name);
    shown = ngx_http_tokenauth_is_uri((u_char *) ngx_http_tokenauth_store_name, len)
            ? "(a PostgreSQL URI)" : ngx_http_tokenauth_store_name;

    ngx_log_error(NGX_LOG_ERR, log, 0,
                  "tokenauth: cannot open the token store %s: %s: %s; "
                  "protected locations answer 503 until it opens",
                  shown, ta_status_name(status), ta_last_error());
}


ta_store *
ngx_http_tokenauth_worker_store(ngx_log_t *log)
{
    if (ngx_http_tokenauth_store == NULL
        && ngx_http_tokenauth_store_name != NULL
        && ngx_time() >= ngx_http_tokenauth_retry_at)
    {
        ngx_http_tokenauth_open(log);
    }

    return ngx_http_tokenauth_store;
}


static ngx_int_t
ngx_http_tokenauth_init_process(ngx_cycle_t *cycle)
{
    ngx_http_tokenauth_main_conf_t  *mcf;

    /* workers and the single process only: never the master, the cache manager or loader */
    if (ngx_process != NGX_PROCESS_WORKER && ngx_process != NGX_PROCESS_SINGLE) {
        return NGX_OK;
    }

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_tokenauth_module);

    if (mcf == NULL || !mcf->used || mcf->store.len == 0) {
        return NGX_OK;
    }

    ngx_http_tokenauth_store_name = (const char *) mcf->store.data;
    ngx_http_tokenauth_open(cycle->log);

    /* a store that cannot be opened is logged and answered with 503: the worker lives on */
    return NGX_OK;
}


static void
ngx_http_tokenauth_exit_process(ngx_cycle_t *cycle)
{
    (void) cycle;

    if (ngx_http_tokenauth_store) {
        ta_close(ngx_http_tokenauth_store);  /* writes the usage still in memory */
        ngx_http_tokenauth_store = NULL;
    }

    ngx_http_tokenauth_store_name = NULL;
}


/* ------------------------------------------------------------------ configuration */

static ngx_int_t
ngx_http_tokenauth_preconfiguration(ngx_conf_t *cf)
{
    return ngx_http_tokenauth_add_variables(cf);
}


static ngx_int_t
ngx_http_tokenauth_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_handler_pt             *h;
    ngx_http_core_main_conf_t       *cmcf;
    ngx_http_tokenauth_main_conf_t  *mcf;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_tokenauth_module);

    if (!mcf->used) {
        return NGX_OK;
    }

    if (mcf->store.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"tokenauth on\" needs \"tokenauth_store\" in the http block");
        return NGX_ERROR;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_tokenauth_access_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_tokenauth_log_handler;

    return NGX_OK;
}


static void *
ngx_http_tokenauth_create_main_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(ngx_http_tokenauth_main_conf_t));
}


static void *
ngx_http_tokenauth_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_tokenauth_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_tokenauth_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->enable = NGX_CONF_UNSET;
    conf->scopes = NGX_CONF_UNSET_PTR;
    conf->resource = NGX_CONF_UNSET_PTR;
    conf->operation = NGX_CONF_UNSET_PTR;

    return conf;
}


/* A NUL-terminated copy of `s` in `pool`. */
static char *
ngx_http_tokenauth_cstring(ngx_pool_t *pool, ngx_str_t *s)
{
    u_char  *p;

    p = ngx_pnalloc(pool, s->len + 1);
    if (p == NULL) {
        return NULL;
    }

    ngx_memcpy(p, s->data, s->len);
    p[s->len] = '\0';

    return (char *) p;
}


/* `*fixed`: the value of `cv` as a C string when it holds no variable (evaluated once, here). */
static ngx_int_t
ngx_http_tokenauth_fixed_value(ngx_conf_t *cf, ngx_http_complex_value_t *cv, char **fixed)
{
    if (cv == NULL || cv->lengths != NULL) {
        return NGX_OK;
    }

    *fixed = ngx_http_tokenauth_cstring(cf->pool, &cv->value);

    return *fixed ? NGX_OK : NGX_ERROR;
}


/* Bearer realm="..." with the realm as an RFC 7230 quoted-string. */
static ngx_int_t
ngx_http_tokenauth_build_challenge(ngx_conf_t *cf, ngx_http_tokenauth_loc_conf_t *conf)
{
    u_char     *p;
    size_t      i, len;
    ngx_str_t  *realm;

    realm = &conf->realm;
    len = sizeof("Bearer realm=\"\"") - 1 + 2 * realm->len;

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    conf->challenge.data = p;
    p = ngx_cpymem(p, "Bearer realm=\"", sizeof("Bearer realm=\"") - 1);

    for (i = 0; i < realm->len; i++) {
        if (realm->data[i] == '"' || realm->data[i] == '\\') {
            *p++ = '\\';
        }

        *p++ = realm->data[i];
    }

    *p++ = '"';
    conf->challenge.len = p - conf->challenge.data;

    return NGX_OK;
}


static char *
ngx_http_tokenauth_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_tokenauth_loc_conf_t  *prev = parent;
    ngx_http_tokenauth_loc_conf_t  *conf = child;

    ngx_http_tokenauth_main_conf_t  *mcf;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_ptr_value(conf->scopes, prev->scopes, NULL);
    ngx_conf_merge_ptr_value(conf->resource, prev->resource, NULL);
    ngx_conf_merge_ptr_value(conf->operation, prev->operation, NULL);
    ngx_conf_merge_str_value(conf->realm, prev->realm, "api");

    if (ngx_http_tokenauth_fixed_value(cf, conf->scopes, &conf->fixed_scopes) != NGX_OK
        || ngx_http_tokenauth_fixed_value(cf, conf->resource, &conf->fixed_resource) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    /* A fixed value that every request would refuse is refused now, by the library's own check. */
    if (ta_check_verify_input(conf->fixed_scopes, NULL) != TA_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "tokenauth_scopes \"%s\": %s",
                           conf->fixed_scopes, ta_last_error());
        return NGX_CONF_ERROR;
    }

    if (ta_check_verify_input(NULL, conf->fixed_resource) != TA_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "tokenauth_resource \"%s\": %s",
                           conf->fixed_resource, ta_last_error());
        return NGX_CONF_ERROR;
    }

    if (ngx_http_tokenauth_build_challenge(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (conf->enable) {
        if (ngx_http_tokenauth_prepare_operation(cf, conf) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_tokenauth_module);
        mcf->used = 1;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_tokenauth_store_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_tokenauth_main_conf_t  *mcf = conf;

    char       *name;
    ngx_str_t  *value, path;

    if (mcf->store.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    if (path.len == 0) {
        return "needs a file path or a postgresql:// URI";
    }

    /* a relative path is relative to nginx's prefix, as for other files nginx opens */
    if (!ngx_http_tokenauth_is_uri(path.data, path.len)
        && !(path.len == sizeof(":memory:") - 1
             && ngx_strncmp(path.data, ":memory:", path.len) == 0)
        && ngx_conf_full_name(cf->cycle, &path, 0) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    name = ngx_http_tokenauth_cstring(cf->pool, &path);
    if (name == NULL) {
        return NGX_CONF_ERROR;
    }

    mcf->store.data = (u_char *) name;
    mcf->store.len = path.len;

    return NGX_CONF_OK;
}


/* tokenauth_resource: "off" cancels an inherited resource; anything else but "" is a complex
   value, whose evaluation the library judges (evaluated to "", it means no specific resource). */
static char *
ngx_http_tokenauth_resource_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_tokenauth_loc_conf_t  *lcf = conf;

    ngx_str_t  *value;

    if (lcf->resource != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == sizeof("off") - 1
        && ngx_strncmp(value[1].data, "off", value[1].len) == 0)
    {
        lcf->resource = NULL;
        return NGX_CONF_OK;
    }

    if (value[1].len == 0) {
        return "needs a resource name, such as project/$arg_project, or \"off\"";
    }

    return ngx_http_set_complex_value_slot(cf, cmd, conf);
}


/* The realm goes into a response header: no control character may reach it. */
static char *
ngx_http_tokenauth_check_realm(ngx_conf_t *cf, void *post, void *data)
{
    ngx_str_t  *realm = data;
    size_t      i;

    (void) cf;
    (void) post;

    for (i = 0; i < realm->len; i++) {
        if (realm->data[i] < 0x20 || realm->data[i] == 0x7f) {
            return "must not contain control characters";
        }
    }

    return NGX_CONF_OK;
}

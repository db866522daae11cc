/* The static helpers: status names, HTTP statuses, JSON error bodies, version, last error rules,
   and the calls that must be harmless no-ops (ta_free(NULL), ta_close(NULL)). */
#include "harness.h"

struct row {
    ta_status status;
    const char *name;
    int http;
    const char *reason; /* the error body's message, where the contract names it */
};

static const struct row rows[] = {
    {TA_OK, "TA_OK", 200, NULL},
    {TA_MALFORMED, "TA_MALFORMED", 401, "Unauthorized"},
    {TA_UNKNOWN_TOKEN, "TA_UNKNOWN_TOKEN", 401, "Unauthorized"},
    {TA_REVOKED, "TA_REVOKED", 401, "Unauthorized"},
    {TA_EXPIRED, "TA_EXPIRED", 401, "Unauthorized"},
    {TA_INACTIVE, "TA_INACTIVE", 403, "Forbidden"},
    {TA_OWNER_INACTIVE, "TA_OWNER_INACTIVE", 403, "Forbidden"},
    {TA_FORBIDDEN, "TA_FORBIDDEN", 403, "Forbidden"},
    {TA_RATE_LIMITED, "TA_RATE_LIMITED", 429, "Too Many Requests"},
    {TA_NOT_FOUND, "TA_NOT_FOUND", 404, NULL},
    {TA_PERMISSION_DENIED, "TA_PERMISSION_DENIED", 403, "Forbidden"},
    {TA_CONFLICT, "TA_CONFLICT", 409, NULL},
    {TA_UNKNOWN_SCOPE, "TA_UNKNOWN_SCOPE", 400, NULL},
    {TA_INVALID_ARGUMENT, "TA_INVALID_ARGUMENT", 400, NULL},
    {TA_STORAGE_ERROR, "TA_STORAGE_ERROR", 503, NULL},
    {TA_INTERNAL_ERROR, "TA_INTERNAL_ERROR", 500, NULL},
};

int main(void)
{
    size_t i;
    char expected[32];
    ta_store *store = NULL;

    /* Nothing has failed on this thread yet. */
    CHECK(ta_last_error() != NULL);
    CHECK_STR(ta_last_error(), "");

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *r = &rows[i];
        const char *body = ta_error_json(r->status);
        CHECK_STR(ta_status_name(r->status), r->name);
        CHECK(ta_status_name(r->status) == ta_status_name(r->status)); /* static storage */
        CHECK_INT(ta_status_http(r->status), r->http);
        if (r->status == TA_OK) {
            CHECK(body == NULL);
            continue;
        }
        CHECK(body != NULL && json_valid(body));
        CHECK(json_raw_is(body, "success", "false"));
        CHECK(json_raw_is(body, "data", "null"));
        CHECK(json_len_is(body, "errors", 1));
        if (r->reason)
            CHECK(json_has_item(body, "errors", r->reason));
        if (!json_valid(body))
            SHOW_JSON(r->name, body);
    }
    /* The product's own example body, byte for byte. */
    CHECK_STR(ta_error_json(TA_FORBIDDEN), "{\"success\":false,\"errors\":[\"Forbidden\"],\"data\":null}");
    CHECK_STR(ta_error_json(TA_RATE_LIMITED),
              "{\"success\":false,\"errors\":[\"Too Many Requests\"],\"data\":null}");
    CHECK_STR(ta_error_json(TA_UNKNOWN_TOKEN), "{\"success\":false,\"errors\":[\"Unauthorized\"],\"data\":null}");

    /* A value outside the enum still gets a static name and never a crash. */
    CHECK(ta_status_name((ta_status)999) != NULL && ta_status_name((ta_status)999)[0] != '\0');
    CHECK(ta_status_name((ta_status)-1) != NULL);
    (void)ta_status_http((ta_status)999);
    (void)ta_error_json((ta_status)999);

    /* Version: the library's equals the header's, and has the MAJOR.MINOR.PATCH shape. */
    sprintf(expected, "%d.%d.%d", TA_VERSION_MAJOR, TA_VERSION_MINOR, TA_VERSION_PATCH);
    CHECK_STR(ta_version(), TA_VERSION_STRING);
    CHECK_STR(ta_version(), expected);

    /* NULL is a no-op for the destructors. */
    ta_free(NULL);
    ta_close(NULL);
    ta_set_clock(NULL, 1);
    CHECK(1);

    /* A failed call sets this thread's last error; the static helpers leave it alone... */
    CHECK_STATUS(ta_flush(NULL), TA_INVALID_ARGUMENT);
    CHECK(ta_last_error()[0] != '\0');
    (void)ta_status_name(TA_OK);
    (void)ta_status_http(TA_OK);
    (void)ta_error_json(TA_FORBIDDEN);
    (void)ta_version();
    ta_free(NULL);
    CHECK(ta_last_error()[0] != '\0');
    /* ...and the next ordinary call clears it on entry. */
    CHECK_STATUS(ta_open(":memory:", NULL, &store), TA_OK);
    CHECK_STR(ta_last_error(), "");
    CHECK_STATUS(ta_flush(store), TA_OK);
    CHECK_STR(ta_last_error(), "");
    CHECK_STATUS(ta_member_put(store, "system", ""), TA_INVALID_ARGUMENT);
    CHECK(ta_last_error()[0] != '\0');
    CHECK_STATUS(ta_member_put(store, "alice", ""), TA_OK);
    CHECK_STR(ta_last_error(), "");
    ta_close(store);

    return finish();
}

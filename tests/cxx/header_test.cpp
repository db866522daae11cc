// The public header used from C++ (built with -std=c++11/17/20 -Wall -Wextra -pedantic -Werror by
// `make test-cxx-header`): it must compile cleanly, give C linkage, and every function it declares
// must resolve against the installed library (all_functions.inc is generated from the header).
#include <tokenauth.h>

#include <cstdio>
#include <cstring>
#include <type_traits>

namespace {

using fn = void (*)();

// Taking each address forces the linker to resolve every declared function in libtokenauth.so.
fn const every_function[] = {
#include "all_functions.inc"
};

static_assert(std::is_same<decltype(&ta_verify),
                           ta_status (*)(ta_store *, const char *, const char *, ta_verdict *)>::value,
              "ta_verify keeps its C signature");
static_assert(sizeof(ta_verdict{}.token_id) == TA_ID_MAX, "token_id holds TA_ID_MAX bytes");
static_assert(sizeof(ta_verdict{}.missing_scope) == TA_SCOPE_MAX, "missing_scope holds TA_SCOPE_MAX bytes");
static_assert(std::is_standard_layout<ta_verdict>::value && std::is_trivial<ta_verdict>::value,
              "ta_verdict is a plain C struct");
static_assert(TA_ABI_VERSION == 1, "ABI 1");

int failures = 0;
void check(bool ok, const char *what)
{
    if (!ok) {
        std::fprintf(stderr, "header_test: FAIL %s\n", what);
        ++failures;
    }
}

} // namespace

int main()
{
    for (fn f : every_function)
        check(f != nullptr, "every declared function resolves");

    check(std::strcmp(ta_version(), TA_VERSION_STRING) == 0, "ta_version() == TA_VERSION_STRING");
    check(std::strcmp(ta_status_name(TA_FORBIDDEN), "TA_FORBIDDEN") == 0, "ta_status_name");
    check(ta_status_http(TA_RATE_LIMITED) == 429, "ta_status_http");

    ta_store *store = nullptr;
    ta_config config{};  // value-initialised: every field zero, NULL prefix
    check(ta_open(":memory:", &config, &store) == TA_OK && store != nullptr, "ta_open(:memory:)");
    check(ta_member_put(store, "alice", "ManagePersonalAccessTokens tickets:read") == TA_OK, "ta_member_put");

    ta_token_spec spec{};
    spec.name = "c++ token";
    spec.kind = TA_KIND_PERSONAL;
    spec.scopes = "tickets:read";
    char *secret = nullptr;
    char *id = nullptr;
    check(ta_token_create(store, "alice", &spec, &secret, &id) == TA_OK && secret && id, "ta_token_create");

    ta_verdict verdict;
    check(ta_verify(store, secret, "tickets:read", &verdict) == TA_OK && verdict.http_status == 200,
          "ta_verify OK");
    check(ta_verify(store, secret, "tickets:write", &verdict) == TA_FORBIDDEN &&
              std::strcmp(verdict.missing_scope, "tickets:write") == 0,
          "ta_verify FORBIDDEN");

    ta_free(secret);
    ta_free(id);
    ta_close(store);
    ta_close(nullptr);
    ta_free(nullptr);

    std::printf("header_test (C++%ld): %s, %zu functions resolved\n", static_cast<long>(__cplusplus / 100 % 100),
                failures ? "FAILED" : "ok", sizeof every_function / sizeof every_function[0]);
    return failures ? 1 : 0;
}

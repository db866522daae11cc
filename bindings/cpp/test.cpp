// Tests of bindings/cpp/tokenauth.hpp against the installed library. Prints "N passed, N failed".
#include "tokenauth.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

namespace {

int passed = 0, failed = 0;

void check(bool ok, const char *what, int line) {
    if (ok) {
        ++passed;
    } else {
        ++failed;
        std::printf("FAIL line %d: %s\n", line, what);
    }
}
#define CHECK(expr) check((expr), #expr, __LINE__)

// Runs `f`, expecting tokenauth::Error with `status`.
void expect_error(ta_status status, const std::function<void()> &f, const char *what, int line) {
    try {
        f();
        check(false, what, line);
        std::printf("  (no exception, expected %s)\n", tokenauth::status_name(status).c_str());
    } catch (const tokenauth::Error &e) {
        bool ok = e.status() == status && e.http_status() == ta_status_http(status) &&
                  e.name() == ta_status_name(status);
        check(ok, what, line);
        if (!ok) std::printf("  (got %s: %s)\n", e.name().c_str(), e.message().c_str());
    }
}
#define EXPECT_ERROR(status, stmt) expect_error((status), [&] { stmt; }, #stmt, __LINE__)

bool contains(const std::string &hay, const std::string &needle) {
    return hay.find(needle) != std::string::npos;
}

int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

static_assert(!std::is_copy_constructible_v<tokenauth::Store>, "Store is move-only");
static_assert(std::is_nothrow_move_constructible_v<tokenauth::Store>, "Store moves cheaply");
static_assert(std::is_copy_constructible_v<tokenauth::Verdict>, "Verdict is a value type");

void test_helpers() {
    CHECK(tokenauth::version() == ta_version());
    CHECK(tokenauth::status_name(TA_FORBIDDEN) == "TA_FORBIDDEN");
    CHECK(tokenauth::status_http(TA_RATE_LIMITED) == 429);
    CHECK(tokenauth::error_json(TA_FORBIDDEN) == R"({"success":false,"errors":["Forbidden"],"data":null})");
    CHECK(tokenauth::error_json(TA_OK).empty());
    tokenauth::Error e(TA_CONFLICT, "detail");
    CHECK(e.status() == TA_CONFLICT && e.http_status() == 409 && e.message() == "detail");
    CHECK(std::string(e.what()) == "TA_CONFLICT: detail");
    CHECK(e.error_json() == ta_error_json(TA_CONFLICT));
}

void test_lifecycle() {
    auto s = tokenauth::Store::open(":memory:");
    CHECK(s.is_open());
    tokenauth::Store moved(std::move(s));
    CHECK(!s.is_open() && moved.is_open());  // NOLINT(bugprone-use-after-move): the point
    EXPECT_ERROR(TA_INVALID_ARGUMENT, s.put_member("a", ""));
    tokenauth::Store other = tokenauth::Store::open(":memory:");
    other = std::move(moved);  // closes other's first handle
    CHECK(other.is_open() && !moved.is_open());
    other.close();
    other.close();  // once only
    CHECK(!other.is_open());
    EXPECT_ERROR(TA_INVALID_ARGUMENT, other.flush());
    EXPECT_ERROR(TA_INVALID_ARGUMENT, (void)other.verify("x"));
    EXPECT_ERROR(TA_INVALID_ARGUMENT, tokenauth::Store::open(std::string_view("a\0b", 3)));
    tokenauth::Config bad;
    bad.token_prefix = "NOPE";
    EXPECT_ERROR(TA_INVALID_ARGUMENT, tokenauth::Store::open(":memory:", bad));
}

void test_members_and_scopes(tokenauth::Store &s) {
    s.define_scope("reports:read", std::nullopt, "Read reports");
    s.define_scope("reports:write", "reports:read");
    CHECK(contains(s.scopes_json(), R"("scope":"reports:write")"));
    EXPECT_ERROR(TA_INVALID_ARGUMENT, s.define_scope("reports:read", "reports:write"));
    EXPECT_ERROR(TA_UNKNOWN_SCOPE, s.define_scope("x:y", "no:such"));
    s.put_member("alice", "tickets:read ManagePersonalAccessTokens");
    s.put_member("bob", "tickets:write assets:read ManagePersonalAccessTokens ManageServiceAccessTokens");
    s.put_member("root", "admin");
    s.put_member("temp", "");
    s.set_member_active("temp", false);
    std::string m = s.members_json();
    CHECK(contains(m, R"("id":"alice")") && contains(m, R"("id":"temp")"));
    s.remove_member("temp");
    CHECK(!contains(s.members_json(), "temp"));
    EXPECT_ERROR(TA_NOT_FOUND, s.remove_member("temp"));
    EXPECT_ERROR(TA_INVALID_ARGUMENT, s.put_member("system", ""));
    EXPECT_ERROR(TA_INVALID_ARGUMENT, s.put_member(std::string_view("al\0ice", 6), ""));
    EXPECT_ERROR(TA_UNKNOWN_SCOPE, s.put_member("carol", "nope:scope"));
}

void test_tokens(tokenauth::Store &s) {
    auto t = s.create_token("alice", {"ci", TA_KIND_PERSONAL, "tickets:read"});
    CHECK(t.secret.rfind("tkap_", 0) == 0 && t.secret.size() == 3 + 40);
    CHECK(t.id.rfind("tok_", 0) == 0);

    tokenauth::Verdict v = s.verify(t.secret, "tickets:read");
    CHECK(v.ok() && static_cast<bool>(v) && v.http_status == 200 && v.name() == "TA_OK");
    CHECK(v.kind == TA_KIND_PERSONAL && v.token_id == t.id && v.subject == "alice");
    CHECK(v.error_json().empty());
    CHECK(s.verify("Bearer " + t.secret).ok());
    // a header in a request buffer: not NUL-terminated, followed by other bytes
    std::string buffer = "Bearer " + t.secret + "\r\nHost: x";
    CHECK(s.verify(std::string_view(buffer.data(), 7 + t.secret.size()), "tickets:read").ok());
    CHECK(s.verify(std::string_view("tka\0p_", 6)).status == TA_MALFORMED);
    CHECK(s.verify("").status == TA_MALFORMED);
    CHECK(s.require(t.secret).subject == "alice");

    v = s.verify(t.secret, "tickets:write");
    CHECK(v.status == TA_FORBIDDEN && v.http_status == 403 && v.missing_scope == "tickets:write");
    CHECK(v.error_json() == R"({"success":false,"errors":["Forbidden"],"data":null})");
    EXPECT_ERROR(TA_FORBIDDEN, s.require(t.secret, "tickets:write"));
    EXPECT_ERROR(TA_MALFORMED, s.require("garbage"));
    CHECK(s.verify(t.secret, "Bad Scope").status == TA_INVALID_ARGUMENT);
    EXPECT_ERROR(TA_INVALID_ARGUMENT, (void)s.verify(t.secret, std::string_view("a\0b", 3)));

    s.rename("alice", t.id, "ci-2");
    CHECK(contains(s.get_token_json("alice", t.id), R"("name":"ci-2")"));
    s.set_active("alice", t.id, false);
    CHECK(s.verify(t.secret).status == TA_INACTIVE);
    EXPECT_ERROR(TA_INACTIVE, s.require(t.secret));
    s.set_active("root", t.id, true);
    CHECK(s.verify(t.secret).ok());

    // IAM
    EXPECT_ERROR(TA_INVALID_ARGUMENT, s.create_token(tokenauth::host, {"n", TA_KIND_PERSONAL, "tickets:read"}));
    EXPECT_ERROR(TA_PERMISSION_DENIED, s.create_token("alice", {"n", TA_KIND_PERSONAL, "tickets:write"}));
    EXPECT_ERROR(TA_PERMISSION_DENIED, s.create_token("nobody", {"n", TA_KIND_PERSONAL, "tickets:read"}));
    EXPECT_ERROR(TA_UNKNOWN_SCOPE, s.create_token("alice", {"n", TA_KIND_PERSONAL, "tickets:nope"}));
    EXPECT_ERROR(TA_NOT_FOUND, s.get_token_json("bob", t.id));
    EXPECT_ERROR(TA_PERMISSION_DENIED, s.rotate("root", t.id));

    // service tokens and rate limits
    auto svc = s.create_token("bob", {"sync", TA_KIND_SERVICE, "tickets:write", 0, 2, 60000});
    CHECK(svc.secret.rfind("tkas_", 0) == 0);
    v = s.verify(svc.secret, "tickets:read");
    CHECK(v.ok() && v.kind == TA_KIND_SERVICE && v.subject == svc.id && v.rate_limit == 2 &&
          v.rate_remaining == 1);
    CHECK(s.verify(svc.secret).ok());
    v = s.verify(svc.secret);
    CHECK(v.status == TA_RATE_LIMITED && v.http_status == 429 && v.retry_after_ms > 0 &&
          v.retry_after_seconds() >= 1 && v.retry_after_seconds() <= 30);
    EXPECT_ERROR(TA_RATE_LIMITED, s.require(svc.secret));

    // usage and oversight
    s.record_usage(t.id, "GET /api/tickets", 200);
    EXPECT_ERROR(TA_INVALID_ARGUMENT, s.record_usage(t.id, "GET /x", 42));
    EXPECT_ERROR(TA_NOT_FOUND, s.record_usage("tok_nonexistent00000", "GET /x", 200));
    s.flush();
    std::string st = s.stats_json(tokenauth::host, t.id);
    CHECK(contains(st, R"("GET /api/tickets":1)") && contains(st, R"("200":1)"));
    CHECK(contains(s.list_tokens_json(tokenauth::host, "kind=service"), svc.id));
    CHECK(!contains(s.list_tokens_json(tokenauth::host, "kind=service"), t.id));
    EXPECT_ERROR(TA_INVALID_ARGUMENT, s.list_tokens_json(tokenauth::host, "kind=robot"));
    CHECK(contains(s.audit_json(tokenauth::host, "event=token.created limit=1"), "token.created"));
    EXPECT_ERROR(TA_PERMISSION_DENIED, s.audit_json("alice"));
    CHECK(contains(s.report_json(), R"("tokens")"));

    // the verification index may be bounded or off: answers stay the same
    s.set_index_limit(0);
    CHECK(s.verify(t.secret).ok());
    s.set_index_limit(1000000);
    CHECK(s.verify(t.secret).ok());

    // rotation, revocation, deletion
    auto r = s.rotate("alice", t.id, 0);
    CHECK(r.id != t.id && s.verify(r.secret).ok());
    CHECK(s.verify(t.secret).status == TA_REVOKED);
    EXPECT_ERROR(TA_CONFLICT, s.rotate("alice", t.id));
    s.revoke("alice", r.id);
    EXPECT_ERROR(TA_REVOKED, s.require(r.secret));
    EXPECT_ERROR(TA_CONFLICT, s.set_active("alice", r.id, true));
    s.remove("alice", r.id);
    CHECK(s.verify(r.secret).status == TA_UNKNOWN_TOKEN);
    EXPECT_ERROR(TA_NOT_FOUND, s.get_token_json(tokenauth::host, r.id));

    // expiry, through this handle's clock
    int64_t t0 = now_ms();
    s.set_clock(t0);
    auto e = s.create_token("alice", {"short", TA_KIND_PERSONAL, "tickets:read", t0 + 1000});
    CHECK(s.verify(e.secret).ok() && s.verify(e.secret).expires_at_ms == t0 + 1000);
    s.set_clock(t0 + 1000);
    CHECK(s.verify(e.secret).status == TA_EXPIRED && s.verify(e.secret).http_status == 401);
    s.set_clock(0);

    // owner downgraded and deactivated
    auto b = s.create_token("bob", {"mine", TA_KIND_PERSONAL, "tickets:write assets:read"});
    CHECK(s.verify(b.secret, "assets:read").ok());
    s.put_member("bob", "tickets:write ManagePersonalAccessTokens");
    v = s.verify(b.secret, "assets:read");
    CHECK(v.status == TA_FORBIDDEN && v.missing_scope == "assets:read");
    s.set_member_active("bob", false);
    CHECK(s.verify(b.secret).status == TA_OWNER_INACTIVE);
}

void test_create_tokens(tokenauth::Store &s) {
    s.put_member("carol", "tickets:read ManagePersonalAccessTokens");
    std::vector<tokenauth::TokenSpec> specs = {
        {"batch 0", TA_KIND_PERSONAL, "tickets:read"},
        {"batch 1", TA_KIND_PERSONAL, "tickets:read", 0, 3, 60000},
        {"batch 2", TA_KIND_PERSONAL, "tickets:read"},
    };
    std::vector<tokenauth::Issued> made = s.create_tokens("carol", specs);
    CHECK(made.size() == 3);
    for (std::size_t i = 0; i < made.size(); ++i) {
        tokenauth::Verdict v = s.verify(made[i].secret, "tickets:read");
        CHECK(v.ok() && v.token_id == made[i].id && v.subject == "carol");
        CHECK(contains(s.get_token_json("carol", made[i].id), "\"name\":\"batch " + std::to_string(i) + "\""));
    }
    CHECK(made[0].id != made[1].id && made[1].id != made[2].id && made[0].id != made[2].id);
    CHECK(s.verify(made[1].secret).rate_limit == 3);
    CHECK(contains(s.audit_json(tokenauth::host, "event=token.created actor=carol"), made[2].id));

    // all or none: a bad spec in the middle creates nothing and is named
    std::string before = s.list_tokens_json("carol");
    specs[1].scopes = "tickets:write";
    try {
        s.create_tokens("carol", specs);
        CHECK(false);
    } catch (const tokenauth::Error &e) {
        CHECK(e.status() == TA_PERMISSION_DENIED && e.message().rfind("specs[1]: ", 0) == 0);
    }
    specs[1].name = "";
    EXPECT_ERROR(TA_INVALID_ARGUMENT, s.create_tokens("carol", specs));
    CHECK(s.list_tokens_json("carol") == before);
    EXPECT_ERROR(TA_INVALID_ARGUMENT, s.create_tokens("carol", {}));
    EXPECT_ERROR(TA_INVALID_ARGUMENT,
                 s.create_tokens(tokenauth::host, std::vector<tokenauth::TokenSpec>(
                                                      TA_BATCH_MAX + 1, {"n", TA_KIND_SERVICE, "tickets:read"})));
    EXPECT_ERROR(TA_INVALID_ARGUMENT, s.create_tokens("carol", {{std::string_view("a\0b", 3), TA_KIND_PERSONAL, "tickets:read"}}));
}

void test_resources() {
    tokenauth::check_verify_input("tickets:read assets:write", "project/42/tickets/7");
    tokenauth::check_verify_input(std::nullopt, "");
    EXPECT_ERROR(TA_INVALID_ARGUMENT, tokenauth::check_verify_input("tickets:read", "project/4 2"));
    EXPECT_ERROR(TA_INVALID_ARGUMENT, tokenauth::check_verify_input("Tickets:Read"));
    EXPECT_ERROR(TA_INVALID_ARGUMENT, tokenauth::check_verify_input(std::nullopt, "project/*"));

    auto s = tokenauth::Store::open(":memory:");
    s.put_member("lead", "tickets:write@project/42 ManageServiceAccessTokens");
    auto p42 = s.create_token("lead", {"jira sync p42", TA_KIND_SERVICE, "tickets:read@project/42"});
    tokenauth::Verdict v = s.verify("Bearer " + p42.secret, "tickets:read", "project/42/tickets/7");
    CHECK(v.ok() && v.token_id == p42.id);
    CHECK(s.verify(p42.secret, "tickets:read", std::string("project/42")).ok());
    v = s.verify(p42.secret, "tickets:read", "project/43/tickets/1");
    CHECK(v.status == TA_FORBIDDEN && v.http_status == 403 && v.missing_scope == "tickets:read" &&
          contains(v.message, "project/43"));
    CHECK(s.require(p42.secret, "tickets:read", "project/42").subject == p42.id);
    EXPECT_ERROR(TA_FORBIDDEN, s.require(p42.secret, "tickets:read", "project/43"));
    // no resource: only grants on every resource count (fail closed)
    CHECK(s.verify(p42.secret, "tickets:read").status == TA_FORBIDDEN);
    CHECK(s.verify(p42.secret, "tickets:read", "").status == TA_FORBIDDEN);
    CHECK(s.verify(p42.secret, "tickets:read", std::nullopt).status == TA_FORBIDDEN);
    EXPECT_ERROR(TA_FORBIDDEN, s.require(p42.secret, "tickets:read"));
    CHECK(s.verify(p42.secret).ok());
    // an ill-formed resource: decided first, counted nowhere
    v = s.verify(p42.secret, "tickets:read", "project/4 2");
    CHECK(v.status == TA_INVALID_ARGUMENT && v.http_status == 400 && v.token_id.empty() &&
          contains(v.message, "resource"));
    EXPECT_ERROR(TA_INVALID_ARGUMENT, s.require(p42.secret, "tickets:read", "project/*"));
    EXPECT_ERROR(TA_INVALID_ARGUMENT, (void)s.verify(p42.secret, "tickets:read", std::string_view("p\0x", 3)));
    s.flush();
    std::string st = s.stats_json(tokenauth::host, p42.id);
    // six refusals above (FORBIDDEN); the three ill-formed resources are not among them
    CHECK(contains(st, R"("denied_count":6)") && contains(st, R"("scopes_used":["tickets:read@project/42"])"));
    // least privilege per grant
    EXPECT_ERROR(TA_PERMISSION_DENIED, s.create_token("lead", {"wider", TA_KIND_SERVICE, "tickets:read@project/43"}));
}

void test_rate_limits() {
    auto s = tokenauth::Store::open(":memory:");
    CHECK(contains(s.rate_limit_info_json(), R"("policy":"handle")"));
    EXPECT_ERROR(TA_CONFLICT, s.set_rate_limit_policy(TA_RATE_LIMIT_SHARED));
    s.set_rate_limit_policy(TA_RATE_LIMIT_PER_HANDLE);
    EXPECT_ERROR(TA_INVALID_ARGUMENT, s.set_rate_limit_policy(static_cast<ta_rate_limit_policy>(7)));
    s.put_member("alice", "tickets:read ManagePersonalAccessTokens");
    auto limited = s.create_token("alice", {"rl", TA_KIND_PERSONAL, "tickets:read", 0, 5, 10000});
    tokenauth::TokenRateLimit rl = s.token_rate_limit(limited.id);
    CHECK(rl.limit == 5 && rl.window_ms == 10000 && !rl.unlimited());
    auto free = s.create_token("alice", {"free", TA_KIND_PERSONAL, "tickets:read"});
    rl = s.token_rate_limit(free.id);
    CHECK(rl.limit == 0 && rl.window_ms == 0 && rl.unlimited());
    EXPECT_ERROR(TA_NOT_FOUND, s.token_rate_limit("tok_nonexistent00000"));

    // a file store shares each token's budget between its handles, unless a handle opts out
    char path[] = "/tmp/tokenauth-cpp-rl-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    std::remove(path);
    {
        auto one = tokenauth::Store::open(path);
        auto two = tokenauth::Store::open(path);
        auto own = tokenauth::Store::open(path);
        own.set_rate_limit_policy(TA_RATE_LIMIT_PER_HANDLE);
        std::string info = one.rate_limit_info_json();
        CHECK(contains(info, R"("policy":"host")") && contains(info, std::string(path) + "-ratelimit"));
        CHECK(contains(own.rate_limit_info_json(), R"("policy":"handle")"));
        one.put_member("alice", "tickets:read ManagePersonalAccessTokens");
        auto t = one.create_token("alice", {"ci", TA_KIND_PERSONAL, "tickets:read", 0, 2, 60000});
        CHECK(one.verify(t.secret).ok() && one.verify(t.secret).ok());
        CHECK(two.verify(t.secret).status == TA_RATE_LIMITED);
        CHECK(own.verify(t.secret).ok());
    }
    for (const char *suffix : {"", "-wal", "-shm", "-ratelimit"}) std::remove((std::string(path) + suffix).c_str());
}

void test_console_helpers() {
    auto s = tokenauth::Store::open(":memory:");
    s.put_member("alice", "tickets:read ManagePersonalAccessTokens");
    s.put_member("root", "admin");
    auto a = s.create_token("alice", {"Nightly Sync", TA_KIND_PERSONAL, "tickets:read"});
    auto b = s.create_token("alice", {"other", TA_KIND_PERSONAL, "tickets:read"});
    std::string page = s.token_page_json("alice", "limit=1");
    CHECK(contains(page, R"("tokens":[{)") && !contains(page, R"("next":null)"));
    CHECK(contains(page, R"("actions":["rename","deactivate","revoke","rotate","delete"])"));
    page = s.token_page_json("alice", std::nullopt, "nightly");
    CHECK(contains(page, a.id) && !contains(page, b.id) && contains(page, R"("next":null)"));
    CHECK(contains(s.token_page_json(), a.id));
    EXPECT_ERROR(TA_INVALID_ARGUMENT, s.token_page_json("alice", "limit=0"));
    CHECK(s.token_actions_json("alice", a.id) ==
          R"({"token_id":")" + a.id + R"(","actions":["rename","deactivate","revoke","rotate","delete"]})");
    CHECK(!contains(s.token_actions_json("root", a.id), "rotate"));  // only the owner rotates
    EXPECT_ERROR(TA_NOT_FOUND, s.token_actions_json("root", "tok_nonexistent00000"));
    std::string rights = s.actor_rights_json("alice");
    CHECK(contains(rights, R"("actor":"alice")") && contains(rights, R"("create":["personal"])") &&
          contains(rights, R"("all_members":false)"));
    CHECK(contains(s.actor_rights_json(), R"("actor":"system")"));
    EXPECT_ERROR(TA_PERMISSION_DENIED, s.actor_rights_json("nobody"));
    CHECK(contains(s.member_list_for_json("alice"), R"("id":"alice")") &&
          !contains(s.member_list_for_json("alice"), R"("id":"root")"));
    CHECK(s.member_list_for_json("root") == s.members_json() && s.member_list_for_json() == s.members_json());
}

void test_file_store() {
    char path[] = "/tmp/tokenauth-cpp-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    std::remove(path);
    std::string secret;
    {
        tokenauth::Config c;
        c.token_prefix = "acme";
        auto s = tokenauth::Store::open(path, c);
        s.put_member("alice", "tickets:read ManagePersonalAccessTokens");
        secret = s.create_token("alice", {"ci", TA_KIND_PERSONAL, "tickets:read"}).secret;
        CHECK(secret.rfind("acmep_", 0) == 0);
    }
    {
        auto s = tokenauth::Store::open(path);
        CHECK(s.verify(secret).ok());
    }
    tokenauth::Config other;
    other.token_prefix = "zzz";
    EXPECT_ERROR(TA_CONFLICT, tokenauth::Store::open(path, other));
    for (const char *suffix : {"", "-wal", "-shm", "-ratelimit"}) std::remove((std::string(path) + suffix).c_str());
}

}  // namespace

int main() {
    try {
        test_helpers();
        test_lifecycle();
        auto s = tokenauth::Store::open(":memory:");
        test_members_and_scopes(s);
        test_tokens(s);
        test_create_tokens(s);
        test_resources();
        test_rate_limits();
        test_console_helpers();
        test_file_store();
    } catch (const std::exception &e) {
        ++failed;
        std::printf("FAIL: uncaught %s\n", e.what());
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

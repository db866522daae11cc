// tokenauth.hpp: header-only C++17 wrapper of libtokenauth (include/tokenauth.h, ABI 1).
//
//   tokenauth::Store store = tokenauth::Store::open("tokens.db");
//   store.put_member("alice", "tickets:read ManagePersonalAccessTokens");
//   auto issued = store.create_token("alice", {"ci", TA_KIND_PERSONAL, "tickets:read"});
//   auto many = store.create_tokens(tokenauth::host, {{"a", TA_KIND_SERVICE, "tickets:read"}, …});
//   tokenauth::Verdict v = store.verify(authorization_header, "tickets:read");
//   if (!v) respond(v.http_status, tokenauth::error_json(v.status), v.retry_after_seconds());
//   // a token holding tickets:read@project/42 passes here for project 42 only:
//   v = store.verify(authorization_header, "tickets:read", "project/42/tickets/7");
//
// - Store is RAII and move-only: the destructor calls ta_close exactly once.
// - Strings the library allocates are owned by a small RAII holder and released with ta_free,
//   even when copying them throws.
// - Inputs are std::string_view. The C API wants NUL-terminated strings, so a view is copied into
//   a std::string for the call; a view holding a NUL byte cannot cross that boundary and throws
//   Error(TA_INVALID_ARGUMENT). Credentials go through ta_verify_n with their length, so any bytes
//   (a header straight from a request buffer) may be verified.
// - A management call that fails throws tokenauth::Error (status, HTTP status, ta_last_error()).
//   verify() never throws for a denial: it returns the Verdict; require() throws instead.
// - Names, HTTP statuses and JSON bodies are asked of the library (ta_status_name,
//   ta_status_http, ta_error_json), never copied here.
// - Every function of the header has a method; those returning JSON end in _json and return the
//   library's text as is (parse it with the JSON library of your choice).
#ifndef TOKENAUTH_HPP
#define TOKENAUTH_HPP

#include <tokenauth.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tokenauth {

/// The member id performing a management call; std::nullopt (tokenauth::host) is the host itself.
using Actor = std::optional<std::string_view>;
inline constexpr std::nullopt_t host = std::nullopt;

inline std::string status_name(ta_status s) {
    const char *n = ta_status_name(s);
    return n ? n : "";
}
inline int status_http(ta_status s) { return ta_status_http(s); }
/// The static JSON error body for a status ("" for TA_OK).
inline std::string error_json(ta_status s) {
    const char *j = ta_error_json(s);
    return j ? j : "";
}
inline std::string last_error() {
    const char *e = ta_last_error();
    return e ? e : "";
}
inline std::string version() {
    const char *v = ta_version();
    return v ? v : "";
}

/// A failing ta_status, with the library's HTTP status and ta_last_error() at the time.
class Error : public std::runtime_error {
public:
    Error(ta_status status, std::string message)
        : std::runtime_error(status_name(status) + (message.empty() ? "" : ": " + message)),
          status_(status), http_status_(ta_status_http(status)), message_(std::move(message)) {}

    ta_status status() const noexcept { return status_; }
    int http_status() const noexcept { return http_status_; }
    /// ta_last_error() as it was right after the failing call.
    const std::string &message() const noexcept { return message_; }
    std::string name() const { return status_name(status_); }
    std::string error_json() const { return tokenauth::error_json(status_); }

private:
    ta_status status_;
    int http_status_;
    std::string message_;
};

namespace detail {

inline void check(ta_status s) {
    if (s != TA_OK) throw Error(s, last_error());
}

/// A NUL-terminated copy of a view; a NUL inside cannot be passed and is refused.
class CStr {
public:
    explicit CStr(std::string_view v, const char *what) : s_(v) {
        if (s_.find('\0') != std::string::npos)
            throw Error(TA_INVALID_ARGUMENT, std::string(what) + " contains a NUL byte");
    }
    const char *get() const noexcept { return s_.c_str(); }

private:
    std::string s_;
};

/// As CStr, but std::nullopt stays NULL.
class OptCStr {
public:
    OptCStr(std::optional<std::string_view> v, const char *what) {
        if (v) s_.emplace(*v, what);
    }
    const char *get() const noexcept { return s_ ? s_->get() : nullptr; }

private:
    std::optional<CStr> s_;
};

/// Owns a string allocated by the library; releases it with ta_free.
class Owned {
public:
    Owned() = default;
    Owned(const Owned &) = delete;
    Owned &operator=(const Owned &) = delete;
    ~Owned() { ta_free(p_); }
    char **out() noexcept { return &p_; }
    std::string str() const { return p_ ? std::string(p_) : std::string(); }

private:
    char *p_ = nullptr;
};

/// Owns an array of strings allocated by the library (an out array of ta_token_create_batch);
/// releases each with ta_free.
class OwnedArray {
public:
    explicit OwnedArray(std::size_t count) : p_(count, nullptr) {}
    OwnedArray(const OwnedArray &) = delete;
    OwnedArray &operator=(const OwnedArray &) = delete;
    ~OwnedArray() {
        for (char *p : p_) ta_free(p);
    }
    char **out() noexcept { return p_.data(); }
    std::string str(std::size_t i) const { return p_[i] ? std::string(p_[i]) : std::string(); }

private:
    std::vector<char *> p_;
};

/// A fixed char array of ta_verdict, up to its NUL (or its full size, defensively).
inline std::string fixed(const char *buf, std::size_t cap) {
    const void *nul = std::memchr(buf, '\0', cap);
    return std::string(buf, nul ? static_cast<std::size_t>(static_cast<const char *>(nul) - buf) : cap);
}

}  // namespace detail

/// ta_check_verify_input: throws Error(TA_INVALID_ARGUMENT) for required scopes or a resource name
/// that every verification would refuse, without a store (std::nullopt or "" checks nothing). For
/// fixed values of a gateway's configuration, checked once when it loads.
inline void check_verify_input(std::optional<std::string_view> required_scopes,
                               std::optional<std::string_view> resource = std::nullopt) {
    detail::OptCStr scopes(required_scopes, "required_scopes"), name(resource, "resource");
    detail::check(ta_check_verify_input(scopes.get(), name.get()));
}

/// What ta_verify decided, copied out of ta_verdict.
struct Verdict {
    ta_status status = TA_INTERNAL_ERROR;
    int http_status = 500;
    ta_token_kind kind = static_cast<ta_token_kind>(0);  // 0 when the token is not known
    std::string token_id;
    std::string subject;
    int64_t expires_at_ms = 0;
    uint32_t rate_limit = 0;
    uint32_t rate_remaining = 0;
    int64_t rate_reset_ms = 0;
    int64_t retry_after_ms = 0;
    std::string missing_scope;
    std::string message;  // ta_last_error() after a denial

    Verdict() = default;
    Verdict(const ta_verdict &v, std::string msg)
        : status(v.status), http_status(v.http_status), kind(v.kind),
          token_id(detail::fixed(v.token_id, sizeof v.token_id)),
          subject(detail::fixed(v.subject, sizeof v.subject)), expires_at_ms(v.expires_at_ms),
          rate_limit(v.rate_limit), rate_remaining(v.rate_remaining),
          rate_reset_ms(v.rate_reset_ms), retry_after_ms(v.retry_after_ms),
          missing_scope(detail::fixed(v.missing_scope, sizeof v.missing_scope)),
          message(std::move(msg)) {}

    bool ok() const noexcept { return status == TA_OK; }
    explicit operator bool() const noexcept { return ok(); }
    std::string name() const { return status_name(status); }
    std::string error_json() const { return tokenauth::error_json(status); }
    /// Whole seconds for a Retry-After header, rounded up; 0 unless rate limited.
    int64_t retry_after_seconds() const noexcept {
        return retry_after_ms > 0 ? (retry_after_ms + 999) / 1000 : 0;
    }
    /// Throws the denial as an Error; returns *this when OK.
    const Verdict &raise_for_status() const {
        if (!ok()) throw Error(status, message.empty() ? missing_scope : message);
        return *this;
    }
};

/// Options of ta_open; every 0 means the library's default.
struct Config {
    std::optional<std::string> token_prefix;  // nullopt keeps the database's
    uint32_t default_rate_limit = 0;
    uint32_t default_rate_window_ms = 0;
    uint32_t usage_flush_ms = 0;
    uint32_t busy_timeout_ms = 0;
};

/// What ta_token_create needs; scopes are space-separated.
struct TokenSpec {
    std::string_view name;
    ta_token_kind kind = TA_KIND_PERSONAL;
    std::string_view scopes;
    int64_t expires_at_ms = 0;
    uint32_t rate_limit = 0;
    uint32_t rate_window_ms = 0;
};

/// A new token: the secret exists only here; the store keeps a hash.
struct Issued {
    std::string secret;
    std::string id;
};

/// A token's stored rate limit (ta_token_rate_limit): `limit` requests per `window_ms`, both 0 for
/// an unlimited token. It never changes for a given token, so it may be kept.
struct TokenRateLimit {
    uint32_t limit = 0;
    uint32_t window_ms = 0;

    bool unlimited() const noexcept { return limit == 0; }
};

/// One open token database (ta_store *). Move-only; closed by the destructor.
class Store {
public:
    static Store open(std::string_view path, const Config &config = {}) {
        detail::CStr p(path, "path");
        detail::OptCStr prefix(config.token_prefix ? std::optional<std::string_view>(*config.token_prefix)
                                                   : std::nullopt,
                               "token_prefix");
        ta_config c{prefix.get(), config.default_rate_limit, config.default_rate_window_ms,
                    config.usage_flush_ms, config.busy_timeout_ms};
        ta_store *s = nullptr;
        ta_status st = ta_open(p.get(), &c, &s);
        if (st != TA_OK) {
            std::string msg = last_error();
            ta_close(s);  // NULL per the contract; a no-op then
            throw Error(st, msg);
        }
        return Store(s);
    }

    Store(Store &&other) noexcept : s_(std::exchange(other.s_, nullptr)) {}
    Store &operator=(Store &&other) noexcept {
        if (this != &other) {
            close();
            s_ = std::exchange(other.s_, nullptr);
        }
        return *this;
    }
    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;
    ~Store() { close(); }

    /// ta_close: flushes and frees the handle; later calls on this Store throw TA_INVALID_ARGUMENT.
    void close() noexcept { ta_close(std::exchange(s_, nullptr)); }
    bool is_open() const noexcept { return s_ != nullptr; }
    /// The raw handle, for calls this wrapper does not cover. Still owned by the Store.
    ta_store *handle() const noexcept { return s_; }

    void flush() { detail::check(ta_flush(live())); }
    void set_clock(int64_t now_ms) { ta_set_clock(live(), now_ms); }
    /// ta_set_index_limit: bounds this handle's verification index (0 turns it off).
    void set_index_limit(std::size_t max_tokens) { detail::check(ta_set_index_limit(live(), max_tokens)); }
    /// ta_set_rate_limit_policy: how this handle's rate limits are shared from now on (call it
    /// right after open: buckets do not carry over). TA_RATE_LIMIT_SHARED (the default of a file
    /// store): one bucket per token for every process of the host that opens the same file, one
    /// budget for a whole fleet on PostgreSQL; TA_RATE_LIMIT_PER_HANDLE: buckets of this handle
    /// alone. Throws TA_CONFLICT for SHARED on a ":memory:" store, TA_INVALID_ARGUMENT for a value
    /// the library does not know.
    void set_rate_limit_policy(ta_rate_limit_policy policy) {
        detail::check(ta_set_rate_limit_policy(live(), policy));
    }
    /// ta_rate_limit_info: the policy in force and its buckets, as JSON: {"policy": "host" |
    /// "fleet" | "handle", "table", "slots", "buckets_in_use", "unshared_verifications", "problem"}.
    std::string rate_limit_info_json() { return json([&](char **o) { return ta_rate_limit_info(live(), o); }); }

    // -- scopes and members
    void define_scope(std::string_view scope, std::optional<std::string_view> implies = std::nullopt,
                      std::optional<std::string_view> description = std::nullopt) {
        detail::CStr s(scope, "scope");
        detail::OptCStr i(implies, "implies"), d(description, "description");
        detail::check(ta_scope_define(live(), s.get(), i.get(), d.get()));
    }
    std::string scopes_json() { return json([&](char **o) { return ta_scope_list(live(), o); }); }

    void put_member(std::string_view member_id, std::string_view permissions) {
        detail::CStr m(member_id, "member_id"), p(permissions, "permissions");
        detail::check(ta_member_put(live(), m.get(), p.get()));
    }
    void set_member_active(std::string_view member_id, bool active) {
        detail::CStr m(member_id, "member_id");
        detail::check(ta_member_set_active(live(), m.get(), active));
    }
    void remove_member(std::string_view member_id) {
        detail::CStr m(member_id, "member_id");
        detail::check(ta_member_remove(live(), m.get()));
    }
    std::string members_json() { return json([&](char **o) { return ta_member_list(live(), o); }); }

    // -- tokens
    Issued create_token(Actor actor, const TokenSpec &spec) {
        detail::OptCStr a(actor, "actor");
        detail::CStr n(spec.name, "name"), sc(spec.scopes, "scopes");
        ta_token_spec c{n.get(), spec.kind, sc.get(), spec.expires_at_ms, spec.rate_limit,
                        spec.rate_window_ms};
        return issue([&](char **t, char **i) { return ta_token_create(live(), a.get(), &c, t, i); });
    }
    /// ta_token_create_batch: one token per spec (1..TA_BATCH_MAX), in one transaction, all or
    /// none, in the order of `specs`. A failing spec throws the Error create_token would, whose
    /// message names it ("specs[3]: name is empty"), and nothing is created.
    std::vector<Issued> create_tokens(Actor actor, const std::vector<TokenSpec> &specs) {
        detail::OptCStr a(actor, "actor");
        std::vector<detail::CStr> strings;  // reserved: the pointers below stay valid
        strings.reserve(2 * specs.size());
        std::vector<ta_token_spec> c;
        c.reserve(specs.size());
        for (const TokenSpec &spec : specs) {
            const char *name = strings.emplace_back(spec.name, "name").get();
            const char *scopes = strings.emplace_back(spec.scopes, "scopes").get();
            c.push_back(ta_token_spec{name, spec.kind, scopes, spec.expires_at_ms, spec.rate_limit,
                                      spec.rate_window_ms});
        }
        detail::OwnedArray secrets(c.size()), ids(c.size());
        detail::check(ta_token_create_batch(live(), a.get(), c.data(), c.size(), secrets.out(), ids.out()));
        std::vector<Issued> issued;
        issued.reserve(c.size());
        for (std::size_t i = 0; i < c.size(); ++i) issued.push_back(Issued{secrets.str(i), ids.str(i)});
        return issued;
    }
    void rename(Actor actor, std::string_view token_id, std::string_view name) {
        detail::OptCStr a(actor, "actor");
        detail::CStr t(token_id, "token_id"), n(name, "name");
        detail::check(ta_token_rename(live(), a.get(), t.get(), n.get()));
    }
    void set_active(Actor actor, std::string_view token_id, bool active) {
        detail::OptCStr a(actor, "actor");
        detail::CStr t(token_id, "token_id");
        detail::check(ta_token_set_active(live(), a.get(), t.get(), active));
    }
    void revoke(Actor actor, std::string_view token_id) {
        detail::OptCStr a(actor, "actor");
        detail::CStr t(token_id, "token_id");
        detail::check(ta_token_revoke(live(), a.get(), t.get()));
    }
    void remove(Actor actor, std::string_view token_id) {  // ta_token_delete
        detail::OptCStr a(actor, "actor");
        detail::CStr t(token_id, "token_id");
        detail::check(ta_token_delete(live(), a.get(), t.get()));
    }
    Issued rotate(Actor actor, std::string_view token_id, int64_t grace_ms = 0) {
        detail::OptCStr a(actor, "actor");
        detail::CStr t(token_id, "token_id");
        return issue([&](char **s, char **i) {
            return ta_token_rotate(live(), a.get(), t.get(), grace_ms, s, i);
        });
    }
    std::string list_tokens_json(Actor actor = host,
                                 std::optional<std::string_view> query = std::nullopt) {
        detail::OptCStr a(actor, "actor"), q(query, "query");
        return json([&](char **o) { return ta_token_list(live(), a.get(), q.get(), o); });
    }
    std::string get_token_json(Actor actor, std::string_view token_id) {
        detail::OptCStr a(actor, "actor");
        detail::CStr t(token_id, "token_id");
        return json([&](char **o) { return ta_token_get(live(), a.get(), t.get(), o); });
    }

    // -- consoles over large stores
    /// ta_token_page: one page of the tokens the actor can see, newest first, as JSON {"tokens",
    /// "next", "scanned", "as_of", "usage_flush_ms"}; each token has "actions". `query`: the filters
    /// of list_tokens_json plus after=ID (the previous page's "next"), limit=N (1..1000, default 50)
    /// and usage_days=N (0..90); `name_contains` keeps the names containing it, ignoring case.
    std::string token_page_json(Actor actor = host, std::optional<std::string_view> query = std::nullopt,
                                std::optional<std::string_view> name_contains = std::nullopt) {
        detail::OptCStr a(actor, "actor"), q(query, "query"), n(name_contains, "name_contains");
        return json([&](char **o) { return ta_token_page(live(), a.get(), q.get(), n.get(), o); });
    }
    /// ta_token_actions: what the actor may do with one token it can see now, as JSON
    /// {"token_id", "actions": [...]}. Throws TA_NOT_FOUND as get_token_json.
    std::string token_actions_json(Actor actor, std::string_view token_id) {
        detail::OptCStr a(actor, "actor");
        detail::CStr t(token_id, "token_id");
        return json([&](char **o) { return ta_token_actions(live(), a.get(), t.get(), o); });
    }
    /// ta_actor_rights: what the actor (host: "system") may do in general, as JSON {"actor",
    /// "create", "grantable_scopes", "audit", "all_members"}. Throws TA_PERMISSION_DENIED for an
    /// actor that is not an active member.
    std::string actor_rights_json(Actor actor = host) {
        detail::OptCStr a(actor, "actor");
        return json([&](char **o) { return ta_actor_rights(live(), a.get(), o); });
    }
    /// ta_member_list_for: the members the actor may see, as members_json has them: every member
    /// for an admin or the host, otherwise the actor alone.
    std::string member_list_for_json(Actor actor = host) {
        detail::OptCStr a(actor, "actor");
        return json([&](char **o) { return ta_member_list_for(live(), a.get(), o); });
    }

    // -- the hot path
    /// ta_verify_n: a bare token or a whole Authorization value, any bytes, against the
    /// space-separated `required_scopes` (empty: any valid token). Never throws for a denial (only
    /// for a NUL inside required_scopes or resource, or a closed Store).
    ///
    /// With a `resource` (ta_verify_resource_n), the entity the request touches
    /// ("project/42/tickets/7"), for tokens whose grants are scoped to resources
    /// ("tickets:read@project/42"): a required scope is in force when the token holds it on every
    /// resource, or through a grant whose pattern covers `resource`. Without one (std::nullopt, or
    /// ""), only grants on every resource count, so a token holding only qualified grants is
    /// TA_FORBIDDEN. An ill-formed resource name is TA_INVALID_ARGUMENT (400), decided before the
    /// token is looked at and counted nowhere; a TA_FORBIDDEN verdict's message names the resource.
    Verdict verify(std::string_view credential, std::string_view required_scopes = {},
                   std::optional<std::string_view> resource = std::nullopt) const {
        detail::CStr r(required_scopes, "required_scopes");
        detail::OptCStr res(resource, "resource");
        const char *scopes = required_scopes.empty() ? nullptr : r.get();
        ta_verdict v;
        ta_status st = resource ? ta_verify_resource_n(live(), credential.data(), credential.size(), scopes,
                                                       res.get(), &v)
                                : ta_verify_n(live(), credential.data(), credential.size(), scopes, &v);
        return Verdict(v, st == TA_OK ? std::string() : last_error());
    }
    /// verify(), throwing the denial as an Error.
    Verdict require(std::string_view credential, std::string_view required_scopes = {},
                    std::optional<std::string_view> resource = std::nullopt) const {
        Verdict v = verify(credential, required_scopes, resource);
        v.raise_for_status();
        return v;
    }
    void record_usage(std::string_view token_id, std::string_view operation, int http_status) {
        detail::CStr t(token_id, "token_id"), o(operation, "operation");
        detail::check(ta_record_usage(live(), t.get(), o.get(), http_status));
    }
    /// ta_token_rate_limit: the limit stored with a token, for a RateLimit-Policy header (the
    /// Verdict carries the limit but not its window). One read: it neither flushes usage nor waits
    /// for a writer. Throws TA_NOT_FOUND for an unknown id.
    TokenRateLimit token_rate_limit(std::string_view token_id) const {
        detail::CStr t(token_id, "token_id");
        TokenRateLimit limit;
        detail::check(ta_token_rate_limit(live(), t.get(), &limit.limit, &limit.window_ms));
        return limit;
    }

    // -- oversight
    std::string stats_json(Actor actor, std::string_view token_id, int64_t since_ms = 0) {
        detail::OptCStr a(actor, "actor");
        detail::CStr t(token_id, "token_id");
        return json([&](char **o) { return ta_token_stats(live(), a.get(), t.get(), since_ms, o); });
    }
    std::string audit_json(Actor actor = host, std::optional<std::string_view> query = std::nullopt) {
        detail::OptCStr a(actor, "actor"), q(query, "query");
        return json([&](char **o) { return ta_audit(live(), a.get(), q.get(), o); });
    }
    std::string report_json(Actor actor = host, int64_t since_ms = 0) {
        detail::OptCStr a(actor, "actor");
        return json([&](char **o) { return ta_report(live(), a.get(), since_ms, o); });
    }

private:
    explicit Store(ta_store *s) noexcept : s_(s) {}

    ta_store *live() const {
        if (!s_) throw Error(TA_INVALID_ARGUMENT, "the store is closed");
        return s_;
    }
    template <class F> static std::string json(F &&call) {
        detail::Owned out;
        ta_status st = call(out.out());
        detail::check(st);
        return out.str();
    }
    template <class F> static Issued issue(F &&call) {
        detail::Owned secret, id;
        ta_status st = call(secret.out(), id.out());
        detail::check(st);
        return Issued{secret.str(), id.str()};
    }

    ta_store *s_ = nullptr;
};

}  // namespace tokenauth

#endif  // TOKENAUTH_HPP

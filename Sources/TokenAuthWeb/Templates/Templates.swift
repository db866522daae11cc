#if Console
/// The console's Mustache templates, compiled into the binary (an installed static `tokenauth` has no
/// resource bundle to read them from). Each lives in a file of its own as an extension of this enum.
/// Every value a template shows is escaped by `{{name}}`; the one unescaped insertion, `{{{body}}}` in
/// the layout, is HTML that these templates rendered.
enum Templates {
    static let all: [String: String] = [
        "layout": layout, "error": error, "signin": signIn,
        "tokens": tokens, "token_new": tokenNew, "token_secret": tokenSecret, "token_detail": tokenDetail,
        "token_rename": tokenRename, "token_confirm": tokenConfirm, "token_rotate": tokenRotate,
        "usage_chart": usageChart, "row_actions": rowActions, "audit_rows": auditRows, "audit": audit, "report": report, "members": members, "catalog": catalog,
    ]
}
#endif

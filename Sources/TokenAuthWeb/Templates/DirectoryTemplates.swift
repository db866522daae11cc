#if Console
extension Templates {
    /// The members the host application declared, and what each may do.
    static let members = """
        <h1>Members</h1>
        {{^allMembers}}<p class="help">You see your own permissions; admins see every member.</p>{{/allMembers}}
        <table>
          <thead><tr><th scope="col">Member</th><th scope="col">Active</th><th scope="col">Token actions (IAM)</th><th scope="col">Scopes</th></tr></thead>
          <tbody>
          {{#members}}<tr><th scope="row">{{id}}</th><td>{{active}}</td><td>{{#actions}}<code>{{.}}</code> {{/actions}}</td><td>{{#scopes}}<code>{{.}}</code> {{/scopes}}</td></tr>{{/members}}
          </tbody>
        </table>
        <p class="help">Members and their permissions come from the host application (ta_member_put, or <code>tokenauth member put</code>).</p>
        """

    /// The scope catalog.
    static let catalog = """
        <h1>Scopes</h1>
        <table>
          <thead><tr><th scope="col">Scope</th><th scope="col">Implies</th><th scope="col">Description</th></tr></thead>
          <tbody>
          {{#scopes}}<tr><th scope="row"><code>{{scope}}</code></th><td>{{#implies}}<code>{{.}}</code> {{/implies}}</td><td>{{description}}</td></tr>{{/scopes}}
          </tbody>
        </table>
        <p class="help"><code>admin</code> implies every scope and every token action. The catalog comes from the host application (ta_scope_define, or <code>tokenauth scope define</code>).</p>
        """
}
#endif

/// Managing existing tokens (creating them: TokenStore+Creation.swift). Each call is one transaction
/// and one audit entry; IAM refusals are audited as `iam.denied` instead.
extension TokenStore {
    public func renameToken(actor: String?, tokenID: String, name: String) throws {
        let newName = try Validate.tokenName(name)
        try manage(actor, tokenID, "token_rename", .rename, .normal) { token, _, _, _ in
            token.name = newName
            return ("token.renamed", [("name", .string(newName))])
        }
    }

    public func setTokenActive(actor: String?, tokenID: String, active: Bool) throws {
        try manage(actor, tokenID, "token_set_active", .setActive, .full) { token, _, now, _ in
            if let conflict = TokenState.conflict(.setActive, on: token, activating: active, now: now) {
                throw TokenAuthError(.conflict, conflict)
            }
            token.active = active
            return (active ? "token.activated" : "token.deactivated", [])
        }
    }

    public func revokeToken(actor: String?, tokenID: String, reason: String = "revoked") throws {
        try manage(actor, tokenID, "token_revoke", .revoke, .full) { token, _, now, _ in
            token.recordRevocation(at: now)
            return ("token.revoked", [("reason", .string(reason))])
        }
    }

    public func deleteToken(actor: String?, tokenID: String) throws {
        try manage(actor, tokenID, "token_delete", .delete, .full) { token, _, _, writer in
            try writer.deleteToken(id: token.id)
            return ("token.deleted", [])
        }
    }

    /// Issues a successor with the same name, kind, owner, scopes, rate limit and lifetime length, and
    /// revokes this token once `graceMS` has passed.
    public func rotateToken(actor: String?, tokenID: String, graceMS: Int64) throws -> IssuedToken {
        guard graceMS >= 0 else { throw TokenAuthError.invalid("grace_ms must not be negative") }
        var issued: IssuedToken?
        try manage(actor, tokenID, "token_rotate", .rotate, .full) { token, resolvedActor, now, writer in
            if let conflict = TokenState.conflict(.rotate, on: token, now: now) { throw TokenAuthError(.conflict, conflict) }
            var successor = token
            successor.createdAt = now
            successor.createdBy = resolvedActor.auditName
            successor.active = true
            successor.revoked = false
            successor.revokeAt = nil
            successor.rotatedFrom = token.id
            successor.rotatedTo = nil
            if token.expiresAt != 0 {
                let lifetime = token.expiresAt.subtractingReportingOverflow(token.createdAt)
                let end = now.addingReportingOverflow(lifetime.overflow ? 0 : max(lifetime.partialValue, 1))
                successor.expiresAt = end.overflow ? Int64.max : end.partialValue
            }
            let next = try issue(successor, writer: writer, actor: resolvedActor)
            issued = next
            // Without grace the old token is revoked as a state; a grace period is a time, which
            // each verifying host judges by its own clock until a handle records its end.
            let revokesAt = now.addingReportingOverflow(graceMS)
            if graceMS == 0 { token.recordRevocation(at: now) } else {
                token.revokeAt = revokesAt.overflow ? Int64.max : revokesAt.partialValue
            }
            token.rotatedTo = next.id
            return ("token.rotated", [("rotated_to", .string(next.id)), ("grace_ms", .int(graceMS)),
                                      ("revokes_at", .int(token.revokeAt ?? now))])
        }
        guard let issued else { throw TokenAuthError.internal("rotation issued no token") }
        return issued
    }

    /// The shared shape of the calls on one existing token: validate, resolve the actor, find the
    /// token, check visibility and IAM, then let `change` check state and modify it; the record is
    /// written back (unless deleted) and the returned event audited, all in one transaction.
    private func manage(_ actorID: String?, _ tokenID: String, _ action: String, _ operation: AccessPolicy.Operation,
                        _ durability: Durability,
                        _ change: (inout TokenRecord, Actor, Int64, any StorageWriter) throws -> (String, [(String, JSON)])) throws {
        let id = try Validate.identifier(tokenID, "token id")
        if let actorID { _ = try Validate.memberID(actorID, "actor") }
        let now = clock.nowMS
        try auditingRefusals(action) {
            try backend.write(durability) { writer in
                let catalog = try catalog(in: writer)
                let actor = try resolveActor(actorID, in: writer, tokenID: id)
                guard var token = try writer.token(id: id) else { throw Self.noSuchToken(id) }
                let policy = AccessPolicy(actor: actor, catalog: catalog)
                guard policy.canSee(token) else { throw Self.noSuchToken(id, hiddenFrom: actor) }
                if let reason = policy.refusal(operation, on: token) {
                    throw Self.permissionDenied(reason, actor: actor, tokenID: id)
                }
                let (event, detail) = try change(&token, actor, now, writer)
                if operation != .delete { try writer.updateToken(token) }
                try writer.appendAudit(AuditRecord(at: now, event: event, actor: actor.auditName, tokenID: id,
                                                   memberID: token.owner, detail: .object(detail)))
            }
        }
    }
}

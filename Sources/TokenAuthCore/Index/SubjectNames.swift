/// Owners' member ids, one string per distinct id, so that the index's entries for tokens of the
/// same owner share one storage (bounded by the number of members ever seen by this handle).
final class SubjectNames: Sendable {
    private let names = Locked<Set<String>>([])

    /// The stored string equal to `name` (adding it on first sight).
    func intern(_ name: String) -> String {
        names.withLock { set in
            if let index = set.firstIndex(of: name) { return set[index] }
            set.insert(name)
            return name
        }
    }
}

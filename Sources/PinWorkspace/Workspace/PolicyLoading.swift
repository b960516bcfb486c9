import PinLock
public import PinPolicy
import SystemPackage

extension Workspace {
    /// The admission policy in force: the shared file (`--policy`, else `MODELPIN_POLICY`) and
    /// the project's `[policy]` (when there is a project), each its own rule set, the shared one
    /// first. nil when neither has a rule. Read strictly (an error names file, line and field)
    /// and checked for expired waivers on `today`.
    public func policyGate(project: Project?, today: PolicyDay = PolicyGate.currentDay) throws -> PolicyGate? {
        var sets: [RuleSet] = []
        if let path = configuration.sharedPolicyPath {
            let bytes = try ConfigFile.read(FilePath(path), what: "policy", limit: Self.policyFileLimit)
            if let set = try PolicyFormat.parse(String(decoding: bytes, as: UTF8.self), file: path, shared: true) { sets.append(set) }
        }
        if let project, let set = try PolicyFormat.parse(project.manifestText, file: project.manifestPath.string, shared: false) {
            sets.append(set)
        }
        let policy = Policy(ruleSets: sets)
        return policy.isEmpty ? nil : try PolicyGate(policy: policy, today: today)
    }

    /// A policy is a few KB; far beyond any real one.
    static let policyFileLimit = 4 << 20
}

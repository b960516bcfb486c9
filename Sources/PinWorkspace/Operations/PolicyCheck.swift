import PinLock
import PinModel
import PinPolicy
import PinStore
public import SystemPackage

/// What `policy check` and `policy test` found: per model, the decision and its reasons.
public struct PolicyReport: Sendable, Encodable {
    public struct Model: Sendable, Encodable {
        public let alias: String
        public let repo: String
        /// `allow`, `log` or `block`.
        public let decision: String
        public let reasons: [String]
        /// `policy check`: the decision the lock records, if any; `policy test`: the expected one.
        public let recorded: String?
        /// Files whose format and verdict the store had no record of: the verdict is the lock's,
        /// the format unknown (`policy check` says so).
        public let factsFromLock: [String]
        /// `policy test`: the decision differs from `expect` (or a block nothing expected).
        public let failed: Bool
    }

    /// The digest of the policy in force; nil: no policy (everything is allowed).
    public let policyDigest: String?
    /// `policy check`: the digest the lock records.
    public let lockedDigest: String?
    public let models: [Model]

    /// Exit 1: something was blocked (`check`), or a decision was not the expected one (`test`).
    public var failed: Bool { models.contains(where: \.failed) }
}

extension Workspace {
    /// `policy check [ALIAS…]`: the policy in force (the shared file and the project's
    /// `[policy]`) over the project's lock, without fetching: facts from the store where it
    /// holds the blobs, else from the lock (each such file named). Nothing is acted on or written.
    public func checkPolicy(_ project: Project, aliases: [String]) throws -> PolicyReport {
        guard let lock = try project.loadLock() else { throw ProjectError.lockMissing(project.lockPath) }
        for alias in aliases where lock.model(alias) == nil {
            throw ProjectError.unknownAlias(alias, manifest: project.manifestPath, known: lock.models.map(\.alias.rawValue))
        }
        let gate = try policyGate(project: project)
        let store = try? openStore(.readOnly)
        let models = lock.models.filter { aliases.isEmpty || aliases.contains($0.alias.rawValue) }.map { model in
            let gathered = PolicySubject.gather(model, store: store, hub: nil)
            let decision = gate?.policy.evaluate(gathered.subject, today: gate!.today) ?? .allowed
            return PolicyReport.Model(
                alias: model.alias.rawValue, repo: model.repo, decision: decision.action.rawValue, reasons: decision.reasons,
                recorded: model.policy?.decision.rawValue, factsFromLock: gathered.fromLock, failed: decision.action == .block)
        }
        return PolicyReport(policyDigest: gate?.digest.description, lockedDigest: lock.policyDigest?.description, models: models)
    }

    /// `policy test FIXTURE`: the policy in force over a fixture's models (`PolicyFixture`), on
    /// the fixture's `today`. No store, no Hub.
    public func testPolicy(fixture path: FilePath, project: Project?) throws -> PolicyReport {
        let bytes = try ConfigFile.read(path, what: "policy fixture", limit: Self.policyFileLimit)
        let fixture = try PolicyFixture.parse(String(decoding: bytes, as: UTF8.self), file: path.string)
        let gate = try policyGate(project: project, today: fixture.today)
        let models = fixture.cases.map { test in
            let decision = gate?.policy.evaluate(test.subject, today: fixture.today) ?? .allowed
            let failed = test.expect.map { $0 != decision.action } ?? (decision.action == .block)
            return PolicyReport.Model(
                alias: test.subject.repo, repo: test.subject.repo, decision: decision.action.rawValue, reasons: decision.reasons,
                recorded: test.expect?.rawValue, factsFromLock: [], failed: failed)
        }
        return PolicyReport(policyDigest: gate?.digest.description, lockedDigest: nil, models: models)
    }
}

public import PinModel
public import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Who runs an operation and under which command, as the audit log records it, and where its
/// checkpoint goes. PinCLI fills in `command` and `checkpoint`; the user is the process's.
public struct AuditSettings: Sendable {
    /// The command as a person typed it (`pull`, `lock`, `keys import`…); nil: the operation's
    /// own name (a library caller).
    public var command: String?
    /// The account the process runs as (`getpwuid`), else `$USER`, else `uid N`.
    public var user: String
    /// `--audit-checkpoint FILE` (`pull`, `lock`): after the operation's entries, the log's
    /// signed checkpoint is written here. Before the manifest's `audit-checkpoint`.
    public var checkpoint: FilePath?
    /// `MODELPIN_AUDIT=off`: nothing is logged, with a warning on every run. Anything but
    /// unset, empty, `on` or `off` is an error when an operation starts (`AuditSettingsError`).
    public var mode: String?

    /// The environment variable that turns the log off.
    public static let variable = "MODELPIN_AUDIT"

    public init(environment: [String: String]) {
        user = Self.processUser(environment: environment)
        mode = environment[Self.variable]
    }

    /// Whether operations are logged: true unless `MODELPIN_AUDIT=off` (case-insensitive).
    func isEnabled() throws(AuditSettingsError) -> Bool {
        switch mode?.lowercased() {
        case nil, "", "on": true
        case "off": false
        default: throw AuditSettingsError(value: mode ?? "")
        }
    }

    /// The warning every run with the log off prints.
    static let offWarning =
        "\(variable)=off: this operation is not recorded in the store's audit log; nothing will show who pulled, locked or refused what"

    /// The process's effective user: the password database's name for it, which a changed `$USER`
    /// does not alter; `$USER` only when the database has no entry (a container's bare uid).
    static func processUser(environment: [String: String]) -> String {
        let uid = geteuid()
        var record = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        if getpwuid_r(uid, &record, &buffer, buffer.count, &result) == 0, let entry = result, let name = entry.pointee.pw_name {
            return String(cString: name)
        }
        return environment["USER"].nonEmpty ?? "uid \(uid)"
    }
}

/// `MODELPIN_AUDIT` set to something else than `on` or `off`: a typo must not quietly decide
/// whether a pull is recorded.
public struct AuditSettingsError: ModelpinError {
    public let value: String
    public var kind: FailureKind { .usage }
    public var description: String { "\(AuditSettings.variable) is `\(value.escapedForDisplay)`; it takes `on` or `off`" }
    public var hint: String? { "unset it (the log is on by default), or set \(AuditSettings.variable)=off to run without one" }
}

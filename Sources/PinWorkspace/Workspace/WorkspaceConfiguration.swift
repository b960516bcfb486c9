import PinDigest
import PinHub
public import PinNames
public import PinScan
public import PinTransport
import SystemPackage

/// How every operation reaches its sources and what it accepts: the values the command line
/// parsed, plus the process environment. The CLI fills it in; only this type turns it into the
/// transport's and the Hub's settings, so PinCLI needs neither module.
public struct WorkspaceConfiguration: Sendable {
    /// The process environment: endpoints, the token and its trusted hosts, CA bundles, gpg.
    public var environment: [String: String]
    /// Sent as User-Agent (`modelpin/VERSION`).
    public var userAgent: String
    /// `--endpoint`.
    public var endpointFlag: String?
    /// `--token` (hf's flag): used before HF_TOKEN and the saved token, with a warning that the
    /// command line is visible to other local users.
    public var tokenFlag: String?
    /// `--cacert`; else `MODELPIN_CA_BUNDLE`, else `SSL_CERT_FILE`.
    public var caBundle: String?
    /// Transfers at once (`--jobs`).
    public var connections = PullSettings.defaultConnections
    /// `--part-size`, in bytes.
    public var partSize: Int64 = 64 << 20
    /// `--stall-timeout`, in seconds.
    public var stallTimeout = 30
    /// `--retries`: attempts per transfer.
    public var retries = 5
    /// `--policy`: the shared admission-policy file (else `MODELPIN_POLICY`).
    public var policyFile: String?
    /// `--allow-global`, `--strict`, `--allow-remote-code`.
    public var scanPolicy = ScanPolicy()
    /// The allowlist and where it came from; nil checker: none configured (names are not
    /// checked against one). Read only when an operation resolves a name, so that checks which
    /// ask no Hub (`lock --check`, a stale lock under `--locked`) do not depend on it.
    public var allowlist: @Sendable () throws -> (checker: NameChecker?, source: String?) = { (nil, nil) }
    /// `--plain-http`: OCI registries over plain http, for registries on this machine only
    /// unless `allowInsecureRegistry`.
    public var registryPlainHTTP = false
    /// `--allow-insecure-registry`: plain http to a registry on another host (warned about).
    public var allowInsecureRegistry = false
    /// Opens a registry session; nil: PinRegistry's client (`RegistryClientSession`). Tests
    /// set a registry of their own.
    public var registryConnect: (@Sendable (String, RegistryAccess, CancellationFlag) throws -> any RegistrySession)?
    /// What the audit log records of who ran the operation, under which command, and where
    /// its checkpoint goes (`--audit-checkpoint`).
    public var audit: AuditSettings

    public init(environment: [String: String], userAgent: String) {
        self.environment = environment
        self.userAgent = userAgent
        audit = AuditSettings(environment: environment)
    }

    /// The default Hub.
    public static let defaultEndpoint = HubEndpoint.defaultURL

    /// An endpoint given outside the repository: `--endpoint`, else `MODELPIN_ENDPOINT`, else
    /// `HF_ENDPOINT`. It resolves in place of the manifest's, and fetches locked files in place
    /// of the endpoint the lock records.
    public var endpointOverride: String? {
        guard let text = endpointFlag ?? environment["MODELPIN_ENDPOINT"].nonEmpty ?? environment["HF_ENDPOINT"].nonEmpty else {
            return nil
        }
        return Self.trimmed(text)
    }

    /// The endpoint to resolve against: the override, else the manifest's (a project's
    /// default), else the Hub.
    public func resolveEndpoint(manifest: String?) -> String {
        endpointOverride ?? Self.trimmed(manifest ?? Self.defaultEndpoint)
    }

    /// Trailing slashes do not change which server is asked.
    static func trimmed(_ text: String) -> String {
        var text = text
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// The pull machinery's settings for `endpoint`. `warn` hears about a token withheld from an
    /// endpoint the environment does not trust.
    func pullSettings(endpoint text: String, warn: (String) -> Void) throws -> PullSettings {
        let hubEndpoint = try HubEndpoint(text)
        var policy = try transportPolicy()
        hubEndpoint.configure(&policy, token: try token(for: hubEndpoint, warn: warn))
        var settings = PullSettings(endpoint: hubEndpoint, policy: policy)
        settings.connections = connections
        settings.partSize = partSize
        (settings.names, settings.allowlistSource) = try allowlist()
        settings.gpgPath = gpgPath
        settings.scanPolicy = scanPolicy
        settings.registry = registryAccess(policy: policy)
        return settings
    }

    /// How to reach any server, before an endpoint's own settings (token, plain http): user
    /// agent, timeouts, retries, CA bundle. Also what S3 mirrors and --blob-redirect use.
    func transportPolicy() throws -> TransportPolicy {
        var policy = TransportPolicy()
        policy.userAgent = userAgent
        policy.stallTimeout = stallTimeout
        policy.retry.maxAttempts = retries
        policy.caBundle = caBundle ?? environment["MODELPIN_CA_BUNDLE"].nonEmpty ?? environment["SSL_CERT_FILE"].nonEmpty
        if let caBundle = policy.caBundle {
            // libcurl opens the bundle with a plain open, which a FIFO blocks: check it here.
            do {
                try RegularFile.open(FilePath(caBundle)).close()
            } catch let error as FileReadError {
                throw ConfigFileError(path: FilePath(caBundle), what: "CA bundle", reading: error)
            }
        }
        return policy
    }

    /// How registries are reached: the same transport settings as the Hub's (CA bundle,
    /// retries, timeouts) without the Hub's token, `--plain-http`, and credentials from this
    /// environment.
    func registryAccess(policy hubPolicy: TransportPolicy) -> RegistryAccess {
        var policy = hubPolicy
        policy.bearerToken = nil
        policy.plainHTTPOrigins = []
        var access = RegistryAccess(policy: policy, connect: registryConnect ?? RegistryClientSession.open)
        access.plainHTTP = registryPlainHTTP
        access.allowInsecure = allowInsecureRegistry
        access.environment = environment
        return access
    }

    /// The shared policy file: `--policy`, else `MODELPIN_POLICY` (the flag wins, as everywhere).
    public var sharedPolicyPath: String? { policyFile ?? environment["MODELPIN_POLICY"].nonEmpty }

    /// The gpg executable gpgme drives (`MODELPIN_GPG`); nil: gpgme's own choice.
    public var gpgPath: String? { environment["MODELPIN_GPG"].nonEmpty }

    /// The Hub token (`--token`, `HF_TOKEN`, `HUGGING_FACE_HUB_TOKEN`, else the one `hf auth
    /// login` saved: `HubToken.find`), if the endpoint is one the environment trusts with it
    /// (`TokenHosts`): an endpoint named only by modelpin.toml, which a pull request can edit,
    /// gets none, wherever the token came from.
    private func token(for endpoint: HubEndpoint, warn: (String) -> Void) throws -> String? {
        if tokenFlag != nil {
            // hf accepts --token silently; a token in argv is readable by every local user
            // (`ps`, /proc/PID/cmdline) for as long as the pull runs, so say so.
            warn("--token puts the token on the command line, where other users of this machine can read it (ps, /proc); prefer HF_TOKEN or `hf auth login`")
        }
        guard let token = try HubToken.find(flag: tokenFlag, environment: environment) else { return nil }
        let configured = [endpointFlag, environment["MODELPIN_ENDPOINT"].nonEmpty, environment["HF_ENDPOINT"].nonEmpty]
        let trusted = try TokenHosts(endpoints: configured.compactMap { $0 }, listed: environment[TokenHosts.variable])
        guard trusted.trusts(endpoint) else {
            warn("\(token.origin) is not sent to `\(endpoint)`: only modelpin.toml names it, and a file in the repository does not decide where the token goes; "
                + "if you trust it, pass --endpoint \(endpoint), or add its host to \(TokenHosts.variable)")
            return nil
        }
        return token.value
    }
}

extension Optional where Wrapped == String {
    /// nil for an absent or empty environment variable.
    public var nonEmpty: String? {
        guard let value = self, !value.isEmpty else { return nil }
        return value
    }
}

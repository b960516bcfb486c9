import PinDigest
public import PinModel
public import SystemPackage

/// Where the Hub token came from. Messages name the origin, never the token.
public enum TokenOrigin: Sendable, Equatable, CustomStringConvertible {
    /// `--token` (hf's flag).
    case flag
    /// `HF_TOKEN`, or the older `HUGGING_FACE_HUB_TOKEN`.
    case environment(String)
    /// The file `hf auth login` saved.
    case file(FilePath)

    public var description: String {
        switch self {
        case .flag: "--token"
        case .environment(let name): name
        case .file(let path): "the token `hf auth login` saved in `\(path)`"
        }
    }
}

/// A token and where it came from.
public struct HubToken: Sendable, Equatable {
    public let value: String
    public let origin: TokenOrigin

    /// A saved token is a few dozen bytes; anything past this is not one.
    static let fileLimit = 4096

    /// The token the hf CLI would use, in its order: `--token`, else `HF_TOKEN`, else
    /// `HUGGING_FACE_HUB_TOKEN`, else the file `hf auth login` saved (`savedPath`). Each is
    /// cleaned as huggingface_hub cleans it (line breaks removed, whitespace trimmed; empty
    /// means none). nil: no token anywhere.
    public static func find(flag: String?, environment: [String: String]) throws(TokenError) -> HubToken? {
        var candidates: [(String?, TokenOrigin)] = [(flag, .flag)]
        for name in ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"] { candidates.append((environment[name], .environment(name))) }
        for (text, origin) in candidates {
            if let token = try text.flatMap({ text throws(TokenError) in try cleaned(text, origin: origin) }) {
                return HubToken(value: token, origin: origin)
            }
        }
        guard let path = savedPath(environment: environment) else { return nil }
        return try read(path)
    }

    /// Where `hf auth login` saves the token, as huggingface_hub's `constants.py` computes it:
    /// `HF_TOKEN_PATH`, else `$HF_HOME/token`, else `$XDG_CACHE_HOME/huggingface/token`, else
    /// `~/.cache/huggingface/token`. nil when none of them can be formed (no HOME).
    public static func savedPath(environment: [String: String]) -> FilePath? {
        let home = environment["HOME"].nonEmpty
        func expanded(_ text: String) -> FilePath? {
            // huggingface_hub applies expanduser; a shell has usually expanded `~` already.
            if text == "~" { return home.map { FilePath($0) } }
            if text.hasPrefix("~/") { return home.map { FilePath($0).appending(String(text.dropFirst(2))) } }
            return FilePath(text)
        }
        if let path = environment["HF_TOKEN_PATH"].nonEmpty { return expanded(path) }
        if let hfHome = environment["HF_HOME"].nonEmpty { return expanded(hfHome)?.appending("token") }
        if let cache = environment["XDG_CACHE_HOME"].nonEmpty { return expanded(cache)?.appending("huggingface/token") }
        return home.map { FilePath($0).appending(".cache/huggingface/token") }
    }

    /// The saved token: a bounded read of a regular file (a FIFO or device there is an error,
    /// never a hang). nil when the file does not exist (not logged in).
    static func read(_ path: FilePath) throws(TokenError) -> HubToken? {
        let bytes: [UInt8]?
        do {
            bytes = try RegularFile.contents(of: path, limit: fileLimit)
        } catch {
            throw .unreadable(path, reason: error.description)
        }
        guard let bytes else { return nil }
        let origin = TokenOrigin.file(path)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalid(origin, reason: "it is not UTF-8 text") }
        return try cleaned(text, origin: origin).map { HubToken(value: $0, origin: origin) }
    }

    /// huggingface_hub's cleaning (line breaks out, whitespace trimmed, empty is none), then a
    /// check that the rest can travel in an `Authorization` header: a control character there
    /// could end the header and start another.
    static func cleaned(_ text: String, origin: TokenOrigin) throws(TokenError) -> String? {
        let token = String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }).trimmingWhitespace
        guard !token.isEmpty else { return nil }
        guard token.unicodeScalars.allSatisfy({ (0x20..<0x7F).contains($0.value) }) else {
            throw .invalid(origin, reason: "it holds a control or non-ASCII character, which an HTTP header cannot carry")
        }
        return token
    }
}

/// A token that cannot be used. The token itself is never part of the message.
public enum TokenError: ModelpinError {
    case unreadable(FilePath, reason: String)
    case invalid(TokenOrigin, reason: String)

    public var kind: FailureKind {
        switch self {
        case .unreadable: .operational
        case .invalid: .usage
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let path, _): "cannot read the token `hf auth login` saved in `\(path)`"
        case .invalid(let origin, _): "\(origin) is not a usable token"
        }
    }

    public var causes: [String] {
        switch self {
        case .unreadable(_, let reason), .invalid(_, let reason): [reason]
        }
    }

    public var hint: String? {
        switch self {
        case .unreadable, .invalid(.file, _):
            "run `hf auth login` again, or remove the file; HF_TOKEN (or HF_TOKEN_PATH) takes precedence over it"
        case .invalid:
            "copy the token again from https://huggingface.co/settings/tokens"
        }
    }
}

extension String {
    /// Leading and trailing whitespace removed.
    fileprivate var trimmingWhitespace: String {
        var view = Substring(self)
        while view.first?.isWhitespace == true { view.removeFirst() }
        while view.last?.isWhitespace == true { view.removeLast() }
        return String(view)
    }
}

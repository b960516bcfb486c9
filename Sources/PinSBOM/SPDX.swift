/// SPDX licence ids and expressions: which of a card's licence texts a BOM may carry as SPDX.
///
/// The expression parser is written by hand: the grammar is a dozen lines (SPDX 2.3 Annex D:
/// `AND`, `OR`, `WITH`, parentheses, a trailing `+`, `LicenseRef-`), the ids must be checked
/// against the very list CycloneDX validates with (`SPDXIdentifiers`, generated), and the one
/// Swift package for it on this machine does not exist; a general parser library would be more
/// code than the grammar.
public enum SPDX {
    /// Longer texts are not licence expressions.
    public static let maximumLength = 1024
    /// Parentheses nested deeper than this are refused.
    public static let maximumDepth = 32

    private static let licencesByLowercase = Dictionary(
        SPDXIdentifiers.licences.map { ($0.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
    private static let exceptionsByLowercase = Dictionary(
        SPDXIdentifiers.exceptions.map { ($0.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })

    /// The SPDX licence list's version the ids come from.
    public static var listVersion: String { SPDXIdentifiers.listVersion }

    /// The SPDX licence id `text` names, as SPDX spells it, matched without regard to case (SPDX
    /// ids are case-insensitive; the Hub writes them in lower case: `apache-2.0` → `Apache-2.0`).
    public static func licenceID(_ text: String) -> String? {
        licencesByLowercase[text.lowercased()]
    }

    /// The SPDX exception id `text` names, as SPDX spells it.
    public static func exceptionID(_ text: String) -> String? {
        exceptionsByLowercase[text.lowercased()]
    }

    /// `text` as a valid SPDX expression in canonical spelling (ids as SPDX spells them,
    /// operators in upper case, single spaces), or nil when it is not one.
    public static func expression(_ text: String) -> SPDXExpression? {
        guard text.utf8.count <= maximumLength else { return nil }
        var parser = ExpressionParser(tokens: tokenize(text))
        guard let tokens = parser.tokens, !tokens.isEmpty, let node = parser.parseOr(depth: 0), parser.atEnd else { return nil }
        return node
    }

    private static func tokenize(_ text: String) -> [String]? {
        var tokens: [String] = []
        var current = ""
        for character in text {
            if character == "(" || character == ")" || character.isWhitespace {
                if !current.isEmpty { tokens.append(current) }
                current = ""
                if !character.isWhitespace { tokens.append(String(character)) }
            } else if character.isASCII, character.isLetter || character.isNumber || "-.+:".contains(character) {
                current.append(character)
            } else {
                return nil
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    private struct ExpressionParser {
        let tokens: [String]?
        var position = 0

        init(tokens: [String]?) {
            self.tokens = tokens
        }

        var atEnd: Bool { position == tokens?.count }

        private var next: String? { tokens.flatMap { position < $0.count ? $0[position] : nil } }

        private mutating func take(_ keyword: String) -> Bool {
            // Operators are upper or lower case as a whole (`AND`, `and`), as SPDX allows.
            guard let next, next == keyword || next == keyword.lowercased() else { return false }
            position += 1
            return true
        }

        mutating func parseOr(depth: Int) -> SPDXExpression? {
            parseChain("OR", combine: SPDXExpression.or) { $0.parseAnd(depth: depth) }
        }

        mutating func parseAnd(depth: Int) -> SPDXExpression? {
            parseChain("AND", combine: SPDXExpression.and) { $0.parseWith(depth: depth) }
        }

        /// `operand (KEYWORD operand)*`, left-associative.
        private mutating func parseChain(
            _ keyword: String, combine: (SPDXExpression, SPDXExpression) -> SPDXExpression, operand: (inout Self) -> SPDXExpression?
        ) -> SPDXExpression? {
            guard var left = operand(&self) else { return nil }
            while take(keyword) {
                guard let right = operand(&self) else { return nil }
                left = combine(left, right)
            }
            return left
        }

        mutating func parseWith(depth: Int) -> SPDXExpression? {
            guard let licence = parsePrimary(depth: depth) else { return nil }
            guard take("WITH") else { return licence }
            guard case .licence = licence, let text = next, let exception = SPDX.exceptionID(text) else { return nil }
            position += 1
            return .with(licence, exception: exception)
        }

        mutating func parsePrimary(depth: Int) -> SPDXExpression? {
            guard let token = next, depth <= SPDX.maximumDepth else { return nil }
            position += 1
            if token == "(" {
                guard let inner = parseOr(depth: depth + 1), next == ")" else { return nil }
                position += 1
                return .group(inner)
            }
            var id = token
            let orLater = id.hasSuffix("+")
            if orLater { id.removeLast() }
            if let reference = Self.licenseRef(id) { return orLater ? nil : .licence(reference, orLater: false) }
            guard let canonical = SPDX.licenceID(id) else { return nil }
            return .licence(canonical, orLater: orLater)
        }

        /// `LicenseRef-x` or `DocumentRef-y:LicenseRef-x` (idstring: letters, digits, `.`, `-`).
        static func licenseRef(_ token: String) -> String? {
            let parts = token.split(separator: ":", omittingEmptySubsequences: false)
            func valid(_ part: Substring, prefix: String) -> Bool {
                part.lowercased().hasPrefix(prefix.lowercased()) && part.count > prefix.count
                    && part.dropFirst(prefix.count).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
            }
            switch parts.count {
            case 1 where valid(parts[0], prefix: "LicenseRef-"): return "LicenseRef-" + parts[0].dropFirst(11)
            case 2 where valid(parts[0], prefix: "DocumentRef-") && valid(parts[1], prefix: "LicenseRef-"):
                return "DocumentRef-" + parts[0].dropFirst(12) + ":LicenseRef-" + parts[1].dropFirst(11)
            default: return nil
            }
        }
    }
}

/// A parsed SPDX licence expression.
public indirect enum SPDXExpression: Sendable, Equatable, CustomStringConvertible {
    case licence(String, orLater: Bool)
    case with(SPDXExpression, exception: String)
    case and(SPDXExpression, SPDXExpression)
    case or(SPDXExpression, SPDXExpression)
    case group(SPDXExpression)

    /// Canonical text: SPDX's spelling of each id, upper-case operators, single spaces.
    public var description: String {
        switch self {
        case .licence(let id, let orLater): id + (orLater ? "+" : "")
        case .with(let licence, let exception): "\(licence) WITH \(exception)"
        case .and(let left, let right): "\(left) AND \(right)"
        case .or(let left, let right): "\(left) OR \(right)"
        case .group(let inner): "(\(inner))"
        }
    }

    /// The SPDX licence id, when the expression is exactly one listed id (no `+`, no `WITH`):
    /// what CycloneDX's `license.id` may hold.
    public var singleID: String? {
        switch self {
        case .licence(let id, orLater: false) where !id.hasPrefix("LicenseRef-") && !id.hasPrefix("DocumentRef-"): id
        case .group(let inner): inner.singleID
        default: nil
        }
    }
}

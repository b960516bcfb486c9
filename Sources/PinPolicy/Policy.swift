public import PinModel

// The admission policy: rules an organisation or a project writes about which models may be
// admitted, in `[policy]` (modelpin.toml, or a shared file named by `--policy` or
// `MODELPIN_POLICY`). Values only; `PolicyFormat` reads and writes them, `evaluate` applies them.

/// Every rule set in force. The shared file (`--policy`, else `MODELPIN_POLICY`) and the
/// project's `[policy]` do not merge into one list: each is evaluated on its own and the worse
/// decision wins, so a project can add rules (and waive its own) but never loosen the
/// organisation's — an `allow` or a waiver in one set says nothing about the other.
public struct Policy: Sendable, Equatable {
    public var ruleSets: [RuleSet]

    public init(ruleSets: [RuleSet]) {
        self.ruleSets = ruleSets
    }

    public var isEmpty: Bool { ruleSets.allSatisfy { $0.rules.isEmpty } }
}

/// One `[policy]` table and where it was read.
public struct RuleSet: Sendable, Equatable {
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        /// Blocks block.
        case enforce
        /// Every block becomes a log: a way to roll a policy out and see what it would stop.
        case dryRun = "dry-run"
    }

    /// The file it was read from, as given (for messages).
    public var file: String
    public var mode: Mode
    /// In file order: an `allow` ends the evaluation of this set, so order matters.
    public var rules: [Rule]
    public var waivers: [Waiver]

    public init(file: String, mode: Mode = .enforce, rules: [Rule] = [], waivers: [Waiver] = []) {
        self.file = file
        self.mode = mode
        self.rules = rules
        self.waivers = waivers
    }
}

/// What a matching rule does.
public enum PolicyAction: String, Sendable, Equatable, CaseIterable, Comparable {
    /// Admit, and evaluate no further rule of this set.
    case allow
    /// Admit, with a warning (stderr, `--json`, the event stream, the lock).
    case log
    /// Refuse.
    case block

    private var rank: Int {
        switch self {
        case .allow: 0
        case .log: 1
        case .block: 2
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// `[[policy.rule]]`: a name, an action and conditions, all of which must hold for it to match
/// (a rule with no condition matches every model: a default at the end of a set).
public struct Rule: Sendable, Equatable {
    public var name: String
    public var action: PolicyAction
    public var conditions: [Condition]

    public init(name: String, action: PolicyAction, conditions: [Condition]) {
        self.name = name
        self.action = action
        self.conditions = conditions
    }
}

/// One condition of a rule. Each is one TOML key (`PolicyFormat`).
public enum Condition: Sendable, Equatable {
    /// `repos`: the repo id (`owner/name`, `datasets/owner/name`) matches one of these globs.
    case repos([String])
    /// `owners`: the owner matches one of these globs.
    case owners([String])
    /// `license-in`: every licence the model declares is one of these (a model declaring none
    /// never matches: see `licenseUnknown`).
    case licenseIn([String])
    /// `license-not-in`: some licence the model declares is none of these (none declared:
    /// no match, see `licenseUnknown`).
    case licenseNotIn([String])
    /// `license-unknown`: the model declares no licence (true), or declares one (false).
    case licenseUnknown(Bool)
    /// `formats`: some file is in one of these formats, as the scanner recognised it.
    case formats([String])
    /// `verdicts`: some file has one of these scan verdicts.
    case verdicts([Verdict])
    /// `remote-code`: the model carries its own code (`auto_map` or `*.py`) — or not (false).
    case remoteCode(Bool)
    /// `signed`: a pinned signer vouched for every file (true), or no one did (false).
    case signed(Bool)
    /// `signer-not-in`: the model is not vouched for by one of these keys (unsigned included).
    case signerNotIn([Fingerprint])
    /// `size-above`: the files add up to more than this many bytes.
    case sizeAbove(Int64)
    /// `files-above`: more than this many files.
    case filesAbove(Int)
    /// `younger-than-days`: the commit is younger than this many days (a cooldown), or its date
    /// is unknown (fail closed: a date that cannot be shown old enough is not old enough).
    case youngerThanDays(Int)
}

/// `[[policy.waiver]]`: an exception to one rule of the same set, for some repos or owners,
/// with a reason and an end. An expired waiver is an error, never a silent allow.
public struct Waiver: Sendable, Equatable {
    public var rule: String
    public var repos: [String]
    public var owners: [String]
    public var reason: String
    public var expires: PolicyDay

    public init(rule: String, repos: [String] = [], owners: [String] = [], reason: String, expires: PolicyDay) {
        self.rule = rule
        self.repos = repos
        self.owners = owners
        self.reason = reason
        self.expires = expires
    }
}

/// A calendar day (UTC), as a TOML local date writes it: `2027-03-31`.
public struct PolicyDay: Sendable, Equatable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// nil when no such day exists (`2027-02-30`).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), CivilCalendar.isValid(year: Int64(year), month: Int64(month), day: Int64(day)) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The UTC day `secondsSinceEpoch` falls on.
    public init(secondsSinceEpoch seconds: Int64) {
        let (y, m, d) = CivilCalendar.civil(days: CivilCalendar.day(ofSeconds: seconds))
        self.year = Int(y)
        self.month = Int(m)
        self.day = Int(d)
    }

    /// Days since 1970-01-01 (`CivilCalendar`).
    public var daysSinceEpoch: Int { Int(CivilCalendar.days(year: Int64(year), month: Int64(month), day: Int64(day))) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    public var description: String {
        func pad(_ n: Int, _ width: Int) -> String { String(repeating: "0", count: max(0, width - String(n).count)) + String(n) }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}

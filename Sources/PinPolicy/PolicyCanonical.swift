import PinLock
import PinModel

extension Policy {
    /// The policy in canonical form: what the lock's `policy-digest` is the SHA-256 of. The
    /// same rules give the same text whatever the TOML looked like (comments, key order,
    /// quoting, inline or not, a list's order), and any change to a mode, a rule (its order
    /// too: an `allow` ends its set) or a waiver changes it. Where a set was read from is not
    /// part of it. Empty when no set has a rule.
    public var canonicalText: String {
        guard !isEmpty else { return "" }
        var text = "modelpin-policy/1\n"
        for (index, set) in ruleSets.enumerated() {
            text += "\n[set \(index + 1)]\nmode = \(TOMLText.basicString(set.mode.rawValue))\n"
            for rule in set.rules {
                text += "\n[rule]\nname = \(TOMLText.basicString(rule.name))\naction = \(TOMLText.basicString(rule.action.rawValue))\n"
                for condition in rule.conditions.sorted(by: { $0.key < $1.key }) {
                    text += "\(condition.key) = \(condition.canonicalValue)\n"
                }
            }
            let waivers = set.waivers.map { waiver in
                "\n[waiver]\nrule = \(TOMLText.basicString(waiver.rule))\nrepos = \(TOMLText.stringArray(waiver.repos.sorted()))\n"
                    + "owners = \(TOMLText.stringArray(waiver.owners.sorted()))\nreason = \(TOMLText.basicString(waiver.reason))\nexpires = \(waiver.expires)\n"
            }
            text += waivers.sorted().joined()
        }
        return text
    }
}

extension Condition {
    /// Its key in `[[policy.rule]]`.
    var key: String {
        switch self {
        case .repos: "repos"
        case .owners: "owners"
        case .licenseIn: "license-in"
        case .licenseNotIn: "license-not-in"
        case .licenseUnknown: "license-unknown"
        case .formats: "formats"
        case .verdicts: "verdicts"
        case .remoteCode: "remote-code"
        case .signed: "signed"
        case .signerNotIn: "signer-not-in"
        case .sizeAbove: "size-above"
        case .filesAbove: "files-above"
        case .youngerThanDays: "younger-than-days"
        }
    }

    /// Lists sorted and deduplicated (their order means nothing); licences lowercased, as they
    /// are compared.
    var canonicalValue: String {
        func list(_ items: [String]) -> String { TOMLText.stringArray(Array(Set(items)).sorted()) }
        switch self {
        case .repos(let globs), .owners(let globs), .formats(let globs): return list(globs)
        case .licenseIn(let ids), .licenseNotIn(let ids): return list(ids.map { $0.lowercased() })
        case .verdicts(let verdicts): return list(verdicts.map(\.rawValue))
        case .signerNotIn(let keys): return list(keys.map(\.hex))
        case .licenseUnknown(let flag), .remoteCode(let flag), .signed(let flag): return String(flag)
        case .sizeAbove(let n): return String(n)
        case .filesAbove(let n), .youngerThanDays(let n): return String(n)
        }
    }
}

import Foundation
import PinDigest
public import PinLock
import PinModel
public import PinPolicy
import PinScan
public import PinStore

// What the policy gate looks at, from what the store verified: formats and verdicts from the
// store's verdict records (written by the scanner under its id), the licence from the card the
// store holds, remote code from the files themselves. Never from the lock's own verdicts: a
// lock is edited in pull requests. (When sbom's `ModelFacts` lands, this is where it maps to a
// `PolicySubject`.)

/// A policy subject and which of its facts came from the lock instead of the store (for
/// `policy check`, which says so).
public struct GatheredSubject: Sendable {
    public let subject: PolicySubject
    /// Paths whose format and verdict the store has no record of under today's scanner: taken
    /// from the lock (verdict only; the format unknown).
    public let fromLock: [String]
}

extension PolicySubject {
    /// The facts of `model`, whose blobs should be in `store`. `commitDate`: the date the Hub
    /// stated when it resolved the commit just now; nil when nothing was resolved (a pull from a
    /// lock), and then `youngerThanDays` is not applied (see lockfiles/README.md, Policy).
    public static func gather(_ model: LockedModel, store: Store?, commitDate: Int64?, resolvedNow: Bool) -> GatheredSubject {
        var fromLock: [String] = []
        let files = model.files.map { file -> File in
            if let stored = store?.storedVerdict(for: file.sha256, scanner: ScannerIdentity.description),
               let verdict = Verdict(rawValue: stored.verdict) {
                return File(path: file.path, size: file.size, format: stored.format, verdict: verdict)
            }
            fromLock.append(file.path)
            return File(path: file.path, size: file.size, format: nil, verdict: file.verdict)
        }
        var subject = PolicySubject(
            repo: model.repo, licenses: cardLicenses(model, store: store), files: files,
            remoteCode: files.contains { $0.path.hasSuffix(".py") || $0.format == "python" || ($0.verdict == .suspicious && $0.path.hasSuffix(".json")) },
            signedBy: model.signedBy, commitDate: commitDate)
        subject.commitPinned = !resolvedNow
        return GatheredSubject(subject: subject, fromLock: fromLock)
    }

    /// `license` of the model card's YAML front matter (README.md at the top of the repo), as
    /// stored: a scalar or a list. Empty when there is no card, no front matter or no key.
    static func cardLicenses(_ model: LockedModel, store: Store?) -> [String] {
        guard let store, let card = model.files.first(where: { $0.path.lowercased() == "readme.md" }),
              let path = try? store.path(of: card.sha256),
              let bytes = try? RegularFile.contents(of: path, limit: 1 << 20)
        else { return [] }
        return FrontMatter.licenses(String(decoding: bytes, as: UTF8.self))
    }
}

/// The one key the policy needs from a model card's front matter. Hand-written and narrow on
/// purpose: `license:` is a scalar or a block list of scalars in every card the Hub writes, and
/// a full YAML parser (Yams) for one key would add a C library to every build; anything this
/// reader does not understand reads as no licence, which the policy treats as unknown.
enum FrontMatter {
    static func licenses(_ text: String) -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        guard lines.first?.trimmingCharacters(in: .whitespaces) == "---" else { return [] }
        var found: [String] = []
        var inList = false
        for line in lines.dropFirst() {
            if line.trimmingCharacters(in: .whitespaces) == "---" { break }
            if inList {
                let item = line.trimmingCharacters(in: .whitespaces)
                if item.hasPrefix("- ") {
                    found.append(scalar(item.dropFirst(2)))
                    continue
                }
                inList = false
            }
            guard line.hasPrefix("license:") else { continue }
            let value = line.dropFirst("license:".count).trimmingCharacters(in: .whitespaces)
            if value.isEmpty {
                inList = true
            } else if value.hasPrefix("[") && value.hasSuffix("]") {
                found += value.dropFirst().dropLast().split(separator: ",").map { scalar($0) }
            } else {
                found.append(scalar(Substring(value)))
            }
        }
        return found.filter { !$0.isEmpty }
    }

    private static func scalar(_ text: Substring) -> String {
        var value = text.trimmingCharacters(in: .whitespaces)
        if let hash = value.range(of: " #") { value = String(value[..<hash.lowerBound]).trimmingCharacters(in: .whitespaces) }
        if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
            value = String(value.dropFirst().dropLast())
        }
        return value
    }
}

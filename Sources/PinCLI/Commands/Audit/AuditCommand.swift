import ArgumentParser
import PinAudit
import PinModel
import PinWorkspace

/// `modelpin audit show|verify|prove|consistency|key`: the store's tamper-evident audit log.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read and check the store's tamper-evident audit log.",
        discussion: """
            Every pull, lock, import, export, verify and refusal is one canonical JSON entry in \
            <store>/audit/entries.jsonl, a leaf of an RFC 6962 Merkle tree. After each append the \
            log signs a checkpoint (C2SP tlog-checkpoint, Ed25519). Save a checkpoint elsewhere \
            and `audit consistency FILE` later proves the log only grew since. The signing key is \
            <store>/audit/key.pem, made on first use, or the file MODELPIN_AUDIT_KEY names.
            """,
        subcommands: [AuditShowCommand.self, AuditVerifyCommand.self, AuditProveCommand.self, AuditConsistencyCommand.self, AuditKeyCommand.self])
}

/// Warnings every audit command gives for torn tails found when the log was opened.
private func reportTorn(_ messages: [String], _ console: Console) {
    for message in messages { console.warn(message) }
}

/// `modelpin audit show [--since TIME]`
struct AuditShowCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "List the log's entries, oldest first.")

    @Option(help: ArgumentHelp("Only entries from this time on: 2026-12-02T16:40:05Z, 2026-12-02, or a duration ago (90m, 24h, 7d).", valueName: "time"))
    var since: String?

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let since = try since.map { try AuditSince(parsing: $0) }
        let result = try store.workspace(command: "audit show", console: console).auditShow(since: since)
        reportTorn(result.tornTails, console)
        if console.json {
            console.out(try Format.json(result))
            return .success
        }
        for item in result.entries { console.out(Self.line(item)) }
        console.note(Format.plural(result.entries.count, "entry", "entries"))
        return .success
    }

    /// `#N TIME user command kind outcome repo@commit: reasons`.
    static func line(_ item: AuditShowResult.Entry) -> String {
        guard item.schemaProblem == nil, let entry = try? AuditEntry(json: item.entry) else {
            return "#\(item.index) \(String(decoding: item.entry.canonicalBytes, as: UTF8.self))"
        }
        var line = "#\(item.index) \(entry.time) \(entry.user) \(entry.command) \(entry.kind) \(entry.outcome)"
        if let repo = entry.repo { line += " \(repo)" + (entry.commit.map { "@\($0.prefix(12))" } ?? "") }
        if !entry.reasons.isEmpty { line += ": " + entry.reasons.joined(separator: "; ") }
        return line
    }
}

/// `modelpin audit verify [--checkpoint FILE]`
struct AuditVerifyCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the log's tree and check it against its checkpoint; exit 1 naming the first bad entry.")

    @Option(help: ArgumentHelp("A checkpoint saved elsewhere, instead of the latest one in the store.", valueName: "file"))
    var checkpoint: String?

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let result = try store.workspace(command: "audit verify", console: console).auditVerify(checkpointFile: checkpoint)
        for file in result.tornFiles {
            console.warn("\(file) holds a torn audit entry (a write cut short by a crash); it is not part of the log")
        }
        if console.json {
            console.out(try Format.json(result))
        } else {
            console.out("ok: \(Format.plural(result.entries, "entry", "entries")) verified; the checkpoint (\(result.checkpointSize) entries, root \(result.rootHash)) matches")
            if result.entries > result.checkpointSize {
                console.note("\(result.entries - result.checkpointSize) newer entries are not covered by \(result.checkpointFile)")
            }
        }
        return .success
    }
}

/// `modelpin audit prove N`
struct AuditProveCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "Print entry N's inclusion proof (C2SP tlog-proof) against the latest checkpoint.")

    @Argument(help: ArgumentHelp("The entry's index (0 is the first; `audit show` lists them).", valueName: "n"))
    var index: Int

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let proof = try store.workspace(command: "audit prove", console: console).auditProve(index: index)
        console.out(console.json ? try Format.json(proof) : String(proof.proof.dropLast()))
        return .success
    }
}

/// `modelpin audit consistency OLD_CHECKPOINT`
struct AuditConsistencyCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "consistency",
        abstract: "Prove the log is an append-only extension of an older checkpoint; exit 1 if history was rewritten.")

    @Argument(help: ArgumentHelp("A checkpoint saved earlier (a copy of <store>/audit/checkpoint).", valueName: "old-checkpoint"))
    var oldCheckpoint: String

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let result = try store.workspace(command: "audit consistency", console: console).auditConsistency(oldCheckpointFile: oldCheckpoint)
        if console.json {
            console.out(try Format.json(result))
        } else {
            console.out("ok: the log (\(result.newSize) entries) extends the checkpoint of \(result.oldSize) entries; nothing before it changed")
        }
        return .success
    }
}

/// `modelpin audit key`
struct AuditKeyCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Print the log's verifier key (name+id+key, as Go's sumdb/note reads it).")

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let key = try store.workspace(command: "audit key", console: console).auditKey()
        console.out(console.json ? try Format.json(["key": key]) : key)
        return .success
    }
}

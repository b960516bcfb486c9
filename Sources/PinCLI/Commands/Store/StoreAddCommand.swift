import ArgumentParser
import PinModel
import PinStore
import SystemPackage

/// `modelpin store add FILE... [--expect DIGEST]`
struct StoreAddCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Copy files into the store, hashing them on the way in.",
        discussion: """
            Prints `sha256:<hex>  FILE` per file stored. With --expect, the file is stored only \
            if its SHA-256 matches, and a blob already present is not copied again. `-` reads \
            standard input.
            """)

    @Argument(help: ArgumentHelp("Files to add (`-` for standard input).", valueName: "file"))
    var files: [String]

    @Option(help: ArgumentHelp("Refuse the file unless its SHA-256 is this (`sha256:<hex>`); needs exactly one file.", valueName: "digest"))
    var expect: String?

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    struct Entry: Encodable {
        let path: String
        let digest: SHA256Digest
        let size: Int64
        let outcome: IngestResult.Outcome
    }

    func execute(_ console: Console) throws -> ExitStatus {
        let expected = try expect.map { try Parse.digest($0, for: "--expect") }
        if expected != nil, files.count != 1 {
            throw UsageError(message: "--expect applies to exactly one file, \(files.count) given", hint: "add the files one at a time")
        }
        if files.filter({ $0 == "-" }).count > 1 {
            throw UsageError(message: "standard input (`-`) can be added only once", hint: nil)
        }
        let store = try store.open(.readWrite)
        let expectation = BlobExpectation(digest: expected)

        var entries: [Entry] = []
        var status = ExitStatus.success
        for file in files {
            do {
                let result = file == "-"
                    ? try store.ingest(reading: .standardInput, source: "-", expecting: expectation)
                    : try store.ingest(file: FilePath(file), expecting: expectation)
                entries.append(Entry(path: file, digest: result.digest, size: result.size, outcome: result.outcome))
                if !console.json { console.out("\(result.digest)  \(file)") }
            } catch {
                console.report(error)
                status = max(status, ExitStatus(for: error))
            }
        }
        if console.json {
            console.out(try Format.json(entries))
        } else if !entries.isEmpty {
            let added = entries.filter { $0.outcome == .added }
            let replaced = entries.filter { $0.outcome == .replaced }.count
            let present = entries.filter { $0.outcome == .present }.count
            let bytes = added.reduce(Int64(0)) { $0 + $1.size }
            var parts: [String] = []
            if !added.isEmpty { parts.append("added \(Format.plural(added.count, "blob")) (\(Format.bytes(bytes)))") }
            if replaced > 0 { parts.append("replaced \(Format.plural(replaced, "damaged blob")) with verified bytes") }
            if present > 0 { parts.append("\(present) already present") }
            console.note(parts.joined(separator: ", ") + " in \(store.root)")
        }
        return status
    }
}

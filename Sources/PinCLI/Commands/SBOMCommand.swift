import ArgumentParser
import Foundation
import PinModel
import PinSBOM
import PinWorkspace
import SystemPackage

/// `modelpin sbom [-o FILE] [--spec-version 1.6|1.7] [--timestamp] [ALIAS|ORG/NAME@REV...]`
struct SBOMCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "sbom",
        abstract: "Write a CycloneDX ML-BOM of the lock's models (or of snapshots in the store).",
        discussion: """
            One machine-learning-model component per model (purl pkg:huggingface/ORG/NAME@COMMIT), \
            with a file component and SHA-256 for every file, the licences the card names when \
            they are SPDX (a named non-SPDX licence as license.name, a placeholder such as \
            `other` never), a modelCard from config.json and the card, each chat template with \
            its hash, the scan verdicts, the signatures, and in formulation how it was obtained \
            (endpoint, commit, signers, scanner, the policy's decision).

            Written from the store alone: nothing is resolved or fetched (pull first). The same \
            lock gives the same bytes: no timestamp unless --timestamp, and a serial number \
            derived from the lock.

            Names: ALIAS (a model of the project's lock) or ORG/NAME@REV (as `modelpin store \
            snapshots` lists them, with `@` or `:`). No name: every model of the lock.
            """)

    @Argument(help: ArgumentHelp("Aliases or ORG/NAME@REV (default: every model of the project's lock).", valueName: "name"))
    var names: [String] = []

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Write the BOM to this file (default: stdout).", valueName: "file"))
    var outputFile: String?

    @Option(help: ArgumentHelp("The CycloneDX version: 1.6 or 1.7.", valueName: "version"))
    var specVersion: String = BOMInput.SpecVersion.v1_6.rawValue

    @Flag(help: "Record the time of writing in metadata.timestamp (the output then differs on every run).")
    var timestamp = false

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("The manifest (default: the nearest modelpin.toml here or above).", valueName: "path"))
    var manifest: String?

    /// With -o: what was written, as JSON (the BOM itself is JSON on stdout without -o).
    @OptionGroup var output: OutputOptions

    struct Written: Encodable {
        let file: String
        let specVersion: String
        let serialNumber: String
        let models: Int
    }

    func execute(_ console: Console) throws -> ExitStatus {
        guard let version = BOMInput.SpecVersion(rawValue: specVersion) else {
            throw UsageError(message: "--spec-version `\(specVersion.escapedForDisplay)` is not one modelpin writes", hint: "pass --spec-version 1.6 or 1.7")
        }
        let cwd = ProcessEnvironment.currentDirectory
        var request = SBOMRequest(toolVersion: Modelpin.version)
        request.names = names
        request.specVersion = version
        if timestamp { request.timestamp = Self.now() }
        if names.isEmpty || names.contains(where: { !$0.contains("/") }) {
            request.project = try Project.load(Project.locate(explicit: manifest.map { FilePath($0) }, from: cwd))
        }
        let result = try store.workspace(command: "sbom", console: console).sbom(request)
        guard let outputFile else {
            console.out(String(decoding: result.bytes.dropLast(), as: UTF8.self))
            return .success
        }
        let path = cwd.pushing(FilePath(outputFile)).lexicallyNormalized()
        do {
            try Data(result.bytes).write(to: URL(fileURLWithPath: path.string), options: .atomic)
        } catch {
            throw UsageError(message: "cannot write `\(path)`: \(error.localizedDescription)", hint: "pass -o with a path in a writable directory")
        }
        if console.json {
            console.out(try Format.json(Written(file: path.string, specVersion: version.rawValue, serialNumber: result.serialNumber, models: result.models)))
            return .success
        }
        console.note("wrote a CycloneDX \(version.rawValue) BOM of \(result.models == 1 ? "1 model" : "\(result.models) models") to \(path) (\(result.serialNumber))")
        return .success
    }

    /// Now, in UTC, to the second: `2026-12-02T17:00:00Z`.
    static func now() -> String {
        var format = Date.ISO8601FormatStyle()
        format.timeZone = TimeZone(identifier: "UTC")!
        return Date().formatted(format)
    }
}

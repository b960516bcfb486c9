import ArgumentParser
import PinLock
import PinModel
import PinWorkspace
import SystemPackage

/// `modelpin list` / `modelpin tree`
struct ListCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show what modelpin.lock pins: each model's repo, commit, size and directory.",
        aliases: ["tree"])

    @Flag(help: "Also list every file with its size and SHA-256 (`modelpin tree` shows the same).")
    var files = false

    @OptionGroup var project: ProjectOptions
    @OptionGroup var output: OutputOptions

    struct Entry: Encodable {
        let alias: String
        let repo: String
        let requested: String
        let commit: String
        let endpoint: String
        let directory: String
        let bytes: Int64
        let files: [File]
        struct File: Encodable {
            let path: String
            let size: Int64
            let sha256: String
            let lfs: Bool
        }
    }

    func execute(_ console: Console) throws -> ExitStatus {
        let project = try self.project.load()
        guard let lock = try project.loadLock() else { throw ProjectError.lockMissing(project.lockPath) }
        let showFiles = files || CommandLine.arguments.dropFirst().first == "tree"
        let entries = lock.models.map { model in
            Entry(
                alias: model.alias.rawValue, repo: model.repo, requested: "\(model.requestedRepo)@\(model.requestedRevision)",
                commit: model.commit.hex, endpoint: model.endpoint,
                directory: project.manifest.model(model.alias).map { project.destination(of: $0).string } ?? "(not in \(Manifest.fileName))",
                bytes: model.totalSize,
                files: model.files.map { .init(path: $0.path, size: $0.size, sha256: $0.sha256.description, lfs: $0.lfs) })
        }
        if console.json {
            console.out(try Format.json(entries))
            return .success
        }
        let rows = Self.columns(entries.map { entry in
            [entry.alias, "\(entry.repo)@\(entry.commit.prefix(12))", Format.plural(entry.files.count, "file") + ",",
             Format.bytes(entry.bytes), "→ \(entry.directory)"]
        }, rightAligned: [3])
        for (entry, row) in zip(entries, rows) {
            console.out(row)
            guard showFiles else { continue }
            for (index, file) in entry.files.enumerated() {
                let branch = index == entry.files.count - 1 ? "└── " : "├── "
                console.out("  \(branch)\(file.path)  \(Format.bytes(file.size))  \(file.sha256)\(file.lfs ? "" : "  (git)")")
            }
        }
        let drift = lock.drift(from: project.manifest)
        if !drift.isEmpty {
            console.warn("\(Lockfile.fileName) does not answer \(Manifest.fileName) (run `modelpin lock`): " + drift.map(\.description).joined(separator: "; "))
        }
        return .success
    }

    /// `rows` as lines of columns two spaces apart, each as wide as its widest cell (counted
    /// in characters, as a terminal shows them); cells of the `rightAligned` columns are
    /// padded on the left, so that sizes line up on their units. The last column is never
    /// padded on the right.
    static func columns(_ rows: [[String]], rightAligned: Set<Int> = []) -> [String] {
        let count = rows.map(\.count).max() ?? 0
        let widths = (0..<count).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                if rightAligned.contains(column) { return padding + cell }
                return column == row.count - 1 ? cell : cell + padding
            }.joined(separator: "  ")
        }
    }
}

import ArgumentParser
import PinDigest
import PinModel
import SystemPackage

/// `modelpin hash FILE...`: the SHA-256 of files, as modelpin names blobs.
struct HashCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Print the SHA-256 digest of files.",
        discussion: """
            Prints `sha256:<hex>  FILE` per file, in the order given; `-` reads standard input. \
            Several files are hashed in parallel, one per CPU core. A file that cannot be read \
            is reported and the others are still hashed; the exit status is then 2.
            """)

    @Argument(help: ArgumentHelp("Files to hash (`-` for standard input).", valueName: "file"))
    var files: [String]

    @OptionGroup var concurrency: ConcurrencyOptions
    @OptionGroup var output: OutputOptions

    struct Entry: Encodable {
        let path: String
        let digest: SHA256Digest
        let size: Int64
    }

    func execute(_ console: Console) throws -> ExitStatus {
        if files.filter({ $0 == "-" }).count > 1 {
            throw UsageError(message: "standard input (`-`) can be hashed only once", hint: nil)
        }
        let paths = files.map { FilePath($0) }
        let fromFiles = FileHasher.sha256(files: paths.filter { $0 != "-" }, concurrency: concurrency.width, streams: true)
        var fileResults = fromFiles.makeIterator()

        var entries: [Entry] = []
        var status = ExitStatus.success
        for path in paths {
            let result: Result<FileDigest, FileReadError>
            if path == "-" {
                result = Result { () throws(FileReadError) in
                    let (digest, size) = try FileHasher.sha256(reading: .standardInput, path: "-")
                    return FileDigest(path: "-", digest: digest, size: size)
                }
            } else {
                result = fileResults.next()!
            }
            switch result {
            case .success(let file):
                entries.append(Entry(path: file.path.string, digest: file.digest, size: file.size))
                if !console.json { console.out("\(file.digest)  \(file.path)") }
            case .failure(let error):
                console.report(error)
                status = max(status, ExitStatus(for: error))
            }
        }
        if console.json { console.out(try Format.json(entries)) }
        return status
    }
}

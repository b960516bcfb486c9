import PinModel
import Foundation
import PinTestSupport
import SystemPackage
import Testing
@testable import PinScan

/// The scanner against Tests/ScanCorpus/generate.py: one file per published bypass
/// (reference/scanning.md §2), per dangerous callable family, per container, per malformed
/// input, and benign checkpoints that a good scanner must not flag. The generator says what each
/// file is and which verdict it must get; a missed bypass or a false alarm fails here by name.
@Suite("scan corpus")
struct CorpusTests {
    struct Entry: Decodable, Sendable {
        var file: String
        var verdict: String
        var technique: String
        var source: String
    }

    /// The corpus, generated once per test process into a temporary directory.
    static let corpus: (directory: URL, entries: [Entry]) = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("modelpin-corpus-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", root.appendingPathComponent("Tests/ScanCorpus/generate.py").path, directory.path]
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch { fatalError("cannot run python3 (scripts/setup installs it): \(error)") }
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let data = FileManager.default.contents(atPath: directory.appendingPathComponent("expected.json").path),
            let entries = try? JSONDecoder().decode([Entry].self, from: data)
        else { fatalError("Tests/ScanCorpus/generate.py failed (status \(process.terminationStatus))") }
        return (directory, entries)
    }()

    static func report(_ entry: Entry) throws -> ScanReport {
        let path = corpus.directory.appendingPathComponent(entry.file).path
        let source = try FileSource(FilePath(path))
        return Scanner.scan(source, path: entry.file, policy: ScanPolicy())
    }

    @Test func coversEveryPublishedBypassAndEveryContainer() throws {
        let entries = Self.corpus.entries
        let cited = Set(entries.flatMap { entry in
            entry.source.split(separator: "#").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
        })
        #expect(Set(1...27).subtracting(cited).isEmpty, "bypasses of reference/scanning.md §2 with no corpus file")
        for container in ["pytorch zip", "legacy", "npy", "npz", "joblib", "safetensors", "gguf", "onnx", "keras"] {
            #expect(entries.contains { ($0.source + " " + $0.technique).lowercased().contains(container) }, "no corpus file for \(container)")
        }
        for verdict in Verdict.allCases {
            #expect(entries.contains { $0.verdict == verdict.rawValue }, "no corpus file expected to be \(verdict)")
        }
    }

    /// Chat templates (each family benign, each escape technique hostile), configs that
    /// instantiate code, remote code, TensorFlow graphs, sentencepiece and unrecognised content.
    @Test func coversEveryTemplateConfigAndGraphClass() {
        let entries = Self.corpus.entries
        for family in [
            "chat template: benign", "chat template: ssti", "chat template: unreadable", "_target_ (benign)",
            "hydra/nemo _target_", "_target_ (unknown class)", "_target_ (unreadable)", "yaml python tag",
            "remote code: auto_map", "remote code: *.py", "tf savedmodel: pyfunc", "tf savedmodel: readfile",
            "tf graphdef: writefile", "sentencepiece", "unrecognised content under a weights name",
        ] {
            #expect(entries.contains { ($0.source + " " + $0.technique).lowercased().contains(family) }, "no corpus file for \(family)")
        }
        for model in ["llama3", "qwen2", "gemma", "mistral"] {
            #expect(entries.contains { $0.file.hasPrefix("ok_chat_\(model)") && $0.verdict == "safe" }, "no benign \(model) chat template")
        }
        for gadget in ["cycler", "joiner", "namespace", "lipsum", "template_reference", "attr", "concat", "escaped", "computed"] {
            #expect(entries.contains { $0.file.hasPrefix("mal_chat_") && $0.file.contains(gadget) }, "no hostile template for \(gadget)")
        }
    }

    @Test func everyFileGetsItsExpectedVerdict() throws {
        for entry in Self.corpus.entries {
            let report = try Self.report(entry)
            #expect(
                report.verdict.rawValue == entry.verdict,
                "\(entry.file) (\(entry.technique); \(entry.source)): \(report.verdict) as \(report.format), findings: \(report.findings.map(\.detail))")
        }
    }

    @Test func everyRefusalSaysWhyAndMalformedSaysWhere() throws {
        for entry in Self.corpus.entries where entry.verdict != "safe" {
            let report = try Self.report(entry)
            let decisive = report.findings.filter { $0.verdict == report.verdict }
            #expect(!decisive.isEmpty && decisive.allSatisfy { !$0.detail.isEmpty }, "\(entry.file): no finding explains \(report.verdict)")
            if report.verdict == .malformed {
                #expect(decisive.contains { $0.offset != nil }, "\(entry.file): malformed without an offset: \(decisive.map(\.detail))")
            }
            if report.verdict == .unsafe || report.verdict == .suspicious, let callable = decisive.first?.callable {
                #expect(decisive.first?.detail.contains(callable) == true)
            }
        }
    }

    @Test func allowingTheSuspiciousCallablesMakesTheirFilesSafe() throws {
        for entry in Self.corpus.entries where entry.verdict == "suspicious" {
            let first = try Self.report(entry)
            let callables = Set(first.findings.compactMap(\.callable))
            guard !callables.isEmpty, first.findings.allSatisfy({ $0.callable != nil || $0.verdict == .safe }) else { continue }
            let path = Self.corpus.directory.appendingPathComponent(entry.file).path
            let again = Scanner.scan(try FileSource(FilePath(path)), path: entry.file, policy: ScanPolicy(allowedGlobals: callables))
            #expect(again.verdict == .safe, "\(entry.file): still \(again.verdict) with --allow-global \(callables.sorted())")
        }
    }

    @Test func allowingADangerousCallableNeverMakesItSafe() throws {
        for entry in Self.corpus.entries where entry.verdict == "unsafe" {
            let first = try Self.report(entry)
            let callables = Set(first.findings.compactMap(\.callable))
            let path = Self.corpus.directory.appendingPathComponent(entry.file).path
            let again = Scanner.scan(try FileSource(FilePath(path)), path: entry.file, policy: ScanPolicy(allowedGlobals: callables))
            #expect(again.verdict != .safe, "\(entry.file): \(callables.sorted()) allowed turned a dangerous file safe")
        }
    }

    /// Containers real loaders open and compressed wrappers, by name: the verdict, the format the
    /// file must be recognised as, and the member the decisive finding names (nil: the file).
    static let containers: [(file: String, verdict: Verdict, format: String, member: String?)] = [
        ("mal_torch_legacy_tar_pickle.tar", .unsafe, "pytorch-legacy-tar", "pickle"),
        ("mal_torch_legacy_tar_storages.tar", .unsafe, "pytorch-legacy-tar", "storages"),
        ("mal_torch_legacy_tar_views.tar", .unsafe, "pytorch-legacy-tar", "storages"),
        ("mal_torch_legacy_tar_tensors.tar", .unsafe, "pytorch-legacy-tar", "tensors"),
        ("mal_torch_legacy_tar_pax_path.tar", .unsafe, "pytorch-legacy-tar", "pickle"),
        ("mal_nemo.nemo", .unsafe, "tar", "./model_weights.ckpt/archive/data.pkl"),
        ("mal_nemo_gz.nemo", .unsafe, "gzip", "./model_weights.ckpt/archive/data.pkl"),
        ("mal_nemo_long_name.nemo", .unsafe, "tar", "./" + String(repeating: "tokenizer_", count: 12) + "/vocab.pkl"),
        ("mal_tar_traversal.tar", .unsafe, "tar", "../../home/user/.bashrc"),
        ("mal_joblib_zf_hex.joblib", .unsafe, "joblib", nil),
        ("mal_joblib_zf_bare.joblib", .unsafe, "joblib", nil),
        ("mal_joblib_zf_upper_prefix.joblib", .unsafe, "joblib", nil),
        ("mal_joblib_zf_leading_space.joblib", .unsafe, "joblib", nil),
        ("mal_joblib_zf_underscore.joblib", .unsafe, "joblib", nil),
        ("mal_joblib_zf_python2.joblib", .unsafe, "joblib", nil),
        ("mal_joblib_lzma.joblib", .unsafe, "lzma", nil),
        ("mal_joblib_xz.joblib", .unsafe, "xz", nil),
        ("mal_bz2_proto0.pkl.bz2", .unsafe, "bzip2", nil),
        ("mal_xz_proto0.pkl.xz", .unsafe, "xz", nil),
        ("mal_7z_pickle.7z", .unsafe, "7z", "model.bin"),
        ("mal_gzip_zip.pt.gz", .unsafe, "gzip", "archive/data.pkl"),
        ("mal_bz2_tar.tar.bz2", .unsafe, "bzip2", "pickle"),
        ("mal_gzip_two_members.pkl.gz", .unsafe, "gzip", nil),
        ("mal_zip_tar_polyglot.nemo", .unsafe, "pytorch-zip", "PK\u{03}\u{04}\u{14}"),
        ("mal_gzip_tar_polyglot.joblib", .unsafe, "tar", nil),
        ("ok_numpy_pickle.pkl.gz", .safe, "gzip", nil),
        ("ok_numpy_pickle.pkl.bz2", .safe, "bzip2", nil),
        ("ok_numpy_pickle.joblib.lzma", .safe, "lzma", nil),
        ("ok_joblib_zf.joblib", .safe, "joblib", nil),
        ("ok_torch_legacy.tar", .safe, "pytorch-legacy-tar", nil),
        ("ok_model.nemo", .safe, "tar", nil),
        ("ok_model_gnu.nemo", .safe, "tar", nil),
        ("ok_7z.7z", .safe, "7z", nil),
        ("bad_nemo_unrecognised_ckpt.nemo", .malformed, "tar", "./model_weights.ckpt"),
        ("sus_nemo_python.nemo", .suspicious, "tar", "./modeling_acme.py"),
        ("bad_zip_unrecognised_bin.zip", .malformed, "zip", "weights/pytorch_model.bin"),
        ("sus_zip_python.zip", .suspicious, "zip", "code/modeling_acme.py"),
        ("mal_zip_chat_template.zip", .unsafe, "zip", "chat_template.jinja"),
        ("bomb_gzip_ratio.pkl.gz", .malformed, "gzip", nil),
        ("bomb_bz2_ratio.bz2", .malformed, "bzip2", nil),
        ("bomb_xz_ratio.xz", .malformed, "xz", nil),
        ("bomb_gzip_size.gz", .malformed, "gzip", nil),
        ("bad_tar_after_end.tar", .malformed, "pytorch-legacy-tar", nil),
        ("bad_tar_checksum_second.tar", .malformed, "tar", nil),
        ("bad_tar_size_plus.tar", .malformed, "tar", nil),
        ("bad_tar_pax_size_underscore.tar", .malformed, "tar", nil),
        ("bad_tar_symlink.tar", .malformed, "tar", "pickle"),
        ("bad_tar_truncated.tar", .malformed, "tar", nil),
        ("bad_7z_truncated.7z", .malformed, "7z", nil),
        ("bad_lzma_dictionary.joblib", .malformed, "lzma", nil),
        ("ok_binary_5d00.raw", .unsupported, "unknown", nil),
    ]

    @Test(arguments: containers)
    func containersAndWrappersAreOpenedTheWayTheirLoaderOpensThem(_ file: String, _ verdict: Verdict, _ format: String, _ member: String?) throws {
        let entry = try #require(Self.corpus.entries.first { $0.file == file }, "\(file) is not in the corpus")
        let report = try Self.report(entry)
        #expect(report.verdict == verdict, "\(file): \(report.findings.map(\.detail))")
        #expect(report.format == format, "\(file)")
        #expect(report.findings.first { $0.verdict == verdict }?.member == member || verdict == .safe, "\(file): \(report.findings.map(\.member))")
        if verdict == .malformed, member == nil {
            #expect(report.findings.contains { $0.verdict == .malformed && $0.offset != nil }, "\(file): no offset")
        }
    }
}

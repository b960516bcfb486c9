import Foundation
import PinTestSupport
import Testing

/// A dataset through the whole pipeline, with the built binary against the fake Hub: named
/// `datasets/OWNER/NAME`, checked against the allowlist's dataset entries, resolved at the
/// Hub's dataset paths, scanned (Parquet is data), recorded in the store under its own name,
/// locked, laid out in `datasets/OWNER/NAME`, and pulled again from the lock or the store alone.
/// The model `acme/tiny-model` and the dataset `datasets/acme/tiny-model` share an owner/name
/// and never collide.
@Suite("datasets end to end")
struct DatasetEndToEndTests {
    static let commit = String(repeating: "d5e7", count: 10)

    /// A valid Parquet file with no columns (thrift compact FileMetaData: version 1, the root
    /// schema element, no rows, no row groups).
    static let parquet: [UInt8] = {
        let footer: [UInt8] = [0x15, 0x02, 0x19, 0x1C, 0x48, 6] + Array("schema".utf8) + [0x15, 0x00, 0x00, 0x16, 0x00, 0x19, 0x0C, 0x00]
        return Array("PAR1".utf8) + footer + [UInt8(footer.count), 0, 0, 0] + Array("PAR1".utf8)
    }()

    static let readme = Array("---\nlicense: mit\nconfigs:\n- config_name: default\n  data_files: data/*.parquet\n---\n# tiny corpus\n".utf8)
    static let info = Array(#"{"features": {"text": {"dtype": "string"}}, "splits": {"train": {"num_examples": 0}}}"#.utf8)

    static var datasetFiles: [FakeHub.File] {
        [
            FakeHub.File("README.md", readme),
            FakeHub.File("dataset_info.json", info),
            FakeHub.File("data/train-00000-of-00001.parquet", parquet, lfs: true),
        ]
    }

    /// The model and the dataset of the same owner/name, each with its own commit and files.
    static let repos = [
        FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: HubSandbox.files),
        FakeHub.Repo(id: "datasets/acme/tiny-model", commit: commit, files: datasetFiles),
    ]

    static func snapshotNames(_ outcome: ModelpinProcess.Outcome) throws -> [String] {
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return try #require(try json(outcome.stdout) as? [[String: Any]]).map { $0["name"] as! String }.sorted()
    }

    @Test func aDatasetIsPulledByNameThenOfflineFromTheStore() throws {
        try HubSandbox.with(repos: Self.repos) { env throws in
            let pulled = try env.pull("datasets/acme/tiny-model", "--strict", "--json")
            #expect(pulled.status == 0, "\(pulled.stderr)")
            let summary = try #require(try json(pulled.stdout) as? [String: Any])
            #expect(summary["repo"] as? String == "datasets/acme/tiny-model")
            #expect(summary["commit"] as? String == Self.commit)
            let data = env.directory.appendingPathComponent("datasets/acme/tiny-model")
            #expect(summary["destination"] as? String == data.path)
            #expect(try Data(contentsOf: data.appendingPathComponent("data/train-00000-of-00001.parquet")) == Data(Self.parquet))
            #expect(try Data(contentsOf: data.appendingPathComponent("README.md")) == Data(Self.readme))
            // The model of the same name was not touched.
            #expect(!FileManager.default.fileExists(atPath: env.model.path))
            let verdicts = (summary["files"] as? [[String: Any]] ?? []).map { "\($0["path"]!)=\($0["verdict"]!)" }.sorted()
            #expect(verdicts == ["README.md=safe", "data/train-00000-of-00001.parquet=safe", "dataset_info.json=safe"])
            // Only the Hub's dataset paths were asked.
            let hubTargets = env.hub.log.filter { $0.server == "hub" }.map(\.target)
            #expect(hubTargets.contains("/api/datasets/acme/tiny-model/revision/main"))
            #expect(hubTargets.contains { $0.hasPrefix("/datasets/acme/tiny-model/resolve/\(Self.commit)/") })
            #expect(!hubTargets.contains { $0.hasPrefix("/api/models/") || $0.hasPrefix("/acme/") }, "\(hubTargets)")

            // Recorded under the dataset's own names.
            let names = try Self.snapshotNames(try env.sandbox.run("store", "snapshots", "--json"))
            #expect(names == ["datasets/acme/tiny-model:\(Self.commit)", "datasets/acme/tiny-model:main"])

            // Offline: from the store's record alone.
            try FileManager.default.removeItem(at: data)
            env.hub.clearLog()
            let offline = try env.pull("datasets/acme/tiny-model", "--offline")
            #expect(offline.status == 0, "\(offline.stderr)")
            #expect(env.hub.log.isEmpty)
            #expect(try Data(contentsOf: data.appendingPathComponent("dataset_info.json")) == Data(Self.info))
            // The model of the same owner/name was never recorded: offline, it is not there.
            let model = try env.pull("acme/tiny-model", "--offline")
            #expect(model.status != 0)
        }
    }

    @Test func aModelAndADatasetOfOneNameAreLockedSideBySide() throws {
        try ProjectSandbox.with(repos: Self.repos) { project throws in
            // The project's allowlist names the model only: the dataset is refused, and says why.
            let refused = try project.run("add", "datasets/acme/tiny-model", "--as", "corpus")
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(refused.stderr.contains("`datasets/acme/tiny-model` is not on the allowlist"), "\(refused.stderr)")
            #expect(refused.stderr.contains("`acme` is allowed only for models, and this is a dataset"), "\(refused.stderr)")
            #expect(!project.env.hub.log.contains { $0.target.contains("/datasets/") })
            #expect(!FileManager.default.fileExists(atPath: project.lockfile.path))

            try writeFile(project.directory.appendingPathComponent("models.allow"), Array("acme/tiny-model\ndatasets/acme/*\n".utf8))
            let model = try project.run("add", "acme/tiny-model")
            #expect(model.status == 0, "\(model.stderr)")
            let dataset = try project.run("add", "datasets/acme/tiny-model", "--as", "corpus")
            #expect(dataset.status == 0, "\(dataset.stderr)")

            let manifest = try project.manifestText()
            #expect(manifest.contains("[models.corpus]\nrepo = \"datasets/acme/tiny-model\""), "\(manifest)")
            let lock = try project.lockText()
            #expect(lock.contains("requested-repo = \"datasets/acme/tiny-model\""), "\(lock)")
            #expect(lock.contains("repo = \"datasets/acme/tiny-model\"\ncommit = \"\(Self.commit)\""), "\(lock)")
            #expect(lock.contains("repo = \"acme/tiny-model\"\ncommit = \"\(HubSandbox.commit)\""), "\(lock)")

            let data = project.directory.appendingPathComponent("datasets/acme/tiny-model")
            #expect(try Data(contentsOf: data.appendingPathComponent("data/train-00000-of-00001.parquet")) == Data(Self.parquet))
            #expect(try project.contents("config.json") == Data(HubSandbox.config))
            // Weights and data stay out of git alike.
            #expect(FileManager.default.fileExists(atPath: project.directory.appendingPathComponent("datasets/.gitignore").path))
            let names = try Self.snapshotNames(try project.run("store", "snapshots", "--json"))
            #expect(names == [
                "acme/tiny-model:\(HubSandbox.commit)", "acme/tiny-model:main",
                "datasets/acme/tiny-model:\(Self.commit)", "datasets/acme/tiny-model:main",
            ])
            #expect(try project.run("verify").status == 0)

            // CI: a fresh store pulls both from the lock, verifying every byte.
            try FileManager.default.removeItem(at: data)
            try FileManager.default.removeItem(at: project.model)
            let locked = try project.runWithFreshStore("pull", "--locked", "--strict")
            #expect(locked.status == 0, "\(locked.stderr)")
            #expect(try Data(contentsOf: data.appendingPathComponent("dataset_info.json")) == Data(Self.info))
            #expect(try project.contents("model.safetensors") == Data(HubSandbox.weights))
            #expect(try project.lockText() == lock)

            // Then offline, from that store alone.
            try FileManager.default.removeItem(at: data)
            project.env.hub.clearLog()
            let frozen = try project.runWithFreshStore("pull", "--frozen")
            #expect(frozen.status == 0, "\(frozen.stderr)")
            #expect(project.env.hub.log.isEmpty)
            #expect(try Data(contentsOf: data.appendingPathComponent("README.md")) == Data(Self.readme))

            // Forgetting the model's snapshots leaves the dataset's.
            #expect(try project.run("store", "forget", "acme/tiny-model").status == 0)
            #expect(try Self.snapshotNames(try project.run("store", "snapshots", "--json"))
                == ["datasets/acme/tiny-model:\(Self.commit)", "datasets/acme/tiny-model:main"])
        }
    }

    @Test func aTyposquattedDatasetOwnerIsRefusedBeforeAnyRequest() throws {
        try HubSandbox.with(repos: Self.repos) { env throws in
            try env.sandbox.file("allow.txt", Array("datasets/allenai/*\nacme/tiny-model\n".utf8))
            let refused = try env.pull("datasets/a11enai/c4", "--allowlist", "allow.txt")
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(refused.stderr.contains("error: `datasets/a11enai/c4` looks like the allowed `datasets/allenai/*`"), "\(refused.stderr)")
            #expect(refused.stderr.contains("`11` in place of `ll` at positions 2–3 of the owner"), "\(refused.stderr)")
            #expect(refused.stderr.contains("hint: did you mean `datasets/allenai/c4`?"), "\(refused.stderr)")
            // A dataset owner imitating an owner allowed for models is refused too.
            let impostor = try env.pull("datasets/acrne/tiny-model", "--allowlist", "allow.txt")
            #expect(impostor.status == 1, "\(impostor.stderr)")
            #expect(impostor.stderr.contains("an owner allowed for models"), "\(impostor.stderr)")
            #expect(env.hub.log.isEmpty)
        }
    }
}

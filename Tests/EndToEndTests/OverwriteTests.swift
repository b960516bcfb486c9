import Foundation
import PinTestSupport
import Testing

@Suite("modelpin pull and add never silently replace the user's own files")
struct OverwriteEndToEndTests {
    @Test func aUsersFileInTheToDirectoryIsRefusedNamedAndLeftAsItWas() throws {
        try HubSandbox.with { env throws in
            let directory = env.directory.appendingPathComponent("mine")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let config = try writeFile(directory.appendingPathComponent("config.json"), Array("{\"my\": \"settings\"}\n".utf8))
            let outcome = try env.pull("acme/tiny-model", "--to", "mine")
            #expect(outcome.status == 1, "\(outcome.stderr)")
            #expect(outcome.stderr.contains("`\(config.path)` holds other bytes than the snapshot's file"), "\(outcome.stderr)")
            #expect(outcome.stderr.contains("hint:") && outcome.stderr.contains("--force"))
            #expect(try Data(contentsOf: config) == Data("{\"my\": \"settings\"}\n".utf8))
            #expect(env.sandbox.names(directory) == ["config.json"])
            #expect(!env.hub.log.contains { $0.target.contains("/resolve/") }, "refused before any download")
        }
    }

    @Test func forceReplacesAndSaysWhich() throws {
        try HubSandbox.with { env throws in
            let directory = env.directory.appendingPathComponent("mine")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let config = try writeFile(directory.appendingPathComponent("config.json"), Array("mine".utf8))
            let outcome = try env.pull("acme/tiny-model", "--to", "mine", "--force")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stderr.contains("warning: --force: replaced `\(config.path)`"), "\(outcome.stderr)")
            #expect(try Data(contentsOf: config) == Data(HubSandbox.config))
        }
    }

    @Test func theSameBytesAndFilesModelpinLaidOutPassWithoutForce() throws {
        try HubSandbox.with { env throws in
            try FileManager.default.createDirectory(at: env.model, withIntermediateDirectories: true)
            try writeFile(env.model.appendingPathComponent("config.json"), HubSandbox.config)
            #expect(try env.pull("acme/tiny-model").status == 0)
            try writeFile(env.model.appendingPathComponent("model.safetensors"), Array("edited".utf8))
            let again = try env.pull("acme/tiny-model")
            #expect(again.status == 0, "\(again.stderr)")
            #expect(try env.contents("model.safetensors") == Data(HubSandbox.weights))
        }
    }

    @Test func addAndAProjectPullRefuseTheUsersFileUnlessForced() throws {
        try ProjectSandbox.with { project throws in
            try FileManager.default.createDirectory(at: project.model, withIntermediateDirectories: true)
            let notes = try writeFile(project.model.appendingPathComponent("config.json"), Array("notes".utf8))
            let added = try project.run("add", "acme/tiny-model")
            #expect(added.status == 1, "\(added.stderr)")
            #expect(added.stderr.contains(notes.path))
            #expect(try Data(contentsOf: notes) == Data("notes".utf8))
            #expect(!FileManager.default.fileExists(atPath: project.lockfile.path))
            #expect(try project.run("add", "acme/tiny-model", "--force").status == 0)

            // A store that did not lay the directory out (a fresh clone, another machine): the
            // file there is the user's.
            try writeFile(notes, Array("notes".utf8))
            let pulled = try project.runWithFreshStore("pull", "--locked")
            #expect(pulled.status == 1, "\(pulled.stderr)")
            #expect(try Data(contentsOf: notes) == Data("notes".utf8))
            let forced = try project.runWithFreshStore("pull", "--locked", "--force")
            #expect(forced.status == 0, "\(forced.stderr)")
            #expect(forced.stderr.contains("--force: replaced `\(notes.path)`"))
        }
    }
}

@Suite("init and add keep pulled weights out of git")
struct ModelsIgnoreTests {
    @Test func initWritesModelsGitignoreAndAddDoesWhenItMakesModels() throws {
        try ProjectSandbox.with { project throws in
            // ProjectSandbox ran `init`.
            let ignore = project.directory.appendingPathComponent("models/.gitignore")
            let text = try String(contentsOf: ignore, encoding: .utf8)
            #expect(text.split(separator: "\n").contains("*"))
            #expect(text.hasPrefix("# Written by modelpin"))
            try FileManager.default.removeItem(at: project.directory.appendingPathComponent("models"))
            let added = try project.run("add", "acme/tiny-model")
            #expect(added.status == 0, "\(added.stderr)")
            #expect(added.stderr.contains("models/.gitignore"))
            #expect(try String(contentsOf: ignore, encoding: .utf8) == text)
        }
    }

    @Test func anExistingModelsDirectoryOrGitignoreIsNeverClobbered() throws {
        try Sandbox.with { sandbox throws in
            let models = sandbox.directory.appendingPathComponent("models")
            try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
            let ignore = try writeFile(models.appendingPathComponent(".gitignore"), Array("!keep-me.py\n".utf8))
            #expect(try sandbox.run("init").status == 0)
            #expect(try Data(contentsOf: ignore) == Data("!keep-me.py\n".utf8))
        }
        try Sandbox.with { sandbox throws in
            // The user's own models/ (model code): not ignored behind their back.
            let models = sandbox.directory.appendingPathComponent("models")
            try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
            try writeFile(models.appendingPathComponent("resnet.py"), Array("import torch\n".utf8))
            #expect(try sandbox.run("init").status == 0)
            #expect(sandbox.names(models) == ["resnet.py"])
        }
    }

    @Test func aModelOutsideModelsInAGitWorkTreeGetsANoteSayingWhatToIgnore() throws {
        try ProjectSandbox.with { project throws in
            try FileManager.default.createDirectory(at: project.directory.appendingPathComponent(".git"), withIntermediateDirectories: true)
            let added = try project.run("add", "acme/tiny-model", "--to", "weights/tiny")
            #expect(added.status == 0, "\(added.stderr)")
            #expect(added.stderr.contains("add `/weights/tiny/` to .gitignore"), "\(added.stderr)")
        }
    }
}

import Foundation
import PinTestSupport
import Testing

/// A project directory (modelpin.toml, modelpin.lock) beside a fake Hub serving
/// `acme/tiny-model`: what CI and developers run `add`, `lock` and `pull --locked` in.
struct ProjectSandbox {
    let env: HubSandbox

    var directory: URL { env.directory }
    var manifest: URL { directory.appendingPathComponent("modelpin.toml") }
    var lockfile: URL { directory.appendingPathComponent("modelpin.lock") }
    var model: URL { env.model }

    static func with<T>(
        repos: [FakeHub.Repo] = [FakeHub.Repo(id: "acme/tiny-model", commit: HubSandbox.commit, files: HubSandbox.files)],
        _ body: (ProjectSandbox) throws -> T
    ) throws -> T {
        try HubSandbox.with(repos: repos) { env throws in
            let project = ProjectSandbox(env: env)
            try writeFile(project.directory.appendingPathComponent("models.allow"), Array("acme/tiny-model\nacme/other-model\n".utf8))
            let created = try project.run("init", "--endpoint", env.hub.endpoint, "--allowlist", "models.allow")
            #expect(created.status == 0, "\(created.stderr)")
            return try body(project)
        }
    }

    /// `modelpin ARGS…` in the project directory, with quick retries.
    @discardableResult
    func run(_ arguments: String..., environment: [String: String] = [:]) throws -> ModelpinProcess.Outcome {
        var modelpin = env.sandbox.modelpin
        modelpin.environment.merge(environment) { $1 }
        return try modelpin.run(arguments + (["pull", "add", "lock"].contains(arguments.first) ? ["--retries", "2"] : []))
    }

    /// Runs with another, empty store: what a fresh CI machine sees.
    @discardableResult
    func runWithFreshStore(_ arguments: String..., store name: String = "fresh-store") throws -> ModelpinProcess.Outcome {
        var modelpin = env.sandbox.modelpin
        modelpin.environment["MODELPIN_HOME"] = directory.appendingPathComponent(name).path
        return try modelpin.run(arguments)
    }

    func lockText() throws -> String { try String(contentsOf: lockfile, encoding: .utf8) }
    func manifestText() throws -> String { try String(contentsOf: manifest, encoding: .utf8) }

    func contents(_ relative: String) throws -> Data { try env.contents(relative) }
}

import ArgumentParser
import PinModel
import PinWorkspace
import SystemPackage

/// `modelpin policy check|test`: the admission policy, applied without fetching anything.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Apply the admission policy to the project's lock, or to a fixture (no download).",
        discussion: """
            The policy is the shared file (--policy, else $MODELPIN_POLICY) and the project's \
            [policy] in modelpin.toml, each a rule set of its own: the worse decision wins. Every \
            pull, lock, import and serve pull-through applies it; these commands only report. \
            Exit status: 0 when nothing is blocked (and, for `test`, every expectation holds), \
            1 otherwise.
            """,
        subcommands: [PolicyCheckCommand.self, PolicyTestCommand.self])
}

/// The shared policy file, for commands that have no TransferOptions.
struct PolicyFileOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The shared admission-policy file (default: $MODELPIN_POLICY); the project's [policy] applies too.", valueName: "file"))
    var policy: String?

    func configuration() -> WorkspaceConfiguration {
        var configuration = WorkspaceConfiguration(environment: ProcessEnvironment.current, userAgent: "modelpin/\(Modelpin.version)")
        configuration.policyFile = policy
        return configuration
    }
}

/// `modelpin policy check [ALIAS…]`
struct PolicyCheckCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Evaluate the policy over modelpin.lock, with facts from the store (or, where it lacks a blob, the lock).")

    @Argument(help: ArgumentHelp("Only these models (default: all).", valueName: "alias"))
    var aliases: [String] = []

    @OptionGroup var policy: PolicyFileOptions
    @OptionGroup var project: ProjectOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        let report = try store.workspace(policy.configuration(), command: "policy check").checkPolicy(try project.load(), aliases: aliases)
        PolicyReportText.render(report, console, recordedLabel: "locked")
        if !console.json, report.policyDigest != report.lockedDigest {
            console.warn("the lock was decided under \(report.lockedDigest.map { "policy \($0)" } ?? "no policy"), not the one in force (\(report.policyDigest ?? "none")); `modelpin lock` records the new decisions")
        }
        return report.failed ? .refused : .success
    }
}

/// `modelpin policy test FIXTURE`
struct PolicyTestCommand: ModelpinCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Evaluate the policy over a fixture of models and their facts, and check the decisions it expects.",
        discussion: """
            The fixture (TOML) sets `today` and lists [[model]] tables with `repo`, `licenses`, \
            `remote-code`, `signed-by`, `commit-date`, `expect` (allow, log or block) and \
            [[model.file]] tables with `path`, `size`, `format` and `verdict`: see the Policy \
            section of lockfiles/README.md. A model whose decision is not its `expect` (or, with \
            no `expect`, that is blocked) fails the test: exit 1.
            """)

    @Argument(help: ArgumentHelp("The fixture.", valueName: "file"))
    var fixture: String

    @OptionGroup var policy: PolicyFileOptions
    @Option(help: ArgumentHelp("The manifest whose [policy] applies (default: the nearest modelpin.toml, if any).", valueName: "path"))
    var manifest: String?
    @OptionGroup var output: OutputOptions

    func execute(_ console: Console) throws -> ExitStatus {
        var project: Project?
        do {
            project = try Project.load(try Project.locate(explicit: manifest.map { FilePath($0) }, from: ProcessEnvironment.currentDirectory))
        } catch ProjectError.noManifest {
            project = nil  // the shared policy only
        }
        let workspace = Workspace(
            openStore: { _ in throw ProjectError.noManifest(FilePath("/")) }, keyringDirectory: { "" },
            configuration: policy.configuration())
        let report = try workspace.testPolicy(fixture: FilePath(fixture), project: project)
        PolicyReportText.render(report, console, recordedLabel: "expected")
        return report.failed ? .refused : .success
    }
}

/// The text (or `--json`) of a policy report: one line per model, its reasons below.
enum PolicyReportText {
    static func render(_ report: PolicyReport, _ console: Console, recordedLabel: String) {
        if console.json {
            console.out((try? Format.json(report)) ?? "{}")
            return
        }
        if report.policyDigest == nil { console.note("no admission policy is in force: every model is allowed") }
        for model in report.models {
            let recorded = model.recorded.map { " (\(recordedLabel): \($0))" } ?? ""
            console.out("\(model.decision)  \(model.alias)\(model.alias == model.repo ? "" : " (\(model.repo))")\(recorded)\(model.failed ? "  FAIL" : "")")
            for reason in model.reasons { console.out("    \(reason)") }
            if !model.factsFromLock.isEmpty {
                console.out("    facts from \(recordedLabel == "locked" ? "the lock" : "the fixture") (not in the store): \(model.factsFromLock.joined(separator: ", "))")
            }
        }
    }
}

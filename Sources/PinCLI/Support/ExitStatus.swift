import ArgumentParser
import PinModel
import PinStore
import PinWorkspace

/// modelpin's exit codes. Only PinCLI picks them; libraries classify their errors by kind.
enum ExitStatus: Int32, Comparable {
    case success = 0
    /// A check said no.
    case refused = 1
    /// Something around the check failed.
    case failure = 2
    /// The command line was malformed (EX_USAGE, as ArgumentParser uses for its own errors).
    case usage = 64
    /// A source was down or overloaded (connection refused, timeouts, 5xx after retries):
    /// EX_TEMPFAIL from sysexits.h, so that a retry wrapper retries this and nothing else.
    case unavailable = 75
    /// Stopped by Ctrl-C (128 + SIGINT, the shell convention); the work done so far is kept.
    case interrupted = 130

    init(_ kind: FailureKind) {
        switch kind {
        case .refused: self = .refused
        case .operational: self = .failure
        case .usage: self = .usage
        case .unavailable: self = .unavailable
        }
    }

    init(for error: any Error) {
        if case .interrupted? = error as? PullError {
            self = .interrupted
        } else if case .interrupted? = error as? StoreError {
            self = .interrupted
        } else if let error = error as? any ModelpinError {
            self.init(error.kind)
        } else {
            self = .failure
        }
    }

    /// Severity order for a command that handles several inputs and reports the worst.
    private var severity: Int {
        switch self {
        case .success: 0
        case .refused: 1
        case .unavailable: 2
        case .failure: 3
        case .usage: 4
        case .interrupted: 5
        }
    }

    static func < (lhs: Self, rhs: Self) -> Bool { lhs.severity < rhs.severity }
}

/// A malformed value on the command line, caught by modelpin rather than by ArgumentParser
/// so that it renders like every other error, with a hint.
struct UsageError: ModelpinError {
    let message: String
    let hint: String?

    var kind: FailureKind { .usage }
    var description: String { message }
}

/// The behaviour every modelpin command shares: errors are rendered as `error:` / `caused by:` /
/// `hint:` and mapped to an exit status here, and nowhere else.
protocol ModelpinCommand: ParsableCommand {
    var output: OutputOptions { get }
    func execute(_ console: Console) throws -> ExitStatus
}

extension ModelpinCommand {
    func run() throws {
        let console = Console(options: output)
        let status: ExitStatus
        do {
            status = try execute(console)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            console.report(error)
            status = ExitStatus(for: error)
        }
        if status != .success {
            throw ExitCode(status.rawValue)
        }
    }
}

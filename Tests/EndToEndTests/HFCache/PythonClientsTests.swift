import Foundation
import PinTestSupport
import Testing

/// The harness every client test stands on: the pinned clients import, and a script sees only
/// the environment it was given (a temp HOME, no telemetry), never this process's.
@Suite(.tags(.pythonClients), .enabled(if: PythonClients.enabled)) struct PythonClientsTests {
    @Test func pinnedClientsRunInAnIsolatedEnvironment() throws {
        let script = """
            import os, sys, huggingface_hub, transformers, safetensors, tokenizers, hf_xet
            print(huggingface_hub.__version__, transformers.__version__)
            print(os.environ["HOME"])
            print(os.environ.get("HF_HUB_DISABLE_TELEMETRY"), os.environ.get("MODELPIN_MARKER"), os.environ.get("PWD_LEAK"))
            print(sys.argv[1:])
            """
        setenv("PWD_LEAK", "leaked", 1)
        defer { unsetenv("PWD_LEAK") }
        let result = try PythonClients.run(script, arguments: ["a", "b c"], environment: ["MODELPIN_MARKER": "given"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "2.4.0 5.24.0")
        let home = try #require(lines.dropFirst().first)
        #expect(home != NSHomeDirectory() && home.contains("modelpin-python-home"))
        #expect(!FileManager.default.fileExists(atPath: home), "the temp HOME is removed after the run")
        #expect(lines.dropFirst(2).first == "1 given None")
        #expect(lines.dropFirst(3).first == "['a', 'b c']")
    }
}

extension Tag {
    /// Tests that run the real Python clients (a venv from PyPI, made once per requirements
    /// file). Part of the normal suite, on CI too; `MODELPIN_SKIP_PYTHON_CLIENTS=1` skips them,
    /// for a machine without python3 or PyPI only (README, "Tests").
    @Tag static var pythonClients: Self
}

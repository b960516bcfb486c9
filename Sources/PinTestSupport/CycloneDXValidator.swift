import Foundation

/// cyclonedx-python-lib's `JsonStrictValidator` (its bundled CycloneDX 1.6 and 1.7 JSON schemas,
/// with format checks and the SPDX id list), run in the venv of
/// `Tests/Clients/cyclonedx-requirements.txt`. Every BOM the tests write goes through it.
public enum CycloneDXValidator {
    static let script = """
        import sys
        from cyclonedx.validation.json import JsonStrictValidator
        from cyclonedx.schema import SchemaVersion
        version = {"1.6": SchemaVersion.V1_6, "1.7": SchemaVersion.V1_7}[sys.argv[1]]
        with open(sys.argv[2], encoding="utf-8") as f:
            data = f.read()
        errors = JsonStrictValidator(version).validate_str(data, all_errors=True)
        if errors:
            for error in errors:
                print(str(error)[:3000])
            sys.exit(1)
        print("valid")
        """

    /// The validator's complaints about `bom` as CycloneDX `version` (`1.6`, `1.7`); empty
    /// when it is valid.
    public static func problems(_ bom: [UInt8], version: String) throws -> [String] {
        try withTemporaryDirectory("modelpin-bom") { directory in
            let file = directory.appendingPathComponent("bom.json")
            try Data(bom).write(to: file)
            let result = try PythonVenv.cycloneDX.run(script, arguments: [version, file.path])
            if result.status == 0, result.stdout.contains("valid") { return [] }
            return [result.stdout + result.stderr]
        }
    }
}

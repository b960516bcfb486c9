internal import CGPGME

/// gpgme and the gpg engine it drives.
///
/// gpgme requires `gpgme_check_version` before any other call and before threads are started;
/// the `static let` runs it exactly once, on first use, whichever thread gets there first.
public enum OpenPGPEngine {
    /// The minimum gpgme modelpin is written against (Debian 12 ships 1.18).
    static let requiredVersion = "1.18.0"

    private static let libraryVersion: String? = cgpgme_check_version(requiredVersion).map { String(cString: $0) }

    /// What the OpenPGP side of modelpin runs on.
    public struct Info: Sendable, Equatable {
        /// gpgme's own version.
        public let gpgmeVersion: String
        /// The gpg executable gpgme drives, if one is installed.
        public let engineExecutable: String?
        public let engineVersion: String?
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The loaded gpgme is older than `requiredVersion`.
        case libraryTooOld(required: String)
        /// gpgme works but found no usable gpg (gnupg is not installed).
        case engineMissing(reason: String)

        public var description: String {
            switch self {
            case .libraryTooOld(let required): "gpgme \(required) or newer is required"
            case .engineMissing(let reason): "no usable gpg engine: \(reason)"
            }
        }
    }

    /// Versions and the engine path; throws when gpgme is unusable or gpg is missing.
    public static func info() throws(Failure) -> Info {
        guard let libraryVersion else { throw .libraryTooOld(required: requiredVersion) }
        let check = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP)
        guard cgpgme_err_code(check) == GPG_ERR_NO_ERROR else {
            throw .engineMissing(reason: errorText(check))
        }
        var engine: gpgme_engine_info_t?
        guard cgpgme_err_code(gpgme_get_engine_info(&engine)) == GPG_ERR_NO_ERROR else {
            throw .engineMissing(reason: "gpgme_get_engine_info failed")
        }
        while let current = engine {
            if current.pointee.protocol == GPGME_PROTOCOL_OpenPGP {
                return Info(
                    gpgmeVersion: libraryVersion,
                    engineExecutable: current.pointee.file_name.map { String(cString: $0) },
                    engineVersion: current.pointee.version.map { String(cString: $0) })
            }
            engine = current.pointee.next
        }
        throw .engineMissing(reason: "gpgme lists no OpenPGP engine")
    }

    /// Initialises gpgme (once, on first use) before any other gpgme call; every context
    /// starts here, so a too-old gpgme is an engine problem for each operation.
    static func requireLibrary() throws(VerifyError) {
        guard libraryVersion != nil else {
            throw .engineMissing(reason: Failure.libraryTooOld(required: requiredVersion).description)
        }
    }

    static func errorText(_ error: gpgme_error_t) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            guard cgpgme_strerror(error, buffer.baseAddress!, buffer.count) == 0 else {
                return "gpgme error \(error)"
            }
            return String(cString: buffer.baseAddress!)
        }
    }
}

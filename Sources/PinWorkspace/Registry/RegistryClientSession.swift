import PinDigest
import PinModel
import PinRegistry
import PinStore
import PinTransport
import SystemPackage

/// `RegistrySession` answered by PinRegistry's `RegistryClient`: the one place the workflows'
/// registry calls meet the distribution client. Names are qualified where both modules have a
/// type of that name (`Descriptor`, `BlobLocation`).
final class RegistryClientSession: RegistrySession {
    let client: RegistryClient
    let repository: String

    init(client: RegistryClient, repository: String) {
        self.client = client
        self.repository = repository
    }

    /// Opens a client on `repository` (`oci://HOST[:PORT]/PATH`) with the access's transport
    /// settings, `--plain-http`, its upload journal and the credentials the environment names.
    @Sendable static func open(repository: String, access: RegistryAccess, cancellation: CancellationFlag) throws -> any RegistrySession {
        let reference = try RegistryReference(parsing: repository)
        var options = RegistryOptions()
        options.plainHTTP = access.plainHTTP
        options.allowInsecureRegistry = access.allowInsecure
        options.journalDirectory = access.journalDirectory?.string
        options.policy = access.policy
        let client = try RegistryClient(
            reference: reference, options: options, credentials: RegistryCredentials.lookup(host: reference.authority, environment: access.environment),
            cancellation: cancellation)
        return RegistryClientSession(client: client, repository: repository)
    }

    func manifest(_ reference: String) throws -> FetchedManifest {
        try client.manifest(reference)
    }

    func blobLocation(_ digest: SHA256Digest) throws -> (url: HTTPURL, credential: String?) {
        let location = try client.blobLocation(digest)
        return (location.url, location.credential)
    }

    func smallBlob(_ digest: SHA256Digest, limit: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try client.getBlob(digest) { chunk in
            guard bytes.count + chunk.count <= limit else { throw AttachmentProblem("the blob \(digest) is larger than \(limit) bytes") }
            bytes.append(contentsOf: chunk)
        }
        // The client streams; checking what arrived is the caller's part.
        guard SHA256.hash(bytes) == digest else { throw AttachmentProblem("the blob served as \(digest) has other bytes") }
        return bytes
    }

    func referrers(of digest: SHA256Digest) throws -> [Descriptor] {
        try client.referrers(of: digest)
    }

    func pushBlob(_ digest: SHA256Digest, size: Int64, file: FilePath, mountFrom: [String]) throws -> PushedBlob {
        try client.pushBlob(digest, size: size, file: file.string, mountFrom: mountFrom)
    }

    func putManifest(_ bytes: [UInt8], mediaType: String, reference: String) throws -> SHA256Digest {
        try client.putManifest(bytes, mediaType: mediaType, reference: reference).digest
    }
}

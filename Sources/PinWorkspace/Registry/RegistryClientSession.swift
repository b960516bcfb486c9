public import PinTransport

/// `RegistrySession` answered by PinRegistry's `RegistryClient`.
public enum RegistryClientSession {
    @Sendable public static func open(repository: String, access: RegistryAccess, cancellation: CancellationFlag) throws -> any RegistrySession {
        throw OCIError.noRegistryAccess(repository)
    }
}

/// What a signature must lead to: the keys and CAs the user pinned.
public struct TrustAnchors: Sendable {
    public var keys: [PublicKey]
    public var certificateAuthorities: [CertificateAuthority]

    public init(keys: [PublicKey] = [], certificateAuthorities: [CertificateAuthority] = []) {
        self.keys = keys
        self.certificateAuthorities = certificateAuthorities
    }
}

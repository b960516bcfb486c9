/// What a signature must lead to: the keys, CAs and Sigstore trust roots the user imported.
public struct TrustAnchors: Sendable {
    public var keys: [PublicKey]
    public var certificateAuthorities: [CertificateAuthority]
    /// For keyless bundles: every imported trust root that names the entry's log is a
    /// candidate, and the bundle verifies when everything holds under one of them (its log key
    /// and its Fulcio CAs together: a log of one root never vouches for a CA of another).
    public var trustedRoots: [TrustedRoot]

    public init(keys: [PublicKey] = [], certificateAuthorities: [CertificateAuthority] = [], trustedRoots: [TrustedRoot] = []) {
        self.keys = keys
        self.certificateAuthorities = certificateAuthorities
        self.trustedRoots = trustedRoots
    }
}

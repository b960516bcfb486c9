// swift-tools-version: 6.2
//
// modelpin: fetch AI model weights the way a lockfile installs packages — pinned, hash-checked,
// signature-checked and scanned before a single byte reaches the user's directory.
//
// Dependencies point one way only (README, "Architecture"):
//   modelpin → PinCLI → PinWorkspace → {PinNames, PinStore, PinRegistry, PinS3, PinHub → PinTransport, PinPolicy → PinLock, PinVerify, PinAudit, PinSBOM, PinModelSigning} → PinDigest → PinModel
//   (PinSBOM: the CycloneDX ML-BOM, values → JSON, no I/O; PinWorkspace gathers what it is written from)
//   PinCLI → PinServe → PinWorkspace (the `serve` HTTP server, on SwiftNIO; never PinTransport,
//   PinHub, PinVerify or PinScan: it reaches the store and the pipeline only through PinWorkspace)
//   PinModelSigning → PinDigest → PinModel (OpenSSF model.sig; swift-crypto and swift-certificates
//   for ECDSA and X.509, never CCrypto), for PinWorkspace to call
//   PinS3 → PinTransport → PinModel (S3-compatible buckets: SigV4 over swift-crypto, multipart
//   uploads), for PinWorkspace to call (s3:// mirrors, serve --blob-redirect s3://)
//   PinRegistry → PinTransport, PinDigest → PinModel (the OCI distribution client and its auth),
//   for PinWorkspace to call
// Each C library is imported by exactly one Swift module, with `internal import`, so no C type
// can leak into a public API:  CCrypto → PinDigest,  CCurl → PinTransport,  CGPGME → PinVerify,
// CArchive → PinScan.

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let systemPackage: Target.Dependency = .product(name: "SystemPackage", package: "swift-system")

let package = Package(
    name: "modelpin",
    products: [
        .executable(name: "modelpin", targets: ["modelpin"]),
        // The scanner on its own: what fuzz/ (a separate package, built with libFuzzer) links.
        .library(name: "PinScan", targets: ["PinScan"]),
        // Readers of untrusted text beyond the scanner, for fuzz/: the trust settings' parsers
        // (config.toml, MODELPIN_TOKEN_HOSTS), the Hub listing and the snapshot record.
        .library(name: "PinLock", targets: ["PinLock"]),
        .library(name: "PinHub", targets: ["PinHub"]),
        .library(name: "PinStore", targets: ["PinStore"]),
        // The server's Content-Range and Content-Length, for fuzz/'s FuzzStoreRecords.
        .library(name: "PinTransport", targets: ["PinTransport"]),
        // The name check, for fuzz/'s FuzzNames.
        .library(name: "PinNames", targets: ["PinNames"]),
        // The Hugging Face cache's names and text readers (HFCacheLayout, HFCacheText), for fuzz/'s FuzzHFCache.
        .library(name: "PinWorkspace", targets: ["PinWorkspace"]),
        // The audit log's entry, checkpoint, proof and key readers, for fuzz/'s FuzzAudit.
        .library(name: "PinAudit", targets: ["PinAudit"]),
        // serve's request target and Range readers, for fuzz/'s FuzzServeRequests.
        .library(name: "PinServe", targets: ["PinServe"]),
        // The admission policy's parser, for fuzz/'s FuzzPolicy.
        .library(name: "PinPolicy", targets: ["PinPolicy"]),
        // The SPDX expression parser, for fuzz/'s FuzzModelCard.
        .library(name: "PinSBOM", targets: ["PinSBOM"]),
        // model.sig's bundle and statement readers, for fuzz/'s FuzzModelSig.
        .library(name: "PinModelSigning", targets: ["PinModelSigning"]),
        // The S3 XML and credentials-file readers, for fuzz/'s FuzzS3.
        .library(name: "PinS3", targets: ["PinS3"]),
        // The registry's challenge and docker config.json readers, for fuzz/'s FuzzRegistry.
        .library(name: "PinRegistry", targets: ["PinRegistry"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        // TOML for modelpin.toml and modelpin.lock (a wrapper of toml++): parse errors carry line and column.
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // `modelpin serve`: SwiftNIO's HTTP/1 pipeline (file bodies as FileRegion, sendfile),
        // swift-nio-ssl for --tls-cert, swift-prometheus (on swift-metrics) for /metrics.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // OpenSSF model signing (PinModelSigning): ECDSA P-256/384/521 verification and signing
        // (swift-crypto), X.509 chains to a pinned CA under RFC 5280 (swift-certificates, on
        // swift-asn1). Kept apart from CCrypto/PinDigest: libcrypto stays the hashing engine.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
    ],
    targets: [
        // MARK: C libraries (system-library targets; shim.h holds the typed wrappers Swift needs)
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]
        ),
        .systemLibrary(
            name: "CGPGME",
            pkgConfig: "gpgme",
            providers: [.apt(["libgpgme-dev"]), .brew(["gpgme"])]
        ),

        // libarchive: the scanner's bzip2/xz/LZMA/lz4/zstd/gzip decoders and the 7z reader.
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"]), .brew(["libarchive"])]
        ),

        // A few Linux calls Swift cannot make itself (GNU extensions, ioctl); PinStore only.
        .target(name: "CPinSystem"),

        // MARK: Values
        .target(name: "PinModel", swiftSettings: swiftSettings),

        // MARK: Mechanisms
        .target(
            name: "PinDigest",
            dependencies: ["PinModel", "CCrypto", systemPackage],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PinStore",
            dependencies: ["PinModel", "PinDigest", "CPinSystem", systemPackage],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PinNames",
            dependencies: ["PinModel"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PinTransport",
            dependencies: ["PinModel", "CCurl"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PinHub",
            dependencies: ["PinModel", "PinTransport"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PinLock",
            dependencies: ["PinModel", .product(name: "TOMLKit", package: "TOMLKit"), systemPackage],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PinScan",
            dependencies: ["PinModel", "CArchive", systemPackage],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PinVerify",
            dependencies: ["PinModel", "CGPGME"],
            swiftSettings: swiftSettings
        ),
        // The tamper-evident audit log: canonical JSON entries as the leaves of an RFC 6962
        // Merkle tree, C2SP signed checkpoints (Ed25519 from PinDigest), proofs. Pure Swift over
        // files; the store's `audit/` is handed to it by PinWorkspace.
        .target(
            name: "PinAudit",
            dependencies: ["PinModel", "PinDigest", systemPackage],
            swiftSettings: swiftSettings
        ),

        // The admission policy: rules, their strict parser (on PinLock's TOML reader), evaluation
        // and waivers. Pure: no I/O, so a platform team's rules can be unit-tested offline.
        .target(
            name: "PinPolicy",
            dependencies: ["PinModel", "PinLock", .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: swiftSettings
        ),

        // The CycloneDX ML-BOM: values → JSON bytes; SPDX ids and expressions. No I/O.
        .target(
            name: "PinSBOM",
            dependencies: ["PinModel", "PinDigest"],
            swiftSettings: swiftSettings
        ),

        // OpenSSF model signing: read, verify and write `model.sig` (Sigstore bundle + DSSE +
        // in-toto statement). Knows nothing of the store, the lock or the CLI: model files come
        // in through a reader the caller gives.
        .target(
            name: "PinModelSigning",
            dependencies: [
                "PinModel", "PinDigest", systemPackage,
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),

        // S3-compatible buckets: addresses, credentials, SigV4 (hand-written over swift-crypto),
        // the object and multipart API, a resumable parallel uploader. Knows nothing of the store.
        .target(
            name: "PinS3",
            dependencies: ["PinModel", "PinTransport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // The OCI distribution-spec client: references, auth (Bearer tokens, Basic, docker
        // config.json and credential helpers), manifests, blob push with resumable uploads, referrers.
        .target(
            name: "PinRegistry",
            dependencies: ["PinModel", "PinDigest", "PinTransport"],
            swiftSettings: swiftSettings
        ),

        // MARK: Orchestration
        .target(
            name: "PinWorkspace",
            dependencies: ["PinModel", "PinDigest", "PinNames", "PinStore", "PinTransport", "PinHub", "PinLock", "PinVerify", "PinScan", "PinAudit", "PinPolicy", "PinSBOM", "PinModelSigning",
                // OCI registries: push, pull oci://, --mirror oci:// (Registry/).
                "PinRegistry",
                // S3 buckets: mirror s3://, pull --mirror s3://, serve --blob-redirect s3:// (Sources/).
                "PinS3", systemPackage],
            swiftSettings: swiftSettings
        ),

        // MARK: Server
        // `modelpin serve`: the Hub API over the store. Not PinTransport, PinHub, PinVerify or
        // PinScan (ModuleBoundaryTests): what it serves comes from PinWorkspace's ServeCatalog.
        .target(
            name: "PinServe",
            dependencies: [
                "PinModel", "PinDigest", "PinWorkspace", systemPackage,
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Command line
        .target(
            name: "PinCLI",
            dependencies: [
                // Not PinTransport, PinHub or PinVerify: every workflow that reaches the network or
                // gpg is a PinWorkspace operation; commands parse, call one and render its result.
                "PinModel", "PinDigest", "PinNames", "PinStore", "PinLock", "PinScan", "PinAudit", "PinWorkspace", "PinServe", "PinSBOM",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                systemPackage,
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "modelpin", dependencies: ["PinCLI"], swiftSettings: swiftSettings),

        // MARK: Test support executables and benchmarks (not part of the shipped binary)
        .executableTarget(name: "fake-hub", dependencies: ["PinTestSupport"], swiftSettings: swiftSettings),
        .executableTarget(name: "names-bench", dependencies: ["PinNames"], path: "bench/names", swiftSettings: swiftSettings),
        // Appends audit entries in a loop: the kill -9 tests' victim.
        .executableTarget(name: "audit-append", dependencies: ["PinAudit", systemPackage], swiftSettings: swiftSettings),
        // bench/audit-run's in-process timings: verify, inclusion proofs, append latency.
        .executableTarget(name: "audit-bench", dependencies: ["PinAudit", systemPackage], path: "bench/audit", swiftSettings: swiftSettings),

        // MARK: Tests
        .target(
            name: "PinTestSupport",
            dependencies: ["PinModel", "PinDigest", "PinTransport", systemPackage,
                           // RegistryTokenServer signs its JWTs (ES256) with swift-crypto.
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "PinSBOMTests", dependencies: ["PinSBOM", "PinModel", "PinDigest", "PinTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PinModelSigningTests",
            dependencies: ["PinModelSigning", "PinModel", "PinDigest"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "PinModelTests", dependencies: ["PinModel"], swiftSettings: swiftSettings),
        .testTarget(name: "PinAuditTests", dependencies: ["PinAudit", "PinDigest", "PinModel", "PinTestSupport", systemPackage], swiftSettings: swiftSettings),
        .testTarget(
            name: "PinDigestTests",
            dependencies: ["PinDigest", "PinTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PinStoreTests",
            dependencies: ["PinStore", "PinDigest", "PinTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "PinScanTests", dependencies: ["PinScan", "PinModel", "PinTestSupport", systemPackage], swiftSettings: swiftSettings),
        .testTarget(name: "PinLockTests", dependencies: ["PinLock", "PinModel"], swiftSettings: swiftSettings),
        .testTarget(name: "PinPolicyTests", dependencies: ["PinPolicy", "PinLock", "PinModel"], swiftSettings: swiftSettings),
        .testTarget(name: "PinNamesTests", dependencies: ["PinNames", "PinModel"], swiftSettings: swiftSettings),
        .testTarget(name: "PinTransportTests", dependencies: ["PinTransport", "PinModel", "PinTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "PinHubTests", dependencies: ["PinHub", "PinModel", "PinTransport", "PinTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PinVerifyTests",
            dependencies: ["PinVerify", "PinTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PinCLITests",
            dependencies: ["PinCLI", "PinStore", "PinModel", "PinWorkspace", "PinTransport", systemPackage,
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        // The workspace in process, through an injected HTTP transport (PinTestSupport's InProcessHTTP).
        .testTarget(
            name: "PinWorkspaceTests",
            dependencies: ["PinWorkspace", "PinTestSupport", "PinStore", "PinModel", "PinLock", "PinHub", "PinTransport",
                           "PinDigest", systemPackage, "PinNames", "PinScan", "PinVerify", "PinAudit", "PinPolicy", "PinSBOM", "PinRegistry"],
            swiftSettings: swiftSettings
        ),
        // The server in process on 127.0.0.1:0 over a real store, asked by libcurl and raw sockets.
        .testTarget(
            name: "PinServeTests",
            dependencies: ["PinServe", "PinWorkspace", "PinTestSupport", "PinStore", "PinModel", "PinHub", "PinTransport",
                           "PinDigest", systemPackage],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["modelpin", "audit-append", "PinTestSupport", "PinDigest", "PinAudit", systemPackage],
            swiftSettings: swiftSettings
        ),
        // PinS3 against AWS's published SigV4 examples and a real S3 server (PinTestSupport's S3Server).
        .testTarget(name: "PinS3Tests", dependencies: ["PinS3", "PinModel", "PinTransport", "PinTestSupport", systemPackage], swiftSettings: swiftSettings),
        // The OCI client against Debian's docker-registry on 127.0.0.1 (and misbehaving fronts).
        .testTarget(
            name: "PinRegistryTests",
            dependencies: ["PinRegistry", "PinTestSupport", "PinTransport", "PinDigest", "PinModel", systemPackage],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version: 5.4
//
// libFuzzer targets for modelpin's scanner: the parsers that read untrusted model files.
// A separate package because every module here is built with -sanitize=fuzzer,address and
// -parse-as-library (libFuzzer brings `main`); scripts/fuzz builds and runs them. Tools version
// 5.4: from 5.5 on SwiftPM renames an executable's entry point, which these targets do not have.

import PackageDescription

let targets = ["FuzzPickle", "FuzzSafeTensors", "FuzzGGUF", "FuzzZip", "FuzzScan", "FuzzJinja", "FuzzProtobuf", "FuzzTar", "FuzzDecompress"]

// Readers of paths from outside, each with the product it parses with: the Hub listing and
// PathSafety (PinHub), the snapshot record a model directory holds (PinStore), the store's
// own record of a laid-out directory (PinStore), and the store's index.json and snapshot
// manifests (PinStore).
let pathTargets = [("FuzzListing", "PinHub"), ("FuzzSnapshotRecord", "PinStore"), ("FuzzLayoutRecord", "PinStore"), ("FuzzSnapshotManifest", "PinStore")]

let package = Package(
    name: "modelpin-fuzz",
    dependencies: [.package(name: "modelpin", path: "..")],
    targets: targets.map { name in
        .executableTarget(name: name, dependencies: [.product(name: "PinScan", package: "modelpin")])
    } + pathTargets.map { name, product in
        .executableTarget(name: name, dependencies: [.product(name: product, package: "modelpin")])
    } + [
        // Not a scanner: the terminal escaping and the trust settings' parsers, on hostile text.
        .executableTarget(
            name: "FuzzTrustText",
            dependencies: [.product(name: "PinLock", package: "modelpin"), .product(name: "PinHub", package: "modelpin")]),
        // The name check: requested ids and allowlists are hostile text.
        .executableTarget(name: "FuzzNames", dependencies: [.product(name: "PinNames", package: "modelpin")]),
        // Records any process that can write the store writes (blob stamps, verdict records, the
        // lock-holder line) and the sizes a server declares: parsed strictly, re-rendered exactly.
        // A lock or manifest with git's merge-conflict markers: the splitter behind `lock`'s recovery.
        .executableTarget(name: "FuzzMergeConflict", dependencies: [.product(name: "PinLock", package: "modelpin")]),
        // The admission policy's parser and evaluation: `--policy`, MODELPIN_POLICY, [policy].
        .executableTarget(
            name: "FuzzPolicy",
            dependencies: [.product(name: "PinPolicy", package: "modelpin"), .product(name: "PinLock", package: "modelpin")]),
        // A Hugging Face cache's names, refs and link targets (HFCacheLayout and HFCacheText, which
        // export, `import --hf-cache` and `verify --hf-cache` share).
        .executableTarget(name: "FuzzHFCache", dependencies: [.product(name: "PinWorkspace", package: "modelpin")]),
        // The audit log's readers: entries (canonical JSON), checkpoints, proofs, verifier keys.
        .executableTarget(name: "FuzzAudit", dependencies: [.product(name: "PinAudit", package: "modelpin")]),
        // A model card's YAML front matter and the SPDX licence expressions in it.
        .executableTarget(
            name: "FuzzModelCard",
            dependencies: [.product(name: "PinWorkspace", package: "modelpin"), .product(name: "PinSBOM", package: "modelpin")]),
        // `modelpin serve`'s request target, query and Range readers: every byte a client sends.
        .executableTarget(name: "FuzzServeRequests", dependencies: [.product(name: "PinServe", package: "modelpin")]),
        // model.sig (OpenSSF model signing): the Sigstore bundle, DSSE envelope and in-toto
        // statement readers, and the PEM key and CA readers.
        .executableTarget(name: "FuzzModelSig", dependencies: [.product(name: "PinModelSigning", package: "modelpin")]),
        // Model manifests other tools wrote (ModelPack, vnd.cnai, Docker Model Runner).
        .executableTarget(name: "FuzzModelPack", dependencies: [.product(name: "PinStore", package: "modelpin")]),
        // S3 (PinS3): a bucket's XML answers and the shared credentials file.
        .executableTarget(name: "FuzzS3", dependencies: [.product(name: "PinS3", package: "modelpin")]),
        // An OCI registry's WWW-Authenticate challenges, docker's config.json, upload journal
        // entries and oci:// references (PinRegistry).
        .executableTarget(name: "FuzzRegistry", dependencies: [.product(name: "PinRegistry", package: "modelpin")]),
        // Pulling from an OCI registry: `oci://` references, the store's names for registry
        // repositories, and referrer manifests (attachments) a registry serves.
        .executableTarget(
            name: "FuzzOCI",
            dependencies: [.product(name: "PinWorkspace", package: "modelpin"), .product(name: "PinLock", package: "modelpin")]),
        // An air-gap bundle (`import FILE.tar`): the store's strict streaming tar reader.
        .executableTarget(name: "FuzzArchive", dependencies: [.product(name: "PinStore", package: "modelpin")]),
        .executableTarget(
            name: "FuzzStoreRecords",
            dependencies: [.product(name: "PinStore", package: "modelpin"), .product(name: "PinTransport", package: "modelpin")]),
    ]
)

// swift-tools-version: 5.4
//
// libFuzzer targets for modelpin's scanner: the parsers that read untrusted model files.
// A separate package because every module here is built with -sanitize=fuzzer,address and
// -parse-as-library (libFuzzer brings `main`); scripts/fuzz builds and runs them. Tools version
// 5.4: from 5.5 on SwiftPM renames an executable's entry point, which these targets do not have.

import PackageDescription

let targets = ["FuzzPickle", "FuzzSafeTensors", "FuzzGGUF", "FuzzZip", "FuzzScan", "FuzzTar", "FuzzDecompress"]

let package = Package(
    name: "modelpin-fuzz",
    dependencies: [.package(name: "modelpin", path: "..")],
    targets: targets.map { name in
        .executableTarget(name: name, dependencies: [.product(name: "PinScan", package: "modelpin")])
    }
)

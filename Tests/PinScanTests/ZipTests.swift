import PinModel
import Testing
@testable import PinScan

@Suite struct ZipTests {
    private func torchZip(dataPkl: [UInt8], extra: [(String, [UInt8])] = []) -> FixtureZip {
        var zip = FixtureZip()
        zip.add("archive/data.pkl", dataPkl)
        zip.add("archive/byteorder", Array("little".utf8))
        zip.add("archive/data/0", [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40])
        zip.add("archive/version", Array("3\n".utf8))
        for (name, data) in extra { zip.add(name, data) }
        return zip
    }

    @Test func benignPyTorchZipIsSafe() {
        let report = Fixture.scan(torchZip(dataPkl: Fixture.benignPickle).build(), path: "pytorch_model.bin")
        #expect(report.format == "pytorch-zip")
        #expect(report.verdict == .safe)
        #expect(report.findings.isEmpty)
    }

    @Test func maliciousDataPklIsUnsafe() {
        let report = Fixture.scan(torchZip(dataPkl: Fixture.maliciousPickle).build())
        #expect(report.format == "pytorch-zip")
        #expect(report.verdict == .unsafe)
        #expect(report.findings.contains { $0.member == "archive/data.pkl" && $0.verdict == .unsafe })
    }

    @Test func pickleUnderAnInnocentNameIsFoundByContent() {
        var zip = FixtureZip()
        zip.add("archive/data.pkl", Fixture.benignPickle)
        zip.add("archive/extra/0", Fixture.maliciousPickle)
        zip.add("notes/readme", Fixture.maliciousPickle)
        let report = Fixture.scan(zip.build())
        #expect(report.verdict == .unsafe)
        #expect(report.findings.contains { $0.member == "archive/extra/0" })
        #expect(report.findings.contains { $0.member == "notes/readme" })
    }

    @Test func tensorBytesThatStartLikeProtocol0AreNotPickles() {
        // int64 40 = "(" then NULs: arbitrary weights, never unpickled by torch.
        let report = Fixture.scan(torchZip(dataPkl: Fixture.benignPickle, extra: [("archive/data/1", [0x28, 0, 0, 0, 0, 0, 0, 0])]).build())
        #expect(report.verdict == .safe)
    }

    @Test func storageRecordsAreRawBytesToTorch() {
        // torch.load reads archive/data/0 as tensor bytes, never as a pickle, whatever they hold.
        let zip = torchZip(dataPkl: Fixture.benignPickle, extra: [("archive/data/1", Fixture.maliciousPickle)])
        let report = Fixture.scan(zip.build(), path: "pytorch_model.bin")
        #expect(report.verdict == .safe, "\(report.findings.map(\.detail))")
        #expect(report.format == "pytorch-zip")
        // The archive name is the first entry's first path component, matched as miniz does
        // (ASCII case folded): `ARCHIVE/Data.pkl` is still torch's data.pkl.
        var folded = FixtureZip()
        folded.add("ARCHIVE/Data.pkl", Fixture.benignPickle)
        folded.add("archive/data/0", Fixture.maliciousPickle)
        #expect(Fixture.scan(folded.build()).verdict == .safe)
        // When the first entry is not in that directory, torch reads no `archive/data.pkl`: the
        // member is no storage of anything and is judged by content.
        var elsewhere = FixtureZip()
        elsewhere.add("other/readme", Array("hi".utf8))
        elsewhere.add("archive/data.pkl", Fixture.benignPickle)
        elsewhere.add("archive/data/0", Fixture.maliciousPickle)
        #expect(Fixture.scan(elsewhere.build()).verdict == .unsafe)
    }

    @Test func dataNamedMembersOutsideATorchArchiveAreJudgedByTheImportThreshold() {
        // No archive/data.pkl: `model/data/0` is no storage, and a protocol-0 payload there is a pickle.
        var zip = FixtureZip()
        zip.add("README.md", Array("# hi".utf8))
        zip.add("model/data/0", pickleBytes("cos\nsystem\n(S'echo pwned'\ntR."))
        let report = Fixture.scan(zip.build())
        #expect(report.verdict == .unsafe, "\(report.findings.map(\.detail))")
        #expect(report.findings.contains { $0.member == "model/data/0" && $0.callable == "os.system" })
        // Weights that start with opcode bytes and fail before any import are still just bytes.
        var weights = FixtureZip()
        weights.add("model/data/0", [UInt8](repeating: 0x28, count: 4096))
        #expect(Fixture.scan(weights.build()).verdict == .safe)
    }

    @Test func namesDifferingOnlyInCaseAreMalformed() {
        var zip = FixtureZip()
        zip.add("archive/data.pkl", Fixture.benignPickle)
        zip.add("archive/DATA.pkl", Fixture.benignPickle)
        let report = Fixture.scan(zip.build())
        #expect(report.verdict == .malformed)
        #expect(report.findings.contains { $0.kind == "zip-inconsistent" && $0.detail.contains("letter case") })
    }

    @Test func aWrongChecksumIsMalformedAndStillScanned() {
        var zip = torchZip(dataPkl: Fixture.benignPickle)
        zip.entries[0].crc = 0xDEAD_BEEF
        let report = Fixture.scan(zip.build())
        #expect(report.verdict == .malformed)
        #expect(report.findings.contains { $0.kind == "zip-inconsistent" && $0.detail.contains("CRC-32") && $0.member == "archive/data.pkl" })
        zip.entries[0].data = Fixture.maliciousPickle
        #expect(Fixture.scan(zip.build()).verdict == .unsafe)
        // Tensor storages are not read whole to check theirs.
        var storage = torchZip(dataPkl: Fixture.benignPickle)
        storage.entries[2].crc = 1
        #expect(Fixture.scan(storage.build()).verdict == .safe)
    }

    @Test func crc32MatchesZlib() {
        #expect(CRC32.update(0, Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.update(CRC32.update(0, Array("1234".utf8)), Array("56789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.of(MemorySource([])) == 0)
    }

    @Test func deflatedDataPklIsInflatedAndScanned() {
        var zip = FixtureZip()
        zip.entries.append(.init(
            name: "archive/data.pkl", data: Fixture.maliciousPickleDeflated, method: 8,
            uncompressedSize: Fixture.maliciousPickle.count))
        let report = Fixture.scan(zip.build())
        #expect(report.format == "pytorch-zip")
        #expect(report.verdict == .unsafe)
    }

    @Test func corruptDeflateIsMalformed() {
        var zip = FixtureZip()
        zip.entries.append(.init(name: "archive/data.pkl", data: [0xFF, 0xFF, 0xFF], method: 8, uncompressedSize: 100))
        #expect(Fixture.scan(zip.build()).verdict == .malformed)
    }

    @Test func unsupportedMethodIsMalformed() {
        var zip = FixtureZip()
        zip.entries.append(.init(name: "archive/data.pkl", data: [1, 2, 3], method: 12))
        let report = Fixture.scan(zip.build())
        #expect(report.verdict == .malformed)
        #expect(report.findings.contains { $0.detail.contains("unsupported compression method 12") })
    }

    @Test func duplicateNamesAreMalformed() {
        var zip = FixtureZip()
        zip.add("archive/data.pkl", Fixture.benignPickle)
        zip.add("archive/data.pkl", Fixture.benignPickle)
        let report = Fixture.scan(zip.build())
        #expect(report.verdict == .malformed)
        #expect(report.findings.contains { $0.kind == "zip-inconsistent" && $0.detail.contains("duplicate") })
    }

    @Test func localNameMismatchIsMalformed() {
        var zip = FixtureZip()
        zip.entries.append(.init(name: "archive/data.pkl", data: Fixture.benignPickle, localName: "archive/data.pkx"))
        let report = Fixture.scan(zip.build())
        #expect(report.verdict == .malformed)
        #expect(report.findings.contains { $0.kind == "zip-inconsistent" && $0.detail.contains("local header") })
    }

    @Test func overlappingEntriesAreMalformed() {
        var zip = FixtureZip()
        zip.add("archive/data.pkl", Fixture.benignPickle)
        zip.entries.append(.init(name: "archive/other.pkl", data: Fixture.benignPickle, localName: "archive/data.pkl", centralOffset: 0))
        let report = Fixture.scan(zip.build())
        #expect(report.verdict == .malformed)
        #expect(report.findings.contains { $0.detail.contains("overlaps") })
    }

    @Test func entryPastTheEndIsMalformed() {
        var zip = FixtureZip()
        zip.entries.append(.init(name: "archive/data.pkl", data: Fixture.benignPickle, centralCompressedSize: 1 << 30))
        let report = Fixture.scan(zip.build())
        #expect(report.verdict == .malformed)
        #expect(report.findings.contains { $0.detail.contains("past the end") })
    }

    @Test func encryptedFlagIsMalformedAndStillScanned() {
        var zip = FixtureZip()
        zip.entries.append(.init(name: "archive/data.pkl", data: Fixture.maliciousPickle, flags: 1))
        let report = Fixture.scan(zip.build())
        #expect(report.findings.contains { $0.kind == "zip-inconsistent" && $0.detail.contains("encrypted") })
        #expect(report.verdict == .unsafe)
    }

    @Test func zip64IsRead() {
        var zip = torchZip(dataPkl: Fixture.maliciousPickle)
        zip.zip64 = true
        let archive = ZipArchive(MemorySource(zip.build()), member: nil)
        #expect(archive.findings.isEmpty)
        #expect(archive.entries.map(\.name) == ["archive/data.pkl", "archive/byteorder", "archive/data/0", "archive/version"])
        #expect(Fixture.scan(zip.build()).verdict == .unsafe)
        zip.entries[0].data = Fixture.benignPickle
        #expect(Fixture.scan(zip.build()).verdict == .safe)
    }

    @Test func truncatedArchiveIsMalformed() {
        let bytes = torchZip(dataPkl: Fixture.benignPickle).build()
        #expect(Fixture.scan(Array(bytes.dropLast(30))).verdict == .malformed)
    }

    @Test func genericZipScansPickleMembers() {
        var zip = FixtureZip()
        zip.add("README.md", Array("# hi".utf8))
        zip.add("model.joblib", Fixture.maliciousPickle)
        let report = Fixture.scan(zip.build())
        #expect(report.verdict == .unsafe)
        var clean = FixtureZip()
        clean.add("README.md", Array("# hi".utf8))
        #expect(Fixture.scan(clean.build()).format == "zip")
        #expect(Fixture.scan(clean.build()).verdict == .safe)
    }

    @Test func nestedZipIsOpened() {
        var inner = FixtureZip()
        inner.add("archive/data.pkl", Fixture.maliciousPickle)
        var outer = FixtureZip()
        outer.add("inner.zip", inner.build())
        let report = Fixture.scan(outer.build())
        #expect(report.verdict == .unsafe)
        #expect(report.findings.contains { $0.member == "inner.zip/archive/data.pkl" })
    }
}

@Suite struct InflateTests {
    private static let dynamicText: [UInt8] = {
        let words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"].map { Array($0.utf8) }
        var out: [UInt8] = []
        var x: UInt64 = 12345
        for _ in 0..<3000 {
            x = (x &* 1_103_515_245 &+ 12345) & 0x7FFF_FFFF
            out += words[Int((x >> 16) % 8)] + [x % 7 == 0 ? 0x0A : 0x20]
        }
        return out
    }()

    private static let dynamicDeflated = Fixture.hex("8d5bcb8edc460cbcf32be6d7b611210e602706b2277e7dbc2badba5e9473f0787666d4eae6b358a48e9ffffef5fd9fbf5fc7f57f1fef6faf3fdf7efc787bbd7ffbf5be3e3ff878a9f3d3f3f5f383af6bfe38befffacdc7279f975c7fbf7dfff9ededb53e3eb87e78ae757e7e2efef9ed79d1f971c3cfed7fd8db7dcbebbaf3efcfef0a767fbddeef0a36b53e8f70bda165602bb49ffbb2d7a2b56bef0b3ec78bb610af8d5f5f9e773ab7bd50a42cdabdf65e1fbf8952eb7ba3f76951d2b6d392ffaf6ff7bde92e20c873fb74de2fa1a054b7957cdd480dea7cc15f9f5b00bda3864178affbc2a20dd6d7f1b7bda0dcce1540dd6e052084b86f9607a8268bd1f5ee87869d7cdd312b0eae17bbde5a8025cd62b6739c1f92af6e6f0157cde679df709b5cb289eb0f96c4be73d191618705fa3fb58a1e0e47a3dbf16d400c1a7270618b3ca3cbc5054fc593cfa2115430050a9916e07a5fb5d54cd6b0245e5f771aa251054d6cf3afe3c106c14371cbb4209e8f54924eceeaba6dbbd029e927e71a7744db0ebed88cdd89c9616d0d3424925e0aa8a8e2a54bb0935a1a84b7e22949662ffd169c5436f84ea18c230f390b7f7feb5c82092be4ba68abe07c1b5c2e1a321b1bc705b60e7cf503a6287e48a2205d3c84285cb7f9b0180d209281eda1f59ff208f8642fa8780a2d12cc088f8d82587700dcf287cdacade1d332d17bc060ce03b5002dc45c094ae1f2e87d66a02401307357cb12230111b47c35602f754b8e14ae8b32f0ba188d159ad0213072898d0088633bb3948e9ac00b34977bd0823b6febe5bbcd3ed09ccf8be27a6d851687c3d2fda39763dab1dcbbe330878400833916b838e6cc71c4586e3227ec23de99d24e6d19a68d16eba05c490aac4a5dba10d939b06418d6a31becdf84edb71f36c6597595801b5979b0eb8208820b5859e551dc10276fe35c9ead65f209133a49438ef92ec9de4084fd3cd6513b885c6f43a58aaab64a00c4db9cfb3508685e540fc7929a565338d17466c09274292f9441cf55cbbc070185fc2e0ea3065c98a3f87b4b8829ae1a34cea8dd137db018f5c2c87058c2b775ca925b32c96a650d48c35bafa5c5a057cd5e20518878ae303d212bd8b08c6780b8b46eb0b4ba72fe03bd10301a80b2d5c4b04948c6097089efa17b3e6188af3824e7456c1d6cd32aa61eaaa06b0947f92b0056d9e136d4412cb817be4833a8d5cde2afbf4ddc29bed21d3b506fe4832c2f44b5125cc860d067ca5c0d8cd0918a9aa1448e35497069d56dc13b8513af5a2dcf7231d504f54354a0bb70c82fa903b26d0f3e66ec83038d98b3e64a7f4781c40a184410d836a068c4e911e98b8cb13a53bc2d05a1579ac20e7026745a21da45f500888b324ea09474a3cb1945ab0fdcd2d713b8ec6ca4e56901f3f55e6925661d41b0121b958aec329a7d2c1e503ef88af91a92438783af2926b725a5e5c6eb048422976084c9fec7ac20e69c100d11951afdf2f1b54d02063a406c53f6ffa5b1adfa50663e31a218d0383862b28e89625b93e25e2bf543b8e6ea724bb0bc52577640cd29d51716f28ce6dec2d17706c8125c5606ab528656f4ea0d3b97957bbf910b14a7529f6aefad3a4a8393ef9c483dd7046652c19ba332eb7e50e58ffc16711c434bc0a9aee0b1c4c9496a983c82a382daaf670af4daa786d05df899cba1c151f8c0d88cfacf192fa013626e13b31240ab97acd47cbb5d14b56e3cc58436a4002bebf4b2f4ad94cf25b0f55a2b311c397392a170be332bd4f68cbac04a603edd812a9048af2a27c14c527ba36e69a6f060bec28bd5229d389ad07b8c5448c4f8167fb5884af9ca5ba1afb8d66d95d0a42c276e7c2222a8bad66355a1a55a79c6454fc15f822839d818e5979bb5d8e6dc8de1003bf90267607053b1cd398d250c90d04858476d7537c1a746e65452ef864b1fa13ba1c6d44c7cf016b96b5914eb2a53ecb18f36c462a1a5aa87a6cc0afccea35354a87b4adcb3ccb7d6144acd105d27c5a2f7a2c8eac684013a30c1e4e6491c8126a9c085e051cc00359779891266677293acb985df237e156649fa7948dc3397d5c3e4449e819114f454b7595551160acaa02d4e41a1d6653c89fb1d3e2433011535734b5c8ebb11bd0dada64e36e33343eac765e8e88ed263ac06cf6635ba8b70e3cf4aee3b0cad347f50366e137b21afd819ad04f9c45f7b62a8536e77269059590f6f4fc31b81cbf5667638b9932a915ecbc3316929e8c0ae3073730cb0245774a1a3879048c8c55720dc06d03c351938980c4342314b96c6472744e2908c283d95c606dfcae61fd6f15cb2924cb4d4b4c6fa21f88a4381eebd5357e5376d6fcd0ec05078368b033f5381239a689e5fd5145b73bbbfe2118750e609dce8002c5074e9105bca4721bcace12190d0837e822ca1126f86716bc4a9402f84ecbd8ea181e8d33b3dccf00d5cd1d0c02919f398aaf6004957860a653dbab2d1f19c3db8da77fce1dcfd4e9c2b4263ef11d8b8d6c8f7f97ccec8e9a0c7498157639ad0a867b50f972a81ce4919320f063c10c9e6731dc983e0721d7b6b4624b3f57bb84ef49e4e0768bbb223e5744c73b1af87fe576957a6a8d65843e6f6620cb16a1f63df7722ee5f9ae37d1c5d9a29565e1578db9abac7e3c8d0d06613a6ac2c965b856031da86e963d75bfa0c0e15a06ad83447c7a6a46c74e246b386faf049149e92e659f6c1579e3bbeb5060f282172c2ec8a7534360f39f5a8e3b881e9c5e7c4a791fd95e1c454846a4a7744bb22388873d416e5b913e7724d4f6a1c839e6ef3b186467b09611eb31f71b1db4c93741cded3c317f3e85ba682bc45252d338d04982533fedeed099bf049d0330c6f70a9db01510f7be7f2c459dd9e79410b1ee6103541a9d4cce9381450ee4b03bb9c2a6279c06a7a406c24bbb1d6d082293f98835bd73982088986b98ff8b0910fb36ad32c640e27827c00b826e4fb30c68b20241398436bd80b93cef3c8a16555d64a4b05bf31daa28195aaa18a89e8819cd74ebfb6dd5d5b6b7890ef18c38c0e39d60c3bb1aca452414693c3333f9272d0836d7c27d0330652b9e9dd434f627a5c446abdf024533da7c3e7894b3c9786dfc148c60ce5cdd49ca8ac211a5083c3ea65b47a98a001372c1bb74cd36f068a1fc27ae8265aa49a9e0f7488956043aba4b0386317a95c5a4ae2adc4bc846ec6546b79c1ad4f6d40e2ade7e796d3507f1e37ca7408dea3254485e9a62700387127568755d68fc5b925583b400edd9f01e2e74e537c86391a9171cb9adafb99f38b3d4d2b622c163633caaf7998586f60a551a6567028b519ed4d85aa45302d9cd24373c94e95d51a1ed3f6c49e27116ded7a843ba10daecf9f1ab93f32f386c3141ff4f058ed8a9c511a9889984e1b1cc66658caf0099b9d9b049671eba226574a281fa92e7a4ec2536cee22ac38826e0d832c8d8041655a8bfecda5eef02cd1a3f0816971542f8c601a16fd0f")

    @Test func dynamicHuffmanBlock() {
        guard case .complete(let bytes) = Inflater.inflate(MemorySource(Self.dynamicDeflated), limit: 1 << 20) else {
            Issue.record("inflate failed")
            return
        }
        #expect(bytes == Self.dynamicText)
    }

    @Test func fixedAndStoredBlocks() {
        guard case .complete(let fixed) = Inflater.inflate(MemorySource(Fixture.maliciousPickleDeflated), limit: 1 << 20),
            case .complete(let stored) = Inflater.inflate(MemorySource(Fixture.hex("010300fcff616263")), limit: 1 << 20)
        else {
            Issue.record("inflate failed")
            return
        }
        #expect(fixed == Fixture.maliciousPickle)
        #expect(stored == Array("abc".utf8))
    }

    @Test func outputIsBounded() {
        guard case .truncated(let prefix) = Inflater.inflate(MemorySource(Self.dynamicDeflated), limit: 100) else {
            Issue.record("expected truncation")
            return
        }
        #expect(prefix == Array(Self.dynamicText.prefix(100)))
    }

    @Test func truncatedInputFails() {
        guard case .failed = Inflater.inflate(MemorySource(Array(Self.dynamicDeflated.prefix(200))), limit: 1 << 20) else {
            Issue.record("expected failure")
            return
        }
    }
}


@testable import PinS3
import Testing

@Suite struct S3XMLTests {
    func parse(_ text: String) throws(S3XMLError) -> S3XMLElement { try S3XML.parse(Array(text.utf8)) }

    @Test func listPartsResult() throws {
        let document = try parse("""
            <?xml version="1.0" encoding="UTF-8"?>
            <ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Bucket>models</Bucket><Key>blobs/sha256/ab</Key><UploadId>u-1</UploadId>
              <!-- a comment -->
              <Part><PartNumber>1</PartNumber><ETag>&quot;7ac66c0f148de9519b8bd264312c4d64&quot;</ETag><Size>5242880</Size></Part>
              <Part><PartNumber>2</PartNumber><ETag>"e"</ETag><Size>10</Size></Part>
              <IsTruncated>false</IsTruncated>
            </ListPartsResult>
            """)
        #expect(document.name == "ListPartsResult")
        #expect(document.value("UploadId") == "u-1")
        #expect(document.children("Part").count == 2)
        #expect(document.children("Part")[0].value("ETag") == "\"7ac66c0f148de9519b8bd264312c4d64\"")
        #expect(document.children("Part")[1].value("Size") == "10")
    }

    @Test func entitiesAndPrefixes() throws {
        let document = try parse("<s3:Error><s3:Message>a &lt;b&gt; &amp; &apos;c&apos; &#65;&#x42;</s3:Message><Empty/></s3:Error>")
        #expect(document.name == "Error")
        #expect(document.value("Message") == "a <b> & 'c' AB")
        #expect(document.value("Empty") == "")
    }

    @Test(arguments: [
        "", "<a>", "<a></b>", "<a>x</a><b/>", "<a>x</a>trailing", "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
        "<a>&x;</a>", "<a>&#0;</a>", "<a>&#xD800;</a>", "<a><![CDATA[x]]></a>", "<a><?pi x?></a>", "<a b=c></a>",
        "<a b=\"<\"></a>", "<a>&amp</a>", "< a></a>",
        "<!-- never closed <a></a>",
    ])
    func refuses(_ text: String) {
        #expect(throws: S3XMLError.self) { try parse(text) }
    }

    @Test func notUTF8TextIsRefused() {
        #expect(throws: S3XMLError.self) { try S3XML.parse(Array("<a>".utf8) + [0xFF, 0xFE] + Array("</a>".utf8)) }
    }

    @Test func deepNestingIsRefusedNotRecursedInto() {
        let deep = String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000)
        #expect(throws: S3XMLError.self) { try parse(deep) }
        let fine = String(repeating: "<a>", count: S3XML.maxDepth) + String(repeating: "</a>", count: S3XML.maxDepth)
        #expect(throws: Never.self) { try parse(fine) }
    }

    @Test func hugeDocumentsAreRefused() {
        let huge = [UInt8](repeating: 0x20, count: S3XML.maxSize + 1)
        #expect(throws: S3XMLError.self) { try S3XML.parse(huge) }
        let many = "<a>" + String(repeating: "<b/>", count: S3XML.maxElements + 1) + "</a>"
        #expect(throws: S3XMLError.self) { try parse(many) }
    }
}

import PinModel
import Testing

@Suite struct RepoIDTests {
    @Test(arguments: [
        ("acme/bert", RepoKind.model, "acme", "bert"),
        ("datasets/acme/squad", RepoKind.dataset, "acme", "squad"),
        ("datasets/datasets", RepoKind.model, "datasets", "datasets"),
        ("datasets/acme/datasets", RepoKind.dataset, "acme", "datasets"),
    ])
    func parsesKindOwnerAndName(text: String, kind: RepoKind, owner: String, name: String) throws {
        let id = try RepoID(parsing: text)
        #expect(id.kind == kind)
        #expect(id.owner == owner)
        #expect(id.name == name)
        #expect(id.description == text)
        #expect(id.ownerAndName == owner + "/" + name)
    }

    @Test(arguments: ["datasets/acme/x/y", "datasets/", "datasets//x", "models/acme/x", "spaces/acme/x"])
    func refusesMalformedPrefixedIds(text: String) {
        #expect(throws: RepoIDError.self) { try RepoID(parsing: text) }
    }

    @Test func aDatasetAndAModelWithTheSameNameDiffer() throws {
        let model = try RepoID(parsing: "acme/x")
        let dataset = try RepoID(owner: "acme", name: "x", kind: .dataset)
        #expect(model != dataset)
        #expect(dataset.description == "datasets/acme/x")
        #expect(model < dataset)
    }
}

import Testing

/// One attack on the pull path, as the adversarial review reproduced it: a hostile Hub, a
/// hostile model author, a hostile pull request (an edited modelpin.toml or modelpin.lock) or a
/// local user who can write the model directory. `item` is the review's number for it, so a
/// row and the issue that reported it can be read side by side.
struct HostileCase: Sendable, CustomTestStringConvertible {
    let item: Int
    let name: String
    /// Sets the attack up against real parts (the fake Hub, the built binary, real gpg keys),
    /// runs modelpin, and expects it to refuse cleanly with nothing written where it must not be.
    let attack: @Sendable () throws -> Void

    init(_ item: Int, _ name: String, attack: @escaping @Sendable () throws -> Void) {
        self.item = item
        self.name = name
        self.attack = attack
    }

    var testDescription: String { "#\(item) \(name)" }
}

/// The rows live beside the mechanism they exercise (`HostileCases+Store.swift`,
/// `+Paths.swift`, `+Trust.swift`); this table runs them all, in the review's order.
enum HostileCases {
    static var all: [HostileCase] {
        (store + paths + trust).sorted { ($0.item, $0.name) < ($1.item, $1.name) }
    }
}

@Suite("hostile Hub, author, pull request and local user: one row per attack")
struct HostileHubTests {
    @Test(arguments: HostileCases.all)
    func refusesTheAttack(_ row: HostileCase) throws {
        try row.attack()
    }
}

import PinModel

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The revision answer's `cardData`, read leniently: each field the card metadata spec defines is
/// taken when it has the spec's shape (a string, or a list of strings where the spec allows one)
/// and left out otherwise. The card is its owner's free text; a field in another shape is no
/// reason to refuse a download, and a value in the wrong shape is never guessed at.
struct HubCardData: Decodable {
    let metadata: ModelCardMetadata

    /// Longer strings and lists are not card metadata; they are left out.
    static let maximumText = 4096
    static let maximumItems = 1024

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: ModelCardMetadata.Field.self)
        func list(_ key: ModelCardMetadata.Field) -> [String] {
            if let one = text(key) { return [one] }
            guard let many = try? container.decodeIfPresent([String].self, forKey: key), many.count <= Self.maximumItems else { return [] }
            return many.filter { !$0.isEmpty && $0.utf8.count <= Self.maximumText }
        }
        func text(_ key: ModelCardMetadata.Field) -> String? {
            guard let value = try? container.decodeIfPresent(String.self, forKey: key), !value.isEmpty,
                  value.utf8.count <= Self.maximumText
            else { return nil }
            return value
        }
        metadata = ModelCardMetadata(
            licenses: list(.licenses), licenseName: text(.licenseName), licenseLink: text(.licenseLink),
            pipelineTag: text(.pipelineTag), datasets: list(.datasets), baseModels: list(.baseModels), tags: list(.tags),
            languages: list(.languages), libraryName: text(.libraryName))
    }
}

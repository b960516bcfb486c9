/// Real Hub organisations whose names look like an affixed, shortened or renamed brand.
///
/// An owner that exists on the Hub cannot be registered by an impostor, so these are never
/// called lookalikes: they are other publishers (unlisted unless allowed). Without this list
/// the affix rules would flag `FacebookAI` next to an allowed `facebook` and `CohereLabs` next
/// to `Cohere`, exactly the shapes they catch in `nvidiaai` and `MistralLM`. Only names that the
/// rules would otherwise flag need to be here, and each must be an organisation verified on the
/// Hub (its owner's own account), not merely a popular one: this is a precision list, not trust.
enum KnownOrganisations {
    static let names: Set<[UInt8]> = Set([
        "facebookai", "coherelabs", "cohereforai", "openai-community", "google-bert", "google-t5",
        "huggingfacem4", "huggingfaceh4", "huggingfacetb", "mistral-community", "nousresearch",
    ].map { Array($0.utf8) })

    /// Whether `folded` (ASCII-lowercased) is one of them.
    static func isReal(_ folded: [UInt8]) -> Bool {
        names.contains(folded)
    }
}

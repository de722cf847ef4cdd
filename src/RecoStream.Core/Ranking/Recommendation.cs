namespace RecoStream.Core.Ranking;

/// <summary>An answer to a recommend request.</summary>
/// <param name="User">The user asked about.</param>
/// <param name="Items">Best first.</param>
/// <param name="Source"><c>model</c> for a known user; <c>popular</c> when the user is unknown and the most popular items stand in.</param>
public sealed record Recommendation(string User, IReadOnlyList<ScoredItem> Items, string Source)
{
    /// <summary>Source of a personalised answer.</summary>
    public const string ModelSource = "model";

    /// <summary>Source of the popularity fallback for unknown users; scores are interaction counts.</summary>
    public const string PopularSource = "popular";
}

/// <summary>An item with its score.</summary>
public readonly record struct ScoredItem(string Item, float Score);

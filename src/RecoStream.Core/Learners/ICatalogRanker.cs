using System.Diagnostics.CodeAnalysis;
using RecoStream.Core.Ranking;

namespace RecoStream.Core.Learners;

/// <summary>
/// A learner that can pick a user's best items of a catalog without scoring every item exactly. What it picks is what
/// <see cref="TopKSelector.Select"/> picks from the scores of <see cref="IOnlineLearner.ScoreItems(string, IReadOnlyList{string}, Span{float})"/>:
/// the same items, in the same order, with the same scores to the bit.
/// </summary>
public interface ICatalogRanker
{
    /// <summary>
    /// The user's k best items of <paramref name="items"/> (an append-only catalog), leaving out the indices in
    /// <paramref name="excluded"/>; best first, ties to the lower index. False, with nothing done, when this learner cannot
    /// rank this user or catalog that way now (the caller then scores the catalog).
    /// </summary>
    bool TryRankItems(string user, IReadOnlyList<string> items, int k, IReadOnlySet<int> excluded,
        [NotNullWhen(true)] out List<(int Index, float Score)>? top);
}

using RecoStream.Core.Learners;
using RecoStream.Core.Ranking;

namespace RecoStream.Core.Evaluation;

/// <summary>Where an item ranks, by a learner's scores, among the items a user has not interacted with.</summary>
public static class TopTenRank
{
    /// <summary>
    /// The 0-based rank of <paramref name="item"/> among the catalog items not in <paramref name="seen"/> (distinct item
    /// indexes, see <see cref="InteractionHistory.SeenItems"/>), ties going
    /// against it (an item scored like many others is not a confident hit); <see cref="int.MaxValue"/> when the item
    /// is not in the catalog yet (no learner can recommend an item it has never seen).
    /// </summary>
    public static int Of(IOnlineLearner learner, string user, string item, ItemCatalog catalog, ReadOnlySpan<int> seen, ref float[] scratch)
    {
        if (!catalog.TryGetIndex(item, out var target))
        {
            return int.MaxValue;
        }

        var n = catalog.Count;
        if (scratch.Length < n)
        {
            scratch = new float[Math.Max(n, scratch.Length * 2)];
        }

        var scores = scratch.AsSpan(0, n);
        learner.ScoreItems(user, catalog.Ids, scores);
        var score = scores[target];
        // The items scored at least as high, less those the user has seen (each listed once): one pass over
        // the scores and one over the seen items, not a lookup per item.
        var rank = 0;
        for (var i = 0; i < n; i++)
        {
            rank += scores[i] >= score ? 1 : 0;
        }

        rank -= float.IsNaN(score) ? 0 : 1; // the target itself, unless its score is NaN (which nothing reaches)
        foreach (var i in seen)
        {
            if (i != target && (uint)i < (uint)n && scores[i] >= score)
            {
                rank--;
            }
        }

        return rank;
    }
}

using RecoStream.Core.Learners;

namespace RecoStream.Core.Ranking;

/// <summary>
/// Serves top-k: scores the whole catalog with the serving learner and keeps the best k the user has not
/// interacted with. An unknown user gets the most popular items, flagged as <see cref="Recommendation.PopularSource"/>.
/// </summary>
public sealed class Recommender
{
    private readonly Func<IOnlineLearner> _learner;
    private readonly ItemCatalog _catalog;
    private readonly InteractionHistory _history;
    private float[] _scores = [];
    private float[] _manyScores = [];

    public Recommender(IOnlineLearner learner, ItemCatalog catalog, InteractionHistory history)
        : this(() => learner, catalog, history)
    {
    }

    /// <summary>A recommender that asks <paramref name="servingLearner"/> for the learner to use at each request.</summary>
    public Recommender(Func<IOnlineLearner> servingLearner, ItemCatalog catalog, InteractionHistory history)
    {
        _learner = servingLearner;
        _catalog = catalog;
        _history = history;
    }

    /// <summary>The user's top-k unseen items.</summary>
    public Recommendation Recommend(string user, int k)
    {
        var n = _catalog.Count;
        var scores = Scratch(ref _scores, n);
        if (_history.TryGetItems(user, out var seen))
        {
            var learner = _learner();
            if (learner is ICatalogRanker ranker && ranker.TryRankItems(user, _catalog.Ids, k, seen, out var top))
            {
                return Result(user, top, Recommendation.ModelSource);
            }

            learner.ScoreItems(user, _catalog.Ids, scores);
            return Top(user, scores, k, seen, Recommendation.ModelSource);
        }

        return Popular(user, scores, k, seen);
    }

    /// <summary>
    /// The top-k of several users, each exactly as <see cref="Recommend(string, int)"/> gives it; the users the model
    /// scores are ranked by the learner when it can (<see cref="ICatalogRanker"/>), else scored in one pass over the items
    /// (the learner reads each item row once for all of them).
    /// </summary>
    public IReadOnlyList<Recommendation> Recommend(IReadOnlyList<(string User, int K)> requests)
    {
        var results = new Recommendation[requests.Count];
        var scored = new List<int>(requests.Count);
        var users = new List<string>(requests.Count);
        var seen = new IReadOnlySet<int>[requests.Count];
        var learner = _learner();
        var ranker = learner as ICatalogRanker;
        for (var r = 0; r < requests.Count; r++)
        {
            if (_history.TryGetItems(requests[r].User, out seen[r]))
            {
                if (ranker is not null && ranker.TryRankItems(requests[r].User, _catalog.Ids, requests[r].K, seen[r], out var top))
                {
                    results[r] = Result(requests[r].User, top, Recommendation.ModelSource);
                    continue;
                }

                scored.Add(r);
                users.Add(requests[r].User);
            }
            else
            {
                results[r] = Popular(requests[r].User, Scratch(ref _scores, _catalog.Count), requests[r].K, seen[r]);
            }
        }

        var n = _catalog.Count;
        if (users.Count > 0)
        {
            var scores = Scratch(ref _manyScores, users.Count * n);
            learner.ScoreItems(users, _catalog.Ids, scores);
            for (var u = 0; u < scored.Count; u++)
            {
                var r = scored[u];
                results[r] = Top(requests[r].User, scores.Slice(u * n, n), requests[r].K, seen[r], Recommendation.ModelSource);
            }
        }

        return results;
    }

    private Recommendation Popular(string user, Span<float> scores, int k, IReadOnlySet<int> seen)
    {
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = _catalog.Counts[i];
        }

        return Top(user, scores, k, seen, Recommendation.PopularSource);
    }

    private Recommendation Top(string user, Span<float> scores, int k, IReadOnlySet<int> seen, string source) =>
        Result(user, TopKSelector.Select(scores, k, seen), source);

    private Recommendation Result(string user, List<(int Index, float Score)> top, string source)
    {
        var items = new ScoredItem[top.Count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = new ScoredItem(_catalog.Ids[top[i].Index], top[i].Score);
        }

        return new Recommendation(user, items, source);
    }

    /// <summary>The first <paramref name="length"/> floats of a scratch buffer, grown (doubling) when too short.</summary>
    private static Span<float> Scratch(ref float[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new float[Math.Max(length, buffer.Length * 2)];
        }

        return buffer.AsSpan(0, length);
    }
}

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
        if (_scores.Length < n)
        {
            _scores = new float[Math.Max(n, _scores.Length * 2)];
        }

        var scores = _scores.AsSpan(0, n);
        string source;
        if (_history.TryGetItems(user, out var seen))
        {
            _learner().ScoreItems(user, _catalog.Ids, scores);
            source = Recommendation.ModelSource;
        }
        else
        {
            for (var i = 0; i < n; i++)
            {
                scores[i] = _catalog.Counts[i];
            }

            source = Recommendation.PopularSource;
        }

        var top = TopKSelector.Select(scores, k, seen);
        var items = new ScoredItem[top.Count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = new ScoredItem(_catalog.Ids[top[i].Index], top[i].Score);
        }

        return new Recommendation(user, items, source);
    }
}

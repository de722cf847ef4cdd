using RecoStream.Core.Events;
using RecoStream.Core.Learners;
using RecoStream.Core.Ranking;

namespace RecoStream.Core.Tests;

public class TopKSelectorTests
{
    [Fact]
    public void Select_ReturnsBestFirstAndSkipsExcluded()
    {
        float[] scores = [0.5f, 3f, 2f, 9f, 1f, 8f];

        var top = TopKSelector.Select(scores, 3, new HashSet<int> { 3 });

        Assert.Equal([(5, 8f), (1, 3f), (2, 2f)], top);
    }

    [Fact]
    public void Select_KLargerThanCandidates_ReturnsAllSorted()
    {
        var top = TopKSelector.Select([1f, float.NaN, 2f], 10, new HashSet<int>());
        Assert.Equal([(2, 2f), (0, 1f)], top);
    }

    [Fact]
    public void Select_Ties_PreferLowerIndex()
    {
        var top = TopKSelector.Select([1f, 1f, 1f, 1f], 2, new HashSet<int>());
        Assert.Equal([(0, 1f), (1, 1f)], top);
    }

    [Fact]
    public void Select_MatchesFullSortOnRandomScores()
    {
        var rng = new Random(5);
        var scores = Enumerable.Range(0, 5000).Select(_ => (float)rng.NextDouble()).ToArray();
        var excluded = Enumerable.Range(0, 5000).Where(i => i % 3 == 0).ToHashSet();

        var top = TopKSelector.Select(scores, 25, excluded);

        var expected = scores.Select((s, i) => (i, s)).Where(p => !excluded.Contains(p.i))
            .OrderByDescending(p => p.s).ThenBy(p => p.i).Take(25).ToList();
        Assert.Equal(expected, top);
    }
    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(64)]
    public void Select_MatchesFullSort_WithTiesNaNsAndExclusions(int k)
    {
        var rng = new Random(k);
        // Few distinct values, so most scores tie; NaNs and exclusions among the first k too.
        var scores = Enumerable.Range(0, 3000).Select(_ => rng.Next(10) == 0 ? float.NaN : rng.Next(12)).ToArray();
        var excluded = Enumerable.Range(0, 3000).Where(_ => rng.Next(4) == 0).ToHashSet();

        var top = TopKSelector.Select(scores, k, excluded);

        var expected = scores.Select((s, i) => (i, s)).Where(p => !float.IsNaN(p.s) && !excluded.Contains(p.i))
            .OrderByDescending(p => p.s).ThenBy(p => p.i).Take(k).ToList();
        Assert.Equal(expected, top);
    }
}

public class TopKSelectorBoundTests
{
    private static List<(int, float)> FullSort(float[] scores, int k, HashSet<int> excluded) =>
        scores.Select((s, i) => (i, s)).Where(p => !float.IsNaN(p.s) && !excluded.Contains(p.i))
            .OrderByDescending(p => p.s).ThenBy(p => p.i).Take(k).ToList();

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(100)]
    public void Select_GrowingScores_WithTheBestExcluded_MatchesFullSort(int k)
    {
        // Scores that grow along the catalog (each new block beats the last), the very best of them excluded, so
        // the block maxima that would otherwise set the bound are excluded scores; a length that is not a whole
        // number of blocks.
        var scores = Enumerable.Range(0, 10_007).Select(i => i * 0.001f).ToArray();
        var excluded = Enumerable.Range(9_800, 207).Where(i => i % 5 != 0).ToHashSet();
        var expected = FullSort(scores, k, excluded);

        Assert.Equal(expected, TopKSelector.Select(scores, k, excluded));
    }

    [Fact]
    public void Select_FewerValidScoresThanK_ReturnsThemAll_InfinitiesIncluded()
    {
        var scores = Enumerable.Repeat(float.NaN, 1000).ToArray();
        scores[3] = float.NegativeInfinity;
        scores[500] = 2f;
        scores[700] = float.PositiveInfinity;
        scores[999] = 2f;
        var excluded = new HashSet<int> { 999, 5000 };

        Assert.Equal([(700, float.PositiveInfinity), (500, 2f), (3, float.NegativeInfinity)], TopKSelector.Select(scores, 10, excluded));
    }

    [Fact]
    public void Select_ManyBlocksAndRandomOrder_MatchesFullSort()
    {
        var rng = new Random(11);
        var scores = Enumerable.Range(0, 200_000).Select(_ => rng.Next(50) == 0 ? float.NaN : (float)rng.NextDouble()).ToArray();
        var excluded = Enumerable.Range(0, 1000).Select(_ => rng.Next(200_000)).ToHashSet();
        var expected = FullSort(scores, 50, excluded);

        Assert.Equal(expected, TopKSelector.Select(scores, 50, excluded));
        // Excluded scores are overwritten with NaN; the others are left as they were.
        Assert.All(excluded, i => Assert.True(float.IsNaN(scores[i])));
    }
}

public class RecommenderTests
{
    private static (Recommender, LinearLearner, ItemCatalog, InteractionHistory) Build()
    {
        var learner = new LinearLearner(new LinearLearnerOptions { HashBits = 16, LearningRate = 0.1 });
        var catalog = new ItemCatalog();
        var history = new InteractionHistory(100);
        return (new Recommender(learner, catalog, history), learner, catalog, history);
    }

    private static void Interact(LinearLearner learner, ItemCatalog catalog, InteractionHistory history, string user, string item, double label)
    {
        learner.Learn(new UserEvent(user, item, EventType.Rating, label, 0, [], []), label);
        history.Record(user, catalog.Record(item));
    }

    [Fact]
    public void Recommend_KnownUser_ExcludesItemsTheUserHasSeenAndRanksByScore()
    {
        var (recommender, learner, catalog, history) = Build();
        for (var round = 0; round < 20; round++)
        {
            Interact(learner, catalog, history, "a", "good", 5);
            Interact(learner, catalog, history, "b", "good", 5);
            Interact(learner, catalog, history, "b", "bad", 1);
            Interact(learner, catalog, history, "c", "ok", 3);
        }

        var forA = recommender.Recommend("a", 10);
        var forC = recommender.Recommend("c", 10);

        Assert.Equal(Recommendation.ModelSource, forA.Source);
        Assert.Equal(["ok", "bad"], forA.Items.Select(i => i.Item));
        Assert.True(forA.Items[0].Score > forA.Items[1].Score);
        Assert.Equal(["good", "bad"], forC.Items.Select(i => i.Item));
    }

    [Fact]
    public void Recommend_UnknownUser_GetsMostPopularFlagged()
    {
        var (recommender, learner, catalog, history) = Build();
        Interact(learner, catalog, history, "a", "rare", 5);
        for (var i = 0; i < 3; i++)
        {
            Interact(learner, catalog, history, "u" + i, "common", 1);
        }

        var answer = recommender.Recommend("stranger", 5);

        Assert.Equal(Recommendation.PopularSource, answer.Source);
        Assert.Equal([new ScoredItem("common", 3), new ScoredItem("rare", 1)], answer.Items);
    }

    [Fact]
    public void Recommend_EmptyCatalog_ReturnsNoItems()
    {
        var (recommender, _, _, _) = Build();
        Assert.Empty(recommender.Recommend("anyone", 3).Items);
    }

    [Fact]
    public void InteractionHistory_PerUserBound_ForgetsOldestItems()
    {
        var history = new InteractionHistory(3);
        foreach (var index in new[] { 1, 2, 3, 2, 4 })
        {
            history.Record("u", index);
        }

        Assert.True(history.TryGetItems("u", out var items));
        Assert.Equal(new HashSet<int> { 2, 3, 4 }, items.ToHashSet());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(1000)]
    public void InteractionHistory_KeepsTheMostRecentDistinctItems_AsAQueueAndASetWould(int max)
    {
        // The reference: a set for membership and a queue for age, what the history kept before its compact ring.
        var history = new InteractionHistory(max);
        var sets = new Dictionary<string, HashSet<int>>();
        var queues = new Dictionary<string, Queue<int>>();
        var rng = new Random(max);
        for (var n = 0; n < 20_000; n++)
        {
            var user = "u" + rng.Next(5);
            var item = rng.Next(max == 1000 ? 3000 : 12);
            history.Record(user, item);
            var set = sets.TryGetValue(user, out var s) ? s : sets[user] = [];
            var queue = queues.TryGetValue(user, out var q) ? q : queues[user] = new Queue<int>();
            if (set.Add(item))
            {
                queue.Enqueue(item);
                if (queue.Count > max)
                {
                    set.Remove(queue.Dequeue());
                }
            }

            if (n % 997 == 0)
            {
                Assert.True(history.TryGetItems(user, out var items));
                Assert.Equal(set.Count, items.Count);
                Assert.True(items.SetEquals(set));
                Assert.All(Enumerable.Range(0, 3000), i => Assert.Equal(set.Contains(i), items.Contains(i)));
            }
        }

        // Snapshots give each user's items oldest first, and a restored history goes on exactly alike.
        var snapshot = history.Snapshot();
        foreach (var entry in snapshot.Users)
        {
            Assert.Equal(queues[entry.User], entry.Items);
        }

        var restored = new InteractionHistory(max);
        restored.Restore(snapshot);
        foreach (var (user, queue) in queues)
        {
            history.Record(user, 5000);
            restored.Record(user, 5000);
            queue.Enqueue(5000);
            if (queue.Count > max)
            {
                queue.Dequeue();
            }
        }

        foreach (var entry in history.Snapshot().Users.Concat(restored.Snapshot().Users))
        {
            Assert.Equal(queues[entry.User], entry.Items);
        }
    }
}

public class RecommendManyTests
{
    public static TheoryData<string> Learners => ["mf", "implicit", "linear", "mf-batch"];

    private static IOnlineLearner Create(string kind) => kind switch
    {
        "mf" => new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 32 }),
        "implicit" => new ImplicitMatrixFactorization(new ImplicitMatrixFactorizationOptions { Rank = 64 }),
        "mf-batch" => new WindowedBatchLearner(new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 24 }), new WindowedBatchOptions()),
        _ => new LinearLearner(new LinearLearnerOptions { HashBits = 16 }),
    };

    [Theory]
    [MemberData(nameof(Learners))]
    public void RecommendMany_EqualsEachUsersOwnRecommendation(string kind)
    {
        // 1,000 items (several scoring blocks), users with and without a history, one with a history but never learned
        // from (so the learner has no row for it), one user asked for twice with different k.
        var learner = Create(kind);
        var catalog = new ItemCatalog();
        var history = new InteractionHistory(50);
        var rng = new Random(9);
        for (var n = 0; n < 20_000; n++)
        {
            var user = "u" + rng.Next(60);
            var item = "i" + rng.Next(1000);
            var rating = rng.Next(1, 6);
            var e = new UserEvent(user, item, EventType.Rating, rating, n * 1000L, [], []);
            if (learner.Learns(e) && user != "u5")
            {
                learner.Learn(e, rating);
            }

            history.Record(user, catalog.Record(item));
        }

        if (learner is WindowedBatchLearner batch)
        {
            batch.CloseWindow();
        }

        var recommender = new Recommender(learner, catalog, history);
        (string, int)[] requests = [("u1", 10), ("nobody", 5), ("u2", 25), ("u5", 10), ("u1", 3), ("u59", 1), ("u30", 100)];

        var many = recommender.Recommend(requests);

        Assert.Equal(requests.Length, many.Count);
        for (var r = 0; r < requests.Length; r++)
        {
            var one = recommender.Recommend(requests[r].Item1, requests[r].Item2);
            Assert.Equal(one.Source, many[r].Source);
            Assert.Equal(one.User, many[r].User);
            Assert.Equal(one.Items, many[r].Items);
        }

        Assert.Equal(Recommendation.PopularSource, many[1].Source);
        Assert.Equal(Recommendation.ModelSource, many[0].Source);
    }
}

using RecoStream.Core.Evaluation;
using RecoStream.Core.Events;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;
using RecoStream.Core.Ranking;
using RecoStream.Core.Routing;

namespace RecoStream.Core.Tests;

public class PrequentialEvaluatorTests
{
    [Fact]
    public void AddRank_HitsAndDiscountedGain_MatchDefinitions()
    {
        var evaluator = new PrequentialEvaluator();
        evaluator.AddRank(0);
        evaluator.AddRank(3);
        evaluator.AddRank(10);
        evaluator.AddRank(int.MaxValue);

        Assert.Equal(0.5, evaluator.RecallAt10);
        Assert.Equal((1.0 + 1.0 / Math.Log2(5)) / 4, evaluator.NdcgAt10, 12);
    }

    [Fact]
    public void AddClassification_LogLoss_MatchesDefinition()
    {
        var evaluator = new PrequentialEvaluator();
        evaluator.AddClassification(0.8, positive: true);
        evaluator.AddClassification(0.3, positive: false);

        Assert.Equal((-Math.Log(0.8) - Math.Log(0.7)) / 2, evaluator.LogLoss, 12);
    }

    [Fact]
    public void SlidingAuc_MatchesPairCountingAndForgetsOldEvents()
    {
        var auc = new SlidingAuc(4);
        Assert.True(double.IsNaN(auc.Value()));
        auc.Add(0.9, true);
        auc.Add(0.1, false);
        auc.Add(0.5, true);
        auc.Add(0.5, false);
        // Pairs (positive, negative): (0.9,0.1)=1 (0.9,0.5)=1 (0.5,0.1)=1 (0.5,0.5)=0.5 -> 3.5 / 4.
        Assert.Equal(0.875, auc.Value(), 12);

        // The window keeps the last 4: (0.5,T) (0.5,F) (0.2,T) (0.8,F) -> (0.5,0.5)=.5 (0.5,0.8)=0 (0.2,0.5)=0 (0.2,0.8)=0.
        auc.Add(0.2, true);
        auc.Add(0.8, false);
        Assert.Equal(0.125, auc.Value(), 12);
    }

    [Fact]
    public void SlidingMean_KeepsOnlyTheLastValues()
    {
        var mean = new SlidingMean(3);
        Assert.True(double.IsNaN(mean.Mean));
        foreach (var v in new[] { 10.0, 1, 2, 3 })
        {
            mean.Add(v);
        }

        Assert.Equal(2.0, mean.Mean, 12);
        for (var i = 0; i < 1000; i++)
        {
            mean.Add(0.1 * (i % 7));
        }

        Assert.Equal((0.1 * (997 % 7) + 0.1 * (998 % 7) + 0.1 * (999 % 7)) / 3, mean.Mean, 12);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(1000)]
    public void SlidingMean_OverManyWindows_IsTheMeanOfTheLastValues(int window)
    {
        // Several times round the ring and through the periodic re-summing, checked after every value.
        var mean = new SlidingMean(window);
        var rng = new Random(window);
        var values = new List<double>();
        for (var n = 0; n < (5 * window) + 3; n++)
        {
            values.Add((rng.NextDouble() * 100) - 50);
            mean.Add(values[^1]);
            Assert.Equal(values.TakeLast(window).Average(), mean.Mean, 9);
        }
    }

    [Fact]
    public void SlidingWindows_FollowRecentErrorsWhileCumulativeFiguresRemember()
    {
        var evaluator = new PrequentialEvaluator();
        for (var i = 0; i < PrequentialEvaluator.WindowSize; i++)
        {
            evaluator.Add(3, 5);
            evaluator.AddRank(50);
        }

        for (var i = 0; i < PrequentialEvaluator.WindowSize; i++)
        {
            evaluator.Add(4, 4);
            evaluator.AddRank(0);
        }

        Assert.Equal(0.0, Math.Sqrt(evaluator.SquaredErrorWindow.Mean), 12);
        Assert.Equal(1.0, evaluator.HitWindow.Mean, 12);
        Assert.Equal(Math.Sqrt(2.0), evaluator.Rmse, 12);
        Assert.Equal(0.5, evaluator.RecallAt10, 12);
    }

    [Fact]
    public void TopTenRank_CountsOnlyUnseenItemsScoredAtLeastAsHigh()
    {
        var learner = new LinearLearner(new LinearLearnerOptions { HashBits = 12, LearningRate = 0.5 });
        var catalog = new ItemCatalog();
        foreach (var (item, label) in new[] { ("a", 5.0), ("b", 4.0), ("c", 3.0), ("d", 2.0) })
        {
            catalog.Record(item);
            for (var n = 0; n < 30; n++)
            {
                learner.Learn(new UserEvent("other", item, EventType.Rating, label, 0, [], []), label);
            }
        }

        var scratch = Array.Empty<float>();
        Assert.Equal(2, TopTenRank.Of(learner, "u", "c", catalog, [], ref scratch));
        // With "a" already seen by the user it is not a candidate, so "c" moves up one place.
        Assert.Equal(1, TopTenRank.Of(learner, "u", "c", catalog, [0], ref scratch));
        Assert.Equal(0, TopTenRank.Of(learner, "u", "c", catalog, [1, 0], ref scratch));
        // Seen items scored lower, outside the catalog, or the item itself change nothing.
        Assert.Equal(2, TopTenRank.Of(learner, "u", "c", catalog, [3, 99, 2], ref scratch));
        Assert.Equal(int.MaxValue, TopTenRank.Of(learner, "u", "never-seen", catalog, [], ref scratch));
    }

    [Fact]
    public void IncrementalRoute_RanksPositiveEventsBeforeLearningThem()
    {
        var state = new ModelState(new FeatureOptions(), [new ImplicitMatrixFactorization(new ImplicitMatrixFactorizationOptions()), new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions())],
            "implicit", 100);
        var route = new IncrementalRoute(state, new LabelPolicy(new LabelOptions()), new EvaluationOptions { RankingEvery = 1 });

        route.Apply(StreamItem.ForEvent(1, new UserEvent("u1", "i1", EventType.Rating, 5, 0, [], [])));
        route.Apply(StreamItem.ForEvent(2, new UserEvent("u1", "i2", EventType.Rating, 2, 0, [], [])));
        route.Apply(StreamItem.ForEvent(3, new UserEvent("u2", "i1", EventType.View, null, 0, [], [])));

        // Positives: the rating 5 (its item unknown before it: a miss) and the view of i1 (the only candidate: a hit).
        foreach (var slot in state.Learners)
        {
            Assert.Equal(2, slot.Evaluator.Ranked);
            Assert.Equal(1, slot.Evaluator.Hits);
        }

        Assert.Equal(2, state.Learners[1].Evaluator.Count);
        Assert.Equal(0, state.Learners[0].Evaluator.Count);
        Assert.Equal(2, state.Learners[0].Evaluator.Learned);
    }
}

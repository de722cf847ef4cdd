using RecoStream.Core.Events;
using RecoStream.Core.Learners;

namespace RecoStream.Core.Tests;

public class WindowedBatchLearnerTests
{
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public WindowedBatchLearnerTests(Xunit.Abstractions.ITestOutputHelper output)
    {
        _output = output;
    }

    private static UserEvent Rating(string user, string item, double value, long ts = 0) => new(user, item, EventType.Rating, value, ts, [], []);

    private static BiasedMatrixFactorization Mf() => new(new BiasedMatrixFactorizationOptions { Rank = 8 });

    [Fact]
    public void Learn_WithinAWindow_PredictsWithTheModelOfTheLastClose()
    {
        var learner = new WindowedBatchLearner(Mf(), new WindowedBatchOptions { Epochs = 2 });

        var p1 = learner.Learn(Rating("u", "i", 5), 5);
        var p2 = learner.Learn(Rating("u", "i", 5), 5);
        var p3 = learner.Learn(Rating("u", "i", 5), 5);

        Assert.Equal(p1, p2);
        Assert.Equal(p2, p3);
        Assert.Equal(3, learner.Pending);
        learner.CloseWindow();
        Assert.Equal(0, learner.Pending);
        Assert.Equal(1, learner.WindowsClosed);
        Assert.True(learner.ScoreItem("u", "i") > p3);
    }

    [Fact]
    public void CloseWindow_WithNothingPending_IsNotAWindow()
    {
        var learner = new WindowedBatchLearner(Mf(), new WindowedBatchOptions());
        learner.CloseWindow();
        Assert.Equal(0, learner.WindowsClosed);
    }

    [Fact]
    public void Restore_WithAnOpenWindowAndReservoir_ContinuesIdentically()
    {
        var options = new WindowedBatchOptions { Epochs = 2, ReservoirSize = 20 };
        var original = new WindowedBatchLearner(Mf(), options);
        var rng = new Random(1);
        for (var n = 0; n < 130; n++)
        {
            original.Learn(Rating("u" + rng.Next(10), "i" + rng.Next(10), rng.Next(1, 6), n), rng.Next(1, 6));
            if ((n + 1) % 50 == 0)
            {
                original.CloseWindow();
            }
        }

        var restored = new WindowedBatchLearner(Mf(), options);
        restored.Restore(original.Snapshot());
        Assert.Equal(30, restored.Pending);

        for (var n = 0; n < 40; n++)
        {
            var e = Rating("u" + n % 10, "i" + n % 7, n % 5 + 1, 200 + n);
            Assert.Equal(original.Learn(e, n % 5 + 1), restored.Learn(e, n % 5 + 1));
        }

        Assert.Equal(original.ScoreItem("u3", "i4"), restored.ScoreItem("u3", "i4"));
    }

    [Fact]
    public void Restore_OpenWindowWithCategoricalFeatures_TrainsOnThemAtTheClose()
    {
        var options = new WindowedBatchOptions { Epochs = 5 };
        var original = new WindowedBatchLearner(new LinearLearner(new LinearLearnerOptions { HashBits = 12 }), options);
        for (var n = 0; n < 20; n++)
        {
            var e = new UserEvent("u", "i", EventType.Rating, null, n, [], []) { Categories = [n % 2 == 0 ? "device=phone" : "device=desktop"] };
            original.Learn(e, n % 2 == 0 ? 1 : 4);
        }

        var restored = new WindowedBatchLearner(new LinearLearner(new LinearLearnerOptions { HashBits = 12 }), options);
        restored.Restore(original.Snapshot());
        original.CloseWindow();
        restored.CloseWindow();

        var phone = new UserEvent("u", "i", EventType.Rating, null, 99, [], []) { Categories = ["device=phone"] };
        Assert.Equal(original.Predict(phone), restored.Predict(phone));
        Assert.NotEqual(original.Predict(phone), original.Predict(new UserEvent("u", "i", EventType.Rating, null, 99, [], [])));
    }

    [Fact]
    public void Restore_IncrementalSnapshot_KeepsWhatTheModelLearned()
    {
        var incremental = Mf();
        for (var n = 0; n < 500; n++)
        {
            incremental.Learn(Rating("u" + n % 20, "i" + n % 9, n % 9 == 0 ? 5 : 2), n % 9 == 0 ? 5 : 2);
        }

        var batch = new WindowedBatchLearner(Mf(), new WindowedBatchOptions());
        batch.Restore(incremental.Snapshot());

        Assert.Equal(incremental.ScoreItem("u3", "i0"), batch.ScoreItem("u3", "i0"));
        Assert.Equal(0, batch.Pending);
    }

    /// <summary>
    /// Ratings from a planted rank-2 matrix; halfway through, every item's profile is negated (tastes flip).
    /// Returns the prequential RMSE over the whole stream, over the last 5,000 events, and over the 5,000 after the shift.
    /// </summary>
    private static (double All, double Tail, double AfterShift) RunDriftingStream(IOnlineLearner learner, int window = 0)
    {
        var rng = new Random(11);
        const int Users = 60, Items = 50, Events = 60_000, Shift = 30_000;
        var pu = Enumerable.Range(0, Users).Select(_ => new[] { rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1 }).ToArray();
        var qi = Enumerable.Range(0, Items).Select(_ => new[] { rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1 }).ToArray();
        double sumAll = 0, sumTail = 0, sumAfter = 0;
        for (var n = 0; n < Events; n++)
        {
            var u = rng.Next(Users);
            var i = rng.Next(Items);
            var sign = n < Shift ? 1 : -1;
            var label = 3 + sign * 1.5 * (pu[u][0] * qi[i][0] + pu[u][1] * qi[i][1]) + 0.1 * (rng.NextDouble() - 0.5);
            var error = learner.Learn(Rating("u" + u, "i" + i, label, n * 1000L), label) - label;
            if (window > 0 && (n + 1) % window == 0)
            {
                ((WindowedBatchLearner)learner).CloseWindow();
            }

            sumAll += error * error;
            if (n >= Events - 5000)
            {
                sumTail += error * error;
            }

            if (n is >= Shift and < Shift + 5000)
            {
                sumAfter += error * error;
            }
        }

        return (Math.Sqrt(sumAll / Events), Math.Sqrt(sumTail / 5000), Math.Sqrt(sumAfter / 5000));
    }

    private static BiasedMatrixFactorization DriftMf() => new(new BiasedMatrixFactorizationOptions { Rank = 8, MinRating = -10, MaxRating = 20 });

    [Fact]
    public void BothModes_StationaryPartOfTheStream_Converge()
    {
        // Over the last 5,000 events (long after the shift) both forms have learned the new matrix.
        var incremental = RunDriftingStream(DriftMf());
        var batch = RunDriftingStream(new WindowedBatchLearner(DriftMf(), new WindowedBatchOptions { Epochs = 3 }), window: 2000);

        Assert.True(incremental.Tail < 0.2, $"incremental tail RMSE {incremental.Tail:F4}");
        Assert.True(batch.Tail < 0.2, $"windowed-batch tail RMSE {batch.Tail:F4}");
    }

    [Fact]
    public void IncrementalMode_AfterAPreferenceShift_RecoversFasterThanWindowedBatch()
    {
        var incremental = RunDriftingStream(DriftMf());
        var batch = RunDriftingStream(new WindowedBatchLearner(DriftMf(), new WindowedBatchOptions { Epochs = 3 }), window: 5000);

        _output.WriteLine($"RMSE after the shift: incremental {incremental.AfterShift:F4}, windowed-batch {batch.AfterShift:F4}; " +
                          $"whole stream {incremental.All:F4} vs {batch.All:F4}; last 5,000 {incremental.Tail:F4} vs {batch.Tail:F4}");

        // The margin this test states: over the 5,000 events after the shift the incremental learner's RMSE is at
        // most 80% of the windowed-batch learner's, which keeps predicting with the pre-shift model until its window closes.
        Assert.True(incremental.AfterShift < 0.8 * batch.AfterShift,
            $"after the shift: incremental {incremental.AfterShift:F4}, windowed-batch {batch.AfterShift:F4}");
    }
}

using RecoStream.Core.Events;
using RecoStream.Core.Processing;

namespace RecoStream.Core.Tests;

/// <summary>Each normalization mode against a two-pass computation over the values seen so far.</summary>
public class NormalizationModeTests
{
    private static double[] HeavyTailed(int n, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => Math.Exp(rng.NextDouble() * 8))];
    }

    private static FeatureNormalizer With(string feature, NormalizationMode mode) => new(new FeatureOptions
    {
        Clip = 100,
        Modes = new Dictionary<string, NormalizationMode> { [feature] = mode },
    });

    [Fact]
    public void MinMax_EachValue_IsScaledByTheBoundsSoFar()
    {
        var normalizer = With("price", NormalizationMode.MinMax);
        var values = HeavyTailed(300, 1);
        for (var i = 0; i < values.Length; i++)
        {
            var seen = values[..(i + 1)];
            var (min, max) = (seen.Min(), seen.Max());
            var expected = max > min ? (values[i] - min) / (max - min) : 0.0;
            Assert.Equal(expected, normalizer.NormalizeOne("price", values[i]), 12);
        }
    }

    [Fact]
    public void Log1p_IsTheSignedLogOfOnePlusTheValue()
    {
        var normalizer = With("dwell", NormalizationMode.Log1p);
        Assert.Equal(Math.Log(1001), normalizer.NormalizeOne("dwell", 1000), 12);
        Assert.Equal(-Math.Log(11), normalizer.NormalizeOne("dwell", -10), 12);
    }

    [Fact]
    public void Log1pZScore_IsTheZScoreOfTheLoggedValuesSoFar()
    {
        var normalizer = With("amount", NormalizationMode.Log1pZScore);
        var values = HeavyTailed(400, 2);
        for (var i = 0; i < values.Length; i++)
        {
            var actual = normalizer.NormalizeOne("amount", values[i]);
            var logged = values[..(i + 1)].Select(v => Math.Log(1 + v)).ToArray();
            var mean = logged.Average();
            var std = Math.Sqrt(logged.Sum(v => (v - mean) * (v - mean)) / logged.Length);
            Assert.Equal(std > 0 ? (logged[^1] - mean) / std : 0.0, actual, 9);
        }
    }

    [Fact]
    public void DefaultModes_EventFeaturesZScore_BehaviourFeaturesLog1pZScore()
    {
        var normalizer = new FeatureNormalizer(new FeatureOptions());
        Assert.Equal(NormalizationMode.ZScore, normalizer.ModeOf("price"));
        Assert.Equal(NormalizationMode.Log1pZScore, normalizer.ModeOf("user_events"));
        Assert.Equal(NormalizationMode.None, new FeatureNormalizer(new FeatureOptions { Normalize = false }).ModeOf("price"));
    }

    [Theory]
    [InlineData(NormalizationMode.ZScore)]
    [InlineData(NormalizationMode.MinMax)]
    [InlineData(NormalizationMode.Log1pZScore)]
    public void Restore_FromASnapshot_NormalizesTheNextValuesExactlyAsTheOriginal(NormalizationMode mode)
    {
        var original = With("x", mode);
        var values = HeavyTailed(200, 3);
        foreach (var v in values[..150])
        {
            original.NormalizeOne("x", v);
        }

        var restored = With("x", mode);
        restored.Restore(original.Snapshot());
        foreach (var v in values[150..])
        {
            Assert.Equal(original.NormalizeOne("x", v), restored.NormalizeOne("x", v));
        }
    }

    [Fact]
    public void Restore_WithAnotherConfiguredMode_StartsThatFeatureAfresh()
    {
        var original = With("x", NormalizationMode.ZScore);
        foreach (var v in HeavyTailed(50, 4))
        {
            original.NormalizeOne("x", v);
        }

        var restored = With("x", NormalizationMode.MinMax);
        restored.Restore(original.Snapshot());
        Assert.True(restored.TryGetStatistics("x", out var stats));
        Assert.Equal(0, stats.Count);
    }

    [Fact]
    public void Normalize_BehaviourFeatures_AreNormalizedInPlace()
    {
        var normalizer = new FeatureNormalizer(new FeatureOptions { Clip = 100 });
        var raw = new[] { 0.0, 10, 100, 1000 };
        var last = 0.0;
        foreach (var count in raw)
        {
            var e = new UserEvent("u", "i", EventType.View, null, 0, [], []) { HasBehaviour = true };
            e.Behaviour[BehaviourVector.UserEvents] = count;
            normalizer.Normalize(StreamItem.ForEvent(1, e));
            last = e.Behaviour[BehaviourVector.UserEvents];
        }

        var logged = raw.Select(v => Math.Log(1 + v)).ToArray();
        var mean = logged.Average();
        var std = Math.Sqrt(logged.Sum(v => (v - mean) * (v - mean)) / logged.Length);
        Assert.Equal((logged[^1] - mean) / std, last, 9);
    }
}

using RecoStream.Core.Events;
using RecoStream.Core.Processing;

namespace RecoStream.Core.Tests;

public class FeatureNormalizerTests
{
    private static double[] Samples(int n, int seed)
    {
        var rng = new Random(seed);
        var values = new double[n];
        for (var i = 0; i < n; i++)
        {
            values[i] = 2000 + 500 * (rng.NextDouble() - 0.5) + (i % 7) * 3.25;
        }

        return values;
    }

    [Fact]
    public void RunningStatistics_MatchTwoPassComputation()
    {
        var values = Samples(10_000, 1);
        var stats = new RunningStatistics();
        foreach (var v in values)
        {
            stats.Add(v);
        }

        var mean = values.Average();
        var variance = values.Sum(v => (v - mean) * (v - mean)) / values.Length;
        Assert.Equal(values.Length, stats.Count);
        Assert.Equal(mean, stats.Mean, 9);
        Assert.Equal(variance, stats.Variance, 6);
    }

    [Fact]
    public void RunningStatistics_LargeOffset_StaysAccurate()
    {
        // The naive sum-of-squares formula loses all precision here; Welford's does not.
        var values = Samples(1000, 2).Select(v => v + 1e9).ToArray();
        var stats = new RunningStatistics();
        foreach (var v in values)
        {
            stats.Add(v);
        }

        var mean = values.Average();
        var variance = values.Sum(v => (v - mean) * (v - mean)) / values.Length;
        Assert.Equal(variance, stats.Variance, 3);
    }

    [Fact]
    public void NormalizeOne_EachValue_IsZScoreAgainstStatisticsIncludingIt()
    {
        var normalizer = new FeatureNormalizer(new FeatureOptions { Clip = 100 });
        var values = Samples(500, 3);
        for (var i = 0; i < values.Length; i++)
        {
            var z = normalizer.NormalizeOne("amount", values[i]);

            var seen = values[..(i + 1)];
            var mean = seen.Average();
            var sd = Math.Sqrt(seen.Sum(v => (v - mean) * (v - mean)) / seen.Length);
            var expected = sd == 0 ? 0 : (values[i] - mean) / sd;
            Assert.Equal(expected, z, 9);
        }
    }

    [Fact]
    public void NormalizeOne_FirstValue_IsZero()
    {
        var normalizer = new FeatureNormalizer(new FeatureOptions());
        Assert.Equal(0.0, normalizer.NormalizeOne("price", 19.9));
    }

    [Fact]
    public void NormalizeOne_Outlier_IsClipped()
    {
        var normalizer = new FeatureNormalizer(new FeatureOptions { Clip = 3 });
        for (var i = 0; i < 1000; i++)
        {
            normalizer.NormalizeOne("price", i % 2);
        }

        Assert.Equal(3.0, normalizer.NormalizeOne("price", 1e6));
        Assert.Equal(-3.0, normalizer.NormalizeOne("price", -1e6));
    }

    [Fact]
    public void NormalizeOne_Disabled_PassesRawValue()
    {
        var normalizer = new FeatureNormalizer(new FeatureOptions { Normalize = false });
        normalizer.NormalizeOne("amount", 1000);
        Assert.Equal(2500.0, normalizer.NormalizeOne("amount", 2500));
    }

    [Fact]
    public void NormalizeOne_BeyondDistinctLimit_IgnoresAndCounts()
    {
        var normalizer = new FeatureNormalizer(new FeatureOptions { MaxDistinctFeatures = 2, Behaviour = false });
        normalizer.NormalizeOne("a", 1);
        normalizer.NormalizeOne("b", 1);

        Assert.True(double.IsNaN(normalizer.NormalizeOne("c", 1)));
        Assert.Equal(1, normalizer.IgnoredFeatures);
        Assert.Equal(2, normalizer.FeatureCount);
        Assert.Equal(0.0, normalizer.NormalizeOne("a", 1));
    }

    [Fact]
    public void Normalize_Event_ReplacesValuesInPlace()
    {
        var normalizer = new FeatureNormalizer(new FeatureOptions());
        normalizer.NormalizeOne("price", 10);
        var e = new UserEvent("u", "i", EventType.View, null, 1, ["price"], [30.0]);

        normalizer.Normalize(StreamItem.ForEvent(1, e));

        Assert.Equal(1.0, e.FeatureValues[0], 12);
    }

    [Fact]
    public void Restore_FromSnapshot_NormalizesNextValueIdentically()
    {
        var original = new FeatureNormalizer(new FeatureOptions());
        foreach (var v in Samples(300, 4))
        {
            original.NormalizeOne("amount", v);
            original.NormalizeOne("qty", v % 13);
        }

        var restored = new FeatureNormalizer(new FeatureOptions());
        restored.Restore(original.Snapshot());

        Assert.Equal(original.NormalizeOne("amount", 2100), restored.NormalizeOne("amount", 2100));
        Assert.Equal(original.NormalizeOne("qty", 4), restored.NormalizeOne("qty", 4));
    }

    [Fact]
    public void Log1p_WholeNumbersAndOthers_IsMathLogToTheBit()
    {
        // The table's whole numbers, its edges, fractions between them, and values beyond it.
        double[] values = [0.0, 1.0, 2.0, 7.0, 4094.0, 4095.0, 4095.5, 4096.0, 4097.0, 0.5, 1e-300, 3.25, 1e6, 1e300, double.PositiveInfinity];
        foreach (var a in values.Concat(Enumerable.Range(0, 5000).Select(n => (double)n)))
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(Math.Log(1.0 + a)), BitConverter.DoubleToInt64Bits(FeatureNormalizer.Log1p(a)));
        }

        Assert.True(double.IsNaN(FeatureNormalizer.Log1p(double.NaN)));
    }
}

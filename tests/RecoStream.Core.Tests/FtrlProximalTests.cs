using RecoStream.Core.Events;
using RecoStream.Core.Learners;

namespace RecoStream.Core.Tests;

public class FtrlProximalTests
{
    private static readonly FtrlOptions Options = new() { HashBits = 10, Alpha = 0.5, Beta = 1.0, L1 = 0.1, L2 = 0.2 };

    [Fact]
    public void Step_HandComputedSequence_MatchesFtrlProximal()
    {
        var ftrl = new FtrlProximal(Options);
        var x = new SparseFeatures();
        x.Add(3, 1f);
        x.Add(7, 2f);

        // Step 1: w = 0, p = 0.5, y = 1: g = (-0.5, -1); n = 0 so sigma = |g| / alpha = (1, 2);
        // z = g - sigma * 0 = (-0.5, -1); n = (0.25, 1).
        Assert.Equal(0.5, ftrl.Step(x, positive: true), 12);
        // w3 = -(z - sign(z) L1) / ((beta + sqrt(n)) / alpha + L2) = (0.5 - 0.1) / ((1 + 0.5) / 0.5 + 0.2) = 0.4 / 3.2 = 0.125
        // w7 = (1 - 0.1) / ((1 + 1) / 0.5 + 0.2) = 0.9 / 4.2
        Assert.Equal(0.125, ftrl.Weight(3), 6);
        Assert.Equal(0.9 / 4.2, ftrl.Weight(7), 6);

        // Step 2, y = 0: p = sigmoid(0.125 + 2 * 0.9/4.2); g = (p, 2p);
        // sigma_i = (sqrt(n_i + g_i^2) - sqrt(n_i)) / alpha; z_i += g_i - sigma_i w_i; n_i += g_i^2.
        var w3 = 0.125;
        var w7 = 0.9 / 4.2;
        var p = 1 / (1 + Math.Exp(-(w3 + 2 * w7)));
        Assert.Equal(p, ftrl.Step(x, positive: false), 6);
        var z3 = -0.5 + p - (Math.Sqrt(0.25 + p * p) - 0.5) / 0.5 * w3;
        var n3 = 0.25 + p * p;
        var z7 = -1 + 2 * p - (Math.Sqrt(1 + 4 * p * p) - 1) / 0.5 * w7;
        var n7 = 1 + 4 * p * p;
        double Weight(double z, double n) => Math.Abs(z) <= 0.1 ? 0 : -(z - Math.Sign(z) * 0.1) / ((1 + Math.Sqrt(n)) / 0.5 + 0.2);
        Assert.Equal(Weight(z3, n3), ftrl.Weight(3), 5);
        Assert.Equal(Weight(z7, n7), ftrl.Weight(7), 5);
    }

    [Fact]
    public void Weight_SmallAccumulatedGradient_IsExactlyZero()
    {
        var ftrl = new FtrlProximal(new FtrlOptions { HashBits = 10, L1 = 5 });
        var x = new SparseFeatures();
        x.Add(1, 1f);
        ftrl.Step(x, positive: true);

        Assert.Equal(0.0, ftrl.Weight(1));
        Assert.Equal(0, ftrl.NonZeroWeights());
    }

    [Fact]
    public void Learn_ClicksOnSomeItems_RanksThemAboveViewedOnes()
    {
        var ftrl = new FtrlProximal(new FtrlOptions { HashBits = 16 });
        var rng = new Random(4);
        for (var n = 0; n < 20_000; n++)
        {
            var item = "i" + rng.Next(20);
            var clicked = rng.NextDouble() < (item is "i1" or "i2" ? 0.6 : 0.05);
            var e = new UserEvent("u" + rng.Next(100), item, clicked ? EventType.Click : EventType.View, null, n, [], []);
            Assert.True(ftrl.Learns(e));
            ftrl.Learn(e, 0);
        }

        Assert.True(ftrl.ScoreItem("u5", "i1") > 0.4, $"p(click i1) = {ftrl.ScoreItem("u5", "i1")}");
        Assert.True(ftrl.ScoreItem("u5", "i7") < 0.15, $"p(click i7) = {ftrl.ScoreItem("u5", "i7")}");
        Assert.True(ftrl.NonZeroWeights() > 0);
        Assert.False(ftrl.Learns(new UserEvent("u", "i", EventType.Rating, 5, 0, [], [])));
    }

    [Fact]
    public void Restore_FromSnapshot_ContinuesIdentically()
    {
        var original = new FtrlProximal(Options);
        var rng = new Random(2);
        UserEvent Event(int n) => new("u" + rng.Next(10), "i" + rng.Next(10), n % 3 == 0 ? EventType.Click : EventType.View, null, n, [], []);
        for (var n = 0; n < 500; n++)
        {
            original.Learn(Event(n), 0);
        }

        var restored = new FtrlProximal(Options);
        restored.Restore(original.Snapshot());
        var next = new UserEvent("u1", "i2", EventType.Click, null, 0, [], []);

        Assert.Equal(original.Learn(next, 0), restored.Learn(next, 0));
        Assert.Equal(original.ScoreItem("u3", "i4"), restored.ScoreItem("u3", "i4"));
        Assert.Equal(original.NonZeroWeights(), restored.NonZeroWeights());
    }

    [Fact]
    public void Weight_AfterLearningWithCollidingFeatures_IsTheFormulaOfTheStoredZAndN()
    {
        // 16 coordinates for ids and features: examples often hash two features to one slot, which is updated twice.
        var options = new FtrlOptions { HashBits = 4, Alpha = 0.5, Beta = 1.0, L1 = 0.05, L2 = 0.2 };
        var ftrl = new FtrlProximal(options);
        var rng = new Random(9);
        for (var n = 0; n < 2_000; n++)
        {
            var e = new UserEvent("u" + rng.Next(30), "i" + rng.Next(30), rng.Next(3) == 0 ? EventType.Click : EventType.View, null, n,
                ["price", "hour", "rank"], [rng.NextDouble(), rng.NextDouble() * 2, rng.NextDouble() - 0.5]);
            ftrl.Learn(e, 0);
        }

        var snapshot = ftrl.Snapshot();
        var z = snapshot.Floats["z"];
        var zeroed = 0;
        for (var slot = 0; slot < z.Length; slot++)
        {
            double zs = z[slot], ns = snapshot.Floats["n"][slot];
            var expected = Math.Abs(zs) <= options.L1 ? 0.0 : -(zs - Math.Sign(zs) * options.L1) / ((options.Beta + Math.Sqrt(ns)) / options.Alpha + options.L2);
            Assert.Equal(expected, ftrl.Weight(slot));
            zeroed += expected == 0.0 ? 1 : 0;
        }

        Assert.True(zeroed < z.Length, "every weight is zero: the examples taught nothing");
    }
}

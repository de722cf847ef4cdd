using RecoStream.Core.Events;
using RecoStream.Core.Learners;

namespace RecoStream.Core.Tests;

public class ImplicitMatrixFactorizationTests
{
    [Fact]
    public void Learn_HandComputedStep_MovesFactorsTowardsOne()
    {
        var mf = new ImplicitMatrixFactorization(new ImplicitMatrixFactorizationOptions { Rank = 1, LearningRate = 0.1, Regularization = 0.01 });
        mf.Restore(new LearnerSnapshot(ImplicitMatrixFactorization.KindName, 1)
        {
            Longs = { ["rank"] = [1] },
            // Packed rows: bias, bias accumulator, factors, factor accumulators.
            Rows =
            {
                ["user"] = new RowSet(4, ["u"], [0f, 0f, 0.5f, 0f], [0], [], 1, ChangesOnly: false),
                ["item"] = new RowSet(4, ["i"], [0f, 0f, 0.4f, 0f], [0], [], 1, ChangesOnly: false),
            },
        });

        // A purchase (strength 5 of 5): full step. err = 1 - 0.2 = 0.8; p = 0.5 + 0.1 (0.8 * 0.4 - 0.01 * 0.5);
        // q = 0.4 + 0.1 (0.8 * 0.5 - 0.01 * 0.4).
        var before = mf.Learn(new UserEvent("u", "i", EventType.Purchase, null, 0, [], []), 5);

        Assert.Equal(0.2, before, 6);
        var p = 0.5 + 0.1 * (0.8 * 0.4 - 0.01 * 0.5);
        var q = 0.4 + 0.1 * (0.8 * 0.5 - 0.01 * 0.4);
        Assert.Equal(p * q, mf.ScoreItem("u", "i"), 5);
    }

    [Fact]
    public void Learn_TwoTasteGroups_RecommendsWithinTheGroup()
    {
        // Users 0-19 consume items a0-a9, users 20-39 items b0-b9; user 0 has not seen a9 yet.
        var mf = new ImplicitMatrixFactorization(new ImplicitMatrixFactorizationOptions());
        var rng = new Random(6);
        for (var n = 0; n < 20_000; n++)
        {
            var u = rng.Next(40);
            var item = (u < 20 ? "a" : "b") + rng.Next(10);
            if (u == 0 && item == "a9")
            {
                continue;
            }

            mf.Learn(new UserEvent("u" + u, item, EventType.Click, null, n, [], []), 2);
        }

        string[] catalog = [.. Enumerable.Range(0, 10).Select(i => "a" + i), .. Enumerable.Range(0, 10).Select(i => "b" + i)];
        var scores = new float[catalog.Length];
        mf.ScoreItems("u0", catalog, scores);

        Assert.True(scores[9] > scores[10..].Max(), $"a9 {scores[9]} vs best b {scores[10..].Max()}");
        Assert.False(mf.Learns(new UserEvent("u", "i", EventType.Rating, 2, 0, [], [])));
        Assert.True(mf.Learns(new UserEvent("u", "i", EventType.Rating, 4, 0, [], [])));
    }

    [Fact]
    public void Restore_FromSnapshot_ContinuesIdentically()
    {
        var options = new ImplicitMatrixFactorizationOptions { Rank = 8 };
        var original = new ImplicitMatrixFactorization(options);
        for (var n = 0; n < 1000; n++)
        {
            original.Learn(new UserEvent("u" + n % 13, "i" + n % 17, EventType.View, null, n, [], []), 1);
        }

        var restored = new ImplicitMatrixFactorization(options);
        restored.Restore(original.Snapshot());
        var next = new UserEvent("u-new", "i3", EventType.Purchase, null, 0, [], []);

        Assert.Equal(original.Learn(next, 5), restored.Learn(next, 5));
        Assert.Equal(original.ScoreItem("u-new", "i3"), restored.ScoreItem("u-new", "i3"));
        Assert.Equal(original.ScoreItem("u4", "i9"), restored.ScoreItem("u4", "i9"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(13)]
    [InlineData(64)]
    [InlineData(67)]
    public void Step_AnyRank_IsTheScalarRuleToTheBit(int rank)
    {
        // Ranks below, at and beyond the vector width, and with a tail of single factors.
        var rng = new Random(rank);
        var p = Enumerable.Range(0, rank).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var q = Enumerable.Range(0, rank).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        float[] expectedP = [.. p], expectedQ = [.. q];
        const float Eta = 0.037f, Lambda = 0.013f, Error = 0.71f;
        for (var f = 0; f < rank; f++)
        {
            var pf = expectedP[f];
            expectedP[f] = pf + (Eta * ((Error * expectedQ[f]) - (Lambda * pf)));
            expectedQ[f] = expectedQ[f] + (Eta * ((Error * pf) - (Lambda * expectedQ[f])));
        }

        ImplicitMatrixFactorization.Step(p, q, Eta, Lambda, Error);

        Assert.Equal(expectedP, p);
        Assert.Equal(expectedQ, q);
    }
}

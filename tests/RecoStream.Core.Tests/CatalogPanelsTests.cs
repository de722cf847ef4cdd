using RecoStream.Core.Events;
using RecoStream.Core.Learners;
using RecoStream.Core.Ranking;

namespace RecoStream.Core.Tests;

/// <summary>
/// The item panels that scoring a catalog reads (a copy of the item factors laid out by dimension) must follow the
/// model: after learning, after new items, after a restore, they score what a model built from scratch scores.
/// </summary>
public class CatalogPanelsTests
{
    public static TheoryData<string> Learners => ["mf", "implicit"];

    private static IOnlineLearner Create(string kind, int rank) => kind == "mf"
        ? new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = rank })
        : new ImplicitMatrixFactorization(new ImplicitMatrixFactorizationOptions { Rank = rank });

    private static void Learn(IOnlineLearner learner, int events, int users, int items, int seed, long startMs)
    {
        var rng = new Random(seed);
        for (var n = 0; n < events; n++)
        {
            var e = new UserEvent("u" + rng.Next(users), "i" + rng.Next(items), EventType.Rating, 5, startMs + n, [], []);
            learner.Learn(e, rng.Next(1, 6));
        }
    }

    /// <summary>A new learner restored from <paramref name="snapshot"/> (no panels built yet).</summary>
    private static IOnlineLearner Restored(string kind, int rank, LearnerSnapshot snapshot)
    {
        var learner = Create(kind, rank);
        learner.Restore(snapshot);
        return learner;
    }

    /// <summary>Items i0 .. i(n-1).</summary>
    private static string[] Catalog(int items) => [.. Enumerable.Range(0, items).Select(i => "i" + i)];

    /// <summary>A user's scores of the catalog.</summary>
    private static float[] Scores(IOnlineLearner learner, string user, string[] catalog)
    {
        var scores = new float[catalog.Length];
        learner.ScoreItems(user, catalog, scores);
        return scores;
    }

    [Theory]
    [MemberData(nameof(Learners))]
    public void ScoreItems_MatchesEachItemsOwnScore_WithItemsWithoutRowsAndAPartialLastPanel(string kind)
    {
        // 203 items in the catalog (12 whole panels and 11 in the last), 13 of them never learned (no row), rank 12.
        var learner = Create(kind, 12);
        Learn(learner, 5_000, 30, 190, seed: 1, startMs: 0);
        var catalog = Catalog(203);

        var scores = Scores(learner, "u3", catalog);

        // The biased model's score of one item is clipped to the rating scale (1-5), the catalog's is not: compared where
        // the clip does not apply.
        var compared = 0;
        for (var i = 0; i < catalog.Length; i++)
        {
            var own = learner.ScoreItem("u3", catalog[i]);
            if (kind == "implicit" || (own > 1 && own < 5))
            {
                Assert.Equal(own, scores[i], 4);
                compared++;
            }
        }

        Assert.True(compared > 150, $"{compared} items compared");
    }

    [Theory]
    [MemberData(nameof(Learners))]
    public void ScoreItems_AfterMoreLearningAndNewItems_ScoresWhatAFreshModelScores(string kind)
    {
        var learner = Create(kind, 32);
        Learn(learner, 3_000, 40, 100, seed: 2, startMs: 0);
        var catalog = Catalog(150);
        var before = Scores(learner, "u1", catalog);

        // Updates to some items' rows, and rows for items 100-149 that had none when the panels were built.
        Learn(learner, 500, 40, 150, seed: 3, startMs: 10_000);
        var after = Scores(learner, "u1", catalog);

        Assert.Equal(Scores(Restored(kind, 32, learner.Snapshot()), "u1", catalog), after);
        Assert.NotEqual(before, after);
    }

    [Theory]
    [MemberData(nameof(Learners))]
    public void ScoreItems_AfterRestoreOfAnEarlierSnapshot_ScoresWhatThatSnapshotScores(string kind)
    {
        var learner = Create(kind, 16);
        Learn(learner, 2_000, 20, 80, seed: 4, startMs: 0);
        var earlier = learner.Snapshot();
        Learn(learner, 2_000, 20, 80, seed: 5, startMs: 10_000);
        var catalog = Catalog(80);
        Scores(learner, "u2", catalog);

        learner.Restore(earlier);
        var scores = Scores(learner, "u2", catalog);

        Assert.Equal(Scores(Restored(kind, 16, earlier), "u2", catalog), scores);
    }

    [Fact]
    public void ScoreItems_ItemsWhoseRowsExpired_ScoreAsItemsWithoutRows()
    {
        // Items i0-i15 (the first panel) stay active; i16-i31 (the second) are learned once, expire, and nothing else in
        // their panel is updated: only the table's record of which rows the catalog's items have tells the panel.
        var mf = new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 8, Rows = new RowTableOptions { TtlSeconds = 60 } });
        for (var n = 0; n < 32; n++)
        {
            mf.Learn(new UserEvent("u1", "i" + n, EventType.Rating, 3 + (n % 2), n * 100L, [], []), 3 + (n % 2));
        }

        var catalog = Catalog(32);
        Scores(mf, "u1", catalog);
        for (var n = 0; n < 16; n++)
        {
            mf.Learn(new UserEvent("u1", "i" + n, EventType.Rating, 4, 620_000, [], []), 4);
        }

        Assert.Equal(16, mf.SnapshotChanges().Rows["item"].Removed.Length);
        var scores = Scores(mf, "u1", catalog);

        var withoutRow = mf.ScoreItem("u1", "never-seen");
        Assert.InRange(withoutRow, 1.01, 4.99);
        for (var c = 16; c < 32; c++)
        {
            Assert.Equal(withoutRow, scores[c], 4);
        }
    }

    [Fact]
    public void ScoreCatalog_BelowAndBeyondThePanelLimit_ScoresBasePlusBiasPlusDot()
    {
        // A table of 40 item rows at rank 12, and a catalog that grows from 30 items (scored from panels) to 45 (beyond
        // the lowered limit of 32: scored from the rows in place), five of them without a row.
        var table = new FactorTable(12, "item") { PanelItemLimit = 32 };
        var rng = new Random(7);
        for (var i = 0; i < 40; i++)
        {
            var row = table.Add("i" + i, (_, factors) =>
            {
                for (var f = 0; f < factors.Length; f++)
                {
                    factors[f] = (float)(rng.NextDouble() - 0.5);
                }
            }, 0f, 1);
            table.Bias(row) = (float)rng.NextDouble();
        }

        var user = new float[12];
        for (var f = 0; f < user.Length; f++)
        {
            user[f] = (float)(rng.NextDouble() - 0.5);
        }

        foreach (var size in (int[])[30, 45])
        {
            var catalog = Catalog(size);
            var scores = new float[size];
            table.ScoreCatalog(catalog, user, baseScore: 3f, withBias: true, missing: -1f, scores);
            for (var i = 0; i < size; i++)
            {
                if (!table.TryGetRow(catalog[i], out var row))
                {
                    Assert.Equal(-1f, scores[i]);
                    continue;
                }

                var factors = table.Factors(row);
                var dot = 0.0;
                for (var f = 0; f < factors.Length; f++)
                {
                    dot += user[f] * (double)factors[f];
                }

                Assert.Equal(3.0 + table.Bias(row) + dot, scores[i], 4);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Learners))]
    public void ScoreItemsOfManyUsers_EqualsEachUsersOwnScores(string kind)
    {
        // Five users (two pairs and one alone), one unknown, over 1,000 items (several blocks of panels).
        var learner = Create(kind, 32);
        Learn(learner, 20_000, 10, 1_000, seed: 6, startMs: 0);
        var catalog = Catalog(1_000);
        string[] users = ["u1", "u2", "nobody", "u3", "u4", "u5"];
        var many = new float[users.Length * catalog.Length];

        learner.ScoreItems(users, catalog, many);

        for (var u = 0; u < users.Length; u++)
        {
            Assert.Equal(Scores(learner, users[u], catalog), many.AsSpan(u * catalog.Length, catalog.Length).ToArray());
        }
    }

    public static TheoryData<int, bool, int> Rankings => new()
    {
        { 32, true, 10 },
        { 32, false, 10 },
        { 64, false, 1 },
        { 13, true, 25 },
        { 8, true, 3_000 },
    };

    [Theory]
    [MemberData(nameof(Rankings))]
    public void TryRankCatalog_PicksWhatScoringEveryItemPicks_ToTheBit(int rank, bool withBias, int k)
    {
        // 2,500 items (a partial last panel): rows of very different sizes, 40 without a row, 30 exact copies of other
        // rows (ties, broken by index), rows of zeros, one with a NaN factor, one with an infinite bias, and rows too
        // small or too large for the 8-bit copy. 60 users, each with some items excluded.
        var table = new FactorTable(rank, "item");
        var rng = new Random(rank * 31 + k);
        var catalog = Catalog(2_500);
        var values = new float[catalog.Length][];
        for (var i = 0; i < catalog.Length; i++)
        {
            if (i % 61 == 7)
            {
                continue;
            }

            var size = (float)Math.Pow(10, rng.NextDouble() * 2 - 1.5);
            values[i] = i % 83 == 5 && i > 100 ? values[i - 100] ?? new float[rank]
                : [.. Enumerable.Range(0, rank).Select(_ => i % 97 == 3 ? 0f : (float)(rng.NextDouble() - 0.4) * size)];
            values[i] = i switch { 11 => Scaled(values[i], 1e-18f), 12 => Scaled(values[i], 1e18f), _ => values[i] };
            var factors = values[i];
            var row = table.Add(catalog[i], (_, into) => factors.CopyTo(into), 0f, 1);
            table.Bias(row) = i switch { 20 => float.PositiveInfinity, _ => (float)rng.NextDouble() * (i % 83 == 5 ? 0f : 2f) };
        }

        table.Factors(table.TryGetRow(catalog[30], out var nanRow) ? nanRow : -1)[rank / 2] = float.NaN;
        var scores = new float[catalog.Length];
        var ranked = 0;
        for (var u = 0; u < 60; u++)
        {
            var size = (float)Math.Pow(10, rng.NextDouble() * 2 - 1);
            var user = Enumerable.Range(0, rank).Select(_ => (float)(rng.NextDouble() - 0.5) * size).ToArray();
            var baseScore = u % 3 == 0 ? 0f : (float)(rng.NextDouble() * 4);
            var excluded = Enumerable.Range(0, rng.Next(0, 40)).Select(_ => rng.Next(catalog.Length)).ToHashSet();
            excluded.Add(20);

            table.ScoreCatalog(catalog, user, baseScore, withBias, missing: baseScore - 1, scores);
            var expected = TopKSelector.Select(scores, k, excluded);

            if (!table.TryRankCatalog(catalog, user, baseScore, withBias, baseScore - 1, k, excluded, out var top))
            {
                Assert.False(CatalogPanels.CanRank);
                continue;
            }

            ranked++;
            Assert.Equal(expected.Select(Bits), top.Select(Bits));
        }

        Assert.Equal(CatalogPanels.CanRank ? 60 : 0, ranked);
    }

    [Fact]
    public void TryRankCatalog_AnItemWhoseRoundingsAllGoOneWay_IsStillFound()
    {
        // The user's and item i1's factors all sit just below half a step above a code (126.49 steps of 1/127 of their
        // largest), so every rounding lowers the approximate score: it falls short of the exact one by 97% of the bound.
        // Item i0, scored exactly first, sits just below i1, which is in the next panel (the catalog's items 1-15 have no
        // row). A bound smaller by a tenth would leave i1 out.
        const int Rank = 32;
        var user = Enumerable.Range(0, Rank).Select(f => f == 0 ? 1f : 126.49f / 127f).ToArray();
        var below = Enumerable.Range(0, Rank).Select(f => f == 0 ? 1f : 126.49f / 127f).ToArray();
        var exact = user.Zip(below, (a, b) => (double)a * b).Sum();
        var level = (float)((exact - 0.005) / user.Sum(v => (double)v));
        var table = new FactorTable(Rank, "item");
        table.Add("i0", (_, into) => into.Fill(level), 0f, 1);
        table.Add("i1", (_, into) => below.CopyTo(into), 0f, 1);
        string[] catalog = ["i0", .. Enumerable.Range(1, 15).Select(i => "none" + i), "i1"];
        var scores = new float[catalog.Length];
        table.ScoreCatalog(catalog, user, baseScore: 0f, withBias: false, missing: 0f, scores);
        Assert.True(scores[16] > scores[0], $"{scores[16]} > {scores[0]}");

        if (table.TryRankCatalog(catalog, user, 0f, withBias: false, 0f, 1, new HashSet<int>(), out var top))
        {
            Assert.Equal(TopKSelector.Select(scores, 1, new HashSet<int>()).Select(Bits), top.Select(Bits));
            Assert.Equal(16, top[0].Index);
        }
        else
        {
            Assert.False(CatalogPanels.CanRank);
        }
    }

    private static (int, int) Bits((int Index, float Score) entry) => (entry.Index, BitConverter.SingleToInt32Bits(entry.Score));

    private static float[] Scaled(float[] values, float by) => [.. values.Select(v => v * by)];

    [Theory]
    [MemberData(nameof(Learners))]
    public void TryRankItems_OfALearnedModel_PicksWhatItsScoresPick(string kind)
    {
        // A model learned from 40,000 events over 3,000 items (some never learned), with each user's own items excluded,
        // as the recommender does; a user without a row is left to the caller.
        var learner = Create(kind, 32);
        Learn(learner, 40_000, 200, 2_900, seed: 8, startMs: 0);
        var catalog = Catalog(3_000);
        var ranker = (ICatalogRanker)learner;
        var rng = new Random(9);

        // Ranked, then again after more learning that changes rows and gives the last 100 items theirs (the panels they
        // are in are rebuilt, and their 8-bit copy must follow).
        for (var round = 0; round < 2; round++)
        {
            for (var u = 0; u < 200; u += 7)
            {
                var user = "u" + u;
                var excluded = Enumerable.Range(0, 30).Select(_ => rng.Next(catalog.Length)).ToHashSet();
                var expected = TopKSelector.Select(Scores(learner, user, catalog), 10, excluded);

                if (ranker.TryRankItems(user, catalog, 10, excluded, out var top))
                {
                    Assert.Equal(expected.Select(Bits), top.Select(Bits));
                }
                else
                {
                    Assert.False(CatalogPanels.CanRank);
                }
            }

            Learn(learner, 5_000, 200, 3_000, seed: 10, startMs: 100_000_000);
        }

        Assert.False(ranker.TryRankItems("nobody", catalog, 10, new HashSet<int>(), out _));
    }
}

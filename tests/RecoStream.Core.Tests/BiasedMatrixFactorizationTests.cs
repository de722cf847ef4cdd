using RecoStream.Core.Events;
using RecoStream.Core.Learners;

namespace RecoStream.Core.Tests;

public class BiasedMatrixFactorizationTests
{
    private static UserEvent Rating(string user, string item, double value, long timeMs = 0) => new(user, item, EventType.Rating, value, timeMs, [], []);

    [Fact]
    public void Learn_BiasSteps_MatchHandComputedAdaGrad()
    {
        // InitialStd 0: the factors start (and stay) at zero, so only mu and the biases move (no session bias here).
        var mf = new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 2, InitialStd = 0, BiasLearningRate = 0.3, SessionBiasSeconds = 0 });

        // First rating: prediction is the middle of the scale (3); mu becomes 4, the error after it is 0.
        Assert.Equal(3.0, mf.Learn(Rating("u", "i", 4), 4));
        Assert.Equal(4.0, mf.GlobalMean);
        // Second rating: prediction 4; mu becomes 3; error 2 - 3 = -1; gradient 1; accumulator 0.1 + 1;
        // each bias moves by -0.3 * 1 / sqrt(1.1).
        Assert.Equal(4.0, mf.Learn(Rating("u", "i", 2), 2));
        var step = 0.3 / Math.Sqrt(1.1);
        Assert.Equal(3.0 - 2 * step, mf.ScoreItem("u", "i"), 5);
        Assert.Equal(3.0 - step, mf.ScoreItem("u", "other-item"), 5);
        Assert.Equal(3.0, mf.ScoreItem("new-user", "new-item"), 5);
    }

    [Fact]
    public void Learn_FactorStep_MatchesHandComputedAdaGrad()
    {
        var options = new BiasedMatrixFactorizationOptions { Rank = 1, Regularization = 0.01, BiasRegularization = 0.02, BiasLearningRate = 0.3, SessionBiasSeconds = 0 };
        var mf = new BiasedMatrixFactorization(options);
        mf.Restore(new LearnerSnapshot(BiasedMatrixFactorization.KindName, 1)
        {
            Doubles = { ["mean"] = [3.0] },
            Longs = { ["count"] = [10], ["rank"] = [1] },
            // Packed rows: bias, bias accumulator, factors, factor accumulators.
            Rows =
            {
                ["user"] = new RowSet(4, ["u"], [0f, 0.1f, 0.5f, 0f], [0], [], 1, ChangesOnly: false),
                ["item"] = new RowSet(4, ["i"], [0f, 0.1f, 0.4f, 0f], [0], [], 1, ChangesOnly: false),
            },
        });

        var before = mf.Learn(Rating("u", "i", 5), 5);

        // prediction 3 + 0.5 * 0.4; mu -> 3 + 2/11; error = 5 - (mu + 0.2)
        Assert.Equal(3.2, before, 5);
        var mu = 3.0 + 2.0 / 11;
        var e = 5 - (mu + 0.2);
        var gb = -e;
        var bias = -0.3 * gb / Math.Sqrt(0.1 + gb * gb);
        var gp = -e * 0.4 + 0.01 * 0.5;
        var p = 0.5 - 0.1 * gp / Math.Sqrt(gp * gp + 0.1);
        var gq = -e * 0.5 + 0.01 * 0.4;
        var q = 0.4 - 0.1 * gq / Math.Sqrt(gq * gq + 0.1);
        Assert.Equal(Math.Clamp(mu + 2 * bias + p * q, 1, 5), mf.ScoreItem("u", "i"), 4);
    }

    [Fact]
    public void Learn_SessionBias_MatchesHandComputedAdaGradAndFades()
    {
        // Factors at zero: only mu, the biases and the session bias move. T = 100 s.
        var mf = new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions
        {
            Rank = 1,
            InitialStd = 0,
            BiasLearningRate = 0.2,
            BiasRegularization = 0.02,
            SessionBiasSeconds = 100,
            SessionBiasLearningRate = 0.5,
            SessionBiasRegularization = 1,
        });

        // First rating of a new user: prediction 3, mu 4, error 0: nothing moves.
        Assert.Equal(3.0, mf.Learn(Rating("u", "i", 4, 0), 4));
        // Ten seconds later: prediction 4; mu 3; error -1. Each bias: gradient 1, accumulator 0.1 + 1. Session bias: it was
        // 0 (faded by exp(-0.1)), gradient 1 + 1 * 0, accumulator 0 * exp(-0.1) + 1, step 0.5 * 1 / sqrt(0.1 + 1).
        Assert.Equal(4.0, mf.Learn(Rating("u", "i", 2, 10_000), 2));
        var bu = -0.2 / Math.Sqrt(1.1);
        var bs = -0.5 / Math.Sqrt(1.1);
        Assert.Equal(3 + bu + bs, mf.ScoreItem("u", "other-item"), 5);
        Assert.Equal(3 + bu + bs, mf.Predict(Rating("u", "other-item", 0, 10_000)), 5);
        // It fades with the time since the user's last rating: by e after T, to nothing after a long break.
        Assert.Equal(3 + bu + bs * Math.Exp(-1), mf.Predict(Rating("u", "other-item", 0, 110_000)), 5);
        Assert.Equal(3 + bu, mf.Predict(Rating("u", "other-item", 0, 1_000_000_000)), 5);
        // A new user has none.
        Assert.Equal(3.0, mf.ScoreItem("new-user", "new-item"), 5);

        // 100 s after that, a 3 for a new item: prediction 3 + bu + bs / e; mu (4 + 2 + 3) / 3 = 3.
        var fade = Math.Exp(-1);
        Assert.Equal(3 + bu + bs * fade, mf.Learn(Rating("u", "j", 3, 110_000), 3), 5);
        var faded = bs * fade;
        var error = 3 - (3 + bu + faded);
        var gu = -error + 0.02 * bu;
        var buAfter = bu - 0.2 * gu / Math.Sqrt(1.1 + gu * gu);
        var gs = -error + 1 * faded;
        var bsAfter = faded - 0.5 * gs / Math.Sqrt(0.1 + (1 * fade) + gs * gs);
        Assert.Equal(3 + buAfter + bsAfter, mf.ScoreItem("u", "other-item"), 5);
    }

    [Fact]
    public void Learn_SessionBias_LiftsASessionAboveTheUsersUsualRatings()
    {
        // A user who rates 3 on most days but 5 in one session: within that session the learner with a session bias
        // predicts closer to 5, and on the next day it is back to the user's usual level.
        var withSession = new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 2, InitialStd = 0 });
        var without = new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 2, InitialStd = 0, SessionBiasSeconds = 0 });
        const long Day = 86_400_000;
        for (var day = 0; day < 20; day++)
        {
            for (var n = 0; n < 10; n++)
            {
                var e = Rating("u", $"i{day}-{n}", 3, (day * Day) + (n * 60_000));
                withSession.Learn(e, 3);
                without.Learn(e, 3);
            }
        }

        double withError = 0, withoutError = 0;
        for (var n = 0; n < 10; n++)
        {
            var e = Rating("u", $"good{n}", 5, (20 * Day) + (n * 60_000));
            withError += Math.Abs(5 - withSession.Learn(e, 5));
            withoutError += Math.Abs(5 - without.Learn(e, 5));
        }

        Assert.True(withError < 0.8 * withoutError, $"session error {withError:F3}, without {withoutError:F3}");
        var nextDay = Rating("u", "later", 0, 21 * Day);
        Assert.True(withSession.Predict(nextDay) < without.Predict(nextDay) + 0.05,
            $"the next day: {withSession.Predict(nextDay):F3} with the session bias, {without.Predict(nextDay):F3} without");
    }

    [Fact]
    public void Restore_RowsWrittenBeforeTheSessionColumns_ReadWithNoSessionBias()
    {
        // A version 2 snapshot: user rows of 2 + 2 * rank values, without the session bias and its accumulator.
        var mf = new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 1 });
        mf.Restore(new LearnerSnapshot(BiasedMatrixFactorization.KindName, 2)
        {
            Doubles = { ["mean"] = [3.0] },
            Longs = { ["count"] = [10], ["rank"] = [1] },
            Rows =
            {
                ["user"] = new RowSet(4, ["u"], [0.5f, 0.1f, 0.5f, 0f], [1000], [], 1, ChangesOnly: false),
                ["item"] = new RowSet(4, ["i"], [0.25f, 0.1f, 0.4f, 0f], [1000], [], 1, ChangesOnly: false),
            },
        });

        Assert.Equal(3 + 0.5 + 0.25 + (0.5 * 0.4), mf.Predict(Rating("u", "i", 0, 1000)), 5);
        // Written back with the session columns (at zero).
        var rows = mf.Snapshot().Rows["user"];
        Assert.Equal(6, rows.Width);
        Assert.Equal([0.5f, 0.1f, 0.5f, 0f, 0f, 0f], rows.Values);
        Assert.Throws<InvalidOperationException>(() => mf.Restore(new LearnerSnapshot(BiasedMatrixFactorization.KindName, 2)
        {
            Doubles = { ["mean"] = [3.0] },
            Longs = { ["count"] = [10], ["rank"] = [1] },
            Rows =
            {
                ["user"] = new RowSet(5, ["u"], [0.5f, 0.1f, 0.5f, 0f, 0f], [1000], [], 1, ChangesOnly: false),
                ["item"] = new RowSet(4, ["i"], [0.25f, 0.1f, 0.4f, 0f], [1000], [], 1, ChangesOnly: false),
            },
        }));
    }

    [Fact]
    public void SnapshotChanges_ReadsTheRowsAsTheyWereWhenTaken_WhileLearningGoesOn()
    {
        var learner = new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 8 });
        var twin = new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 8 });
        for (var n = 0; n < 6000; n++)
        {
            var e = Rating("u" + (n % 2000), "i" + (n % 23), 1 + (n % 5), n * 1000L);
            learner.Learn(e, e.Value!.Value);
            twin.Learn(e, e.Value!.Value);
        }

        var snapshot = learner.SnapshotChanges();
        var expected = twin.Snapshot(); // every row, copied: the same rows as the changes, as nothing was written before
        foreach (var table in new[] { "user", "item" })
        {
            // Nothing copied when taken: neither values nor ids nor times.
            Assert.Empty(snapshot.Rows[table].Values);
            Assert.Empty(snapshot.Rows[table].Ids);
            Assert.Empty(snapshot.Rows[table].LastActiveMs);
        }

        // The same rows change (2,000 users' rows kept aside: several chunks of them), and 2,100 new users grow the table,
        // before the snapshot is read.
        for (var n = 0; n < 5000; n++)
        {
            var e = Rating("u" + (n % 4100), "i" + (n % 29), 1 + (n % 3), 6_000_000 + (n * 1000L));
            learner.Learn(e, e.Value!.Value);
        }

        foreach (var table in new[] { "user", "item" })
        {
            var (want, got) = (RowsById(expected.Rows[table]), RowsById(snapshot.Rows[table]));
            Assert.Equal(want.Keys.Order(), got.Keys.Order());
            foreach (var (id, row) in got)
            {
                Assert.Equal(want[id].Values, row.Values);
                Assert.Equal(want[id].LastActiveMs, row.LastActiveMs); // as when taken, not the update's time since
            }

            snapshot.Rows[table].Release?.Invoke();
        }

        // After the release the next snapshot holds the rows changed since, read as they are now.
        var next = RowsById(learner.SnapshotChanges().Rows["user"]);
        var now = RowsById(learner.Snapshot().Rows["user"]);
        Assert.Equal(4100, next.Count);
        foreach (var (id, row) in next)
        {
            Assert.Equal(now[id].Values, row.Values);
            Assert.Equal(now[id].LastActiveMs, row.LastActiveMs);
        }
    }

    /// <summary>Every row of a set by id: its values and last update, read as a checkpoint's writer reads them.</summary>
    private static Dictionary<string, (float[] Values, long LastActiveMs)> RowsById(RowSet set)
    {
        var rows = new Dictionary<string, (float[], long)>(StringComparer.Ordinal);
        for (var r = 0; r < set.Count; r++)
        {
            var values = set.Read(r, out var id, out var lastActiveMs);
            Assert.True(rows.TryAdd(id, (values.ToArray(), lastActiveMs)), $"row '{id}' twice");
        }

        return rows;
    }

    [Fact]
    public void SnapshotChanges_KeepingMoreRowsThanTheSpareChunksHold_GivesEveryRowAsTaken_SnapshotAfterSnapshot()
    {
        // Rank 64: about 500 rows a chunk, so 20,000 users changed during each write keep about 40 chunks, beyond the 32
        // kept for the next snapshot; those beyond are freed at the release and must not be read or handed on after.
        var learner = new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 64 });
        var time = 0L;
        void LearnAll(int rating)
        {
            for (var u = 0; u < 20_000; u++)
            {
                var e = Rating("u" + u, "i" + (u % 50), rating, time += 1000);
                learner.Learn(e, e.Value!.Value);
            }
        }

        LearnAll(1);
        for (var round = 0; round < 3; round++)
        {
            var expected = RowsById(learner.Snapshot().Rows["user"]);
            var snapshot = learner.SnapshotChanges();
            LearnAll(2 + round); // every row of the snapshot changes before it is read
            var got = RowsById(snapshot.Rows["user"]);
            Assert.Equal(expected.Count, got.Count);
            foreach (var (id, row) in got)
            {
                Assert.Equal(expected[id].Values, row.Values);
                Assert.Equal(expected[id].LastActiveMs, row.LastActiveMs);
            }

            foreach (var rows in snapshot.Rows.Values)
            {
                rows.Release?.Invoke();
            }
        }
    }

    [Fact]
    public void SnapshotChanges_NeverWritten_GivesItsRowsAsTaken_WhenTheNextExpiresThemAndReusesTheirSlots()
    {
        // A checkpoint whose write failed leaves its snapshot unreleased; the next snapshot expires rows and then copies the
        // unreleased one. The ids, times and values of the rows it expired are the ones the first was taken with.
        var learner = new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 4, Rows = new RowTableOptions { TtlSeconds = 60 } });
        for (var n = 0; n < 300; n++)
        {
            var e = Rating("u" + (n % 100), "i" + (n % 10), 1 + (n % 5), n * 10L);
            learner.Learn(e, e.Value!.Value);
        }

        var expected = RowsById(learner.Snapshot().Rows["user"]);
        var first = learner.SnapshotChanges();
        // Ten minutes later only u0..u9 go on: the next snapshot expires the other 90, and new users take their slots.
        for (var n = 0; n < 50; n++)
        {
            var e = Rating("u" + (n % 10), "i" + (n % 10), 2, 600_000 + (n * 10L));
            learner.Learn(e, e.Value!.Value);
        }

        var second = learner.SnapshotChanges();
        Assert.Equal(90, second.Rows["user"].Removed.Length);
        for (var n = 0; n < 90; n++)
        {
            var e = Rating("v" + n, "i" + (n % 10), 3, 700_000 + (n * 10L));
            learner.Learn(e, e.Value!.Value);
        }

        Assert.Equal(100, learner.RowTables[0].Rows);
        var got = RowsById(first.Rows["user"]);
        Assert.Equal(expected.Keys.Order(), got.Keys.Order());
        foreach (var (id, row) in got)
        {
            Assert.Equal(expected[id].Values, row.Values);
            Assert.Equal(expected[id].LastActiveMs, row.LastActiveMs);
        }
    }

    [Fact]
    public void SnapshotChanges_ReadOnAnotherThreadWhileLearningGoesOn_GivesEveryRowAsItWasWhenTaken()
    {
        // The worker's checkpoint writer reads the rows on a pool thread while the pipeline learns: a row is either read
        // before the pipeline first changes it or from the copy the pipeline made just before, and never while the table
        // grows and its values move.
        for (var round = 0; round < 5; round++)
        {
            var learner = new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 16 });
            for (var n = 0; n < 20_000; n++)
            {
                var e = Rating("u" + (n % 5000), "i" + (n % 300), 1 + (n % 5), n * 1000L);
                learner.Learn(e, e.Value!.Value);
            }

            var expected = learner.Snapshot();
            var snapshot = learner.SnapshotChanges();
            var rows = snapshot.Rows["user"];
            using var started = new ManualResetEventSlim();
            var got = new Dictionary<string, (float[] Values, long LastActiveMs)>();
            Exception? failed = null;
            var reader = new Thread(() =>
            {
                started.Set();
                try
                {
                    got = RowsById(rows);
                }
                catch (Exception ex)
                {
                    failed = ex;
                }
            });
            reader.Start();
            started.Wait();
            // Every other event a new user: the table grows (its values move) while the reader reads.
            for (var n = 0; n < 20_000 && reader.IsAlive; n++)
            {
                var user = n % 2 == 0 ? "u" + ((n * 7919) % 5000) : "new" + n;
                var e = Rating(user, "i" + (n % 300), 1 + (n % 4), 30_000_000 + (n * 1000L));
                learner.Learn(e, e.Value!.Value);
            }

            reader.Join();
            rows.Release?.Invoke();
            Assert.Null(failed);
            var want = RowsById(expected.Rows["user"]);
            Assert.Equal(want.Count, got.Count);
            foreach (var (id, row) in want)
            {
                Assert.Equal(row.Values, got[id].Values);
                Assert.Equal(row.LastActiveMs, got[id].LastActiveMs);
            }
        }
    }

    [Fact]
    public void ScoreItems_AnItemWhoseRowExpiresAndComesBack_IsScoredByWhatTheTableHolds()
    {
        var mf = new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 8, Rows = new RowTableOptions { TtlSeconds = 60 } });
        for (var n = 0; n < 200; n++)
        {
            mf.Learn(Rating("u" + (n % 5), "i" + (n % 20), 1 + (n % 5), n * 100L), 1 + (n % 5));
        }

        mf.Learn(Rating("u1", "old", 5, 20_000), 5);
        string[] catalog = ["i1", "old", "i2", "i3", "i4"];
        var scores = new float[catalog.Length];
        mf.ScoreItems("u1", catalog, scores);
        Assert.Equal(mf.ScoreItem("u1", "old"), scores[1], tolerance: 1e-4);

        // Ten minutes of event time later only i1-i4 are active: the next snapshot of changes expires the rest.
        foreach (var item in (string[])["i1", "i2", "i3", "i4"])
        {
            mf.Learn(Rating("u1", item, 3, 620_000), 3);
        }

        Assert.Contains("old", mf.SnapshotChanges().Rows["item"].Removed);
        mf.ScoreItems("u1", catalog, scores);
        Assert.Equal(mf.ScoreItem("u1", "never-seen"), scores[1], tolerance: 1e-4);

        // Learned again: its new row is scored.
        mf.Learn(Rating("u2", "old", 1, 621_000), 1);
        mf.ScoreItems("u1", catalog, scores);
        for (var c = 0; c < catalog.Length; c++)
        {
            Assert.Equal(mf.ScoreItem("u1", catalog[c]), scores[c], tolerance: 1e-4);
        }

        Assert.NotEqual(mf.ScoreItem("u1", "never-seen"), mf.ScoreItem("u1", "old"), tolerance: 1e-4);
    }

    [Fact]
    public void Learn_PlantedLowRankMatrix_IsRecovered()
    {
        // Ratings from a rank-2 matrix plus small noise; biases alone cannot explain them.
        var rng = new Random(3);
        const int Users = 60, Items = 50;
        var pu = Enumerable.Range(0, Users).Select(_ => new[] { rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1 }).ToArray();
        var qi = Enumerable.Range(0, Items).Select(_ => new[] { rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1 }).ToArray();
        double Truth(int u, int i) => 3 + 1.5 * (pu[u][0] * qi[i][0] + pu[u][1] * qi[i][1]);
        var mf = new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 8, MinRating = -10, MaxRating = 20 });
        var biasOnly = new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 8, InitialStd = 0, MinRating = -10, MaxRating = 20 });

        double sumSq = 0, sumSqBias = 0, sumSqLabel = 0, sumLabel = 0;
        const int Events = 60_000, Tail = 5_000;
        for (var n = 0; n < Events; n++)
        {
            var u = rng.Next(Users);
            var i = rng.Next(Items);
            var label = Truth(u, i) + 0.05 * (rng.NextDouble() - 0.5);
            var e = Rating("u" + u, "i" + i, label);
            var prediction = mf.Learn(e, label);
            var baseline = biasOnly.Learn(e, label);
            if (n >= Events - Tail)
            {
                sumSq += (prediction - label) * (prediction - label);
                sumSqBias += (baseline - label) * (baseline - label);
                sumSqLabel += label * label;
                sumLabel += label;
            }
        }

        var rmse = Math.Sqrt(sumSq / Tail);
        var rmseBias = Math.Sqrt(sumSqBias / Tail);
        var std = Math.Sqrt(sumSqLabel / Tail - Math.Pow(sumLabel / Tail, 2));
        Assert.True(rmse < 0.1 * std, $"MF RMSE {rmse:F4}, label std {std:F4}");
        Assert.True(rmse < 0.25 * rmseBias, $"MF RMSE {rmse:F4}, biases only {rmseBias:F4}");
    }

    [Fact]
    public void Restore_FromSnapshot_GivesIdenticalPredictionsAndNextUpdate()
    {
        var options = new BiasedMatrixFactorizationOptions { Rank = 4 };
        var original = new BiasedMatrixFactorization(options);
        var rng = new Random(8);
        for (var n = 0; n < 2000; n++)
        {
            original.Learn(Rating("u" + rng.Next(40), "i" + rng.Next(30), rng.Next(1, 6)), rng.Next(1, 6));
        }

        var restored = new BiasedMatrixFactorization(options);
        restored.Restore(original.Snapshot());

        for (var u = 0; u < 40; u += 7)
        {
            Assert.Equal(original.ScoreItem("u" + u, "i3"), restored.ScoreItem("u" + u, "i3"));
        }

        // A new user and a new item after the restore start from the same factors as without it.
        var next = Rating("u-new", "i-new", 4);
        Assert.Equal(original.Learn(next, 4), restored.Learn(next, 4));
        Assert.Equal(original.Learn(Rating("u1", "i-new", 2), 2), restored.Learn(Rating("u1", "i-new", 2), 2));
        Assert.Equal(original.ScoreItem("u1", "i-new"), restored.ScoreItem("u1", "i-new"));
        Assert.Equal(original.ScoreItem("u-new", "i2"), restored.ScoreItem("u-new", "i2"));
    }

    [Fact]
    public void Restore_DifferentRank_IsRefusedNamingTheKey()
    {
        var snapshot = new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 4 }).Snapshot();
        var ex = Assert.Throws<InvalidOperationException>(() => new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 8 }).Restore(snapshot));
        Assert.Contains("Rank", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Learns_OnlyRatings()
    {
        var mf = new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions());
        Assert.True(mf.Learns(Rating("u", "i", 3)));
        Assert.False(mf.Learns(new UserEvent("u", "i", EventType.Purchase, null, 0, [], [])));
    }

    [Fact]
    public void ScoreItems_RanksByLearnedPreferenceAndMatchesScoreItem()
    {
        var mf = new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions());
        for (var n = 0; n < 300; n++)
        {
            mf.Learn(Rating("u" + (n % 10), "good", 5), 5);
            mf.Learn(Rating("u" + (n % 10), "bad", 1), 1);
        }

        string[] catalog = ["bad", "unknown", "good"];
        var scores = new float[3];
        mf.ScoreItems("u3", catalog, scores);

        Assert.True(scores[2] > scores[1] && scores[1] > scores[0], string.Join(", ", scores));
        Assert.Equal(Math.Clamp(scores[2], 1, 5), mf.ScoreItem("u3", "good"), 4);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(32)]
    [InlineData(24)]
    [InlineData(10)]
    [InlineData(1)]
    public void ScoreItems_EqualsEachItemsOwnScore_AtAnyRank(int rank)
    {
        var mf = new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = rank, MinRating = -100, MaxRating = 100 });
        var rng = new Random(rank);
        for (var n = 0; n < 3000; n++)
        {
            var rating = rng.Next(1, 6);
            mf.Learn(Rating("u" + rng.Next(20), "i" + rng.Next(300), rating), rating);
        }

        // Items the learner never saw (scattered through the catalog and a run at its end) are scored with the biases
        // only; the catalog grows between two requests.
        var catalog = Enumerable.Range(0, 320).Select(i => i % 7 == 3 ? "unseen" + i : "i" + i).ToList();
        var scores = new float[catalog.Count + 5];
        mf.ScoreItems("u7", catalog, scores);
        catalog.AddRange(["new-1", "i3", "new-2"]);
        mf.ScoreItems("u7", catalog, scores);
        for (var c = 0; c < catalog.Count; c++)
        {
            Assert.Equal(mf.ScoreItem("u7", catalog[c]), scores[c], tolerance: 1e-4);
        }

        // Items that were missing get rows (learned after the requests above): the next request scores them by their rows.
        mf.Learn(Rating("u3", "unseen3", 5), 5);
        mf.Learn(Rating("u7", "new-2", 1), 1);
        mf.ScoreItems("u7", catalog, scores);
        for (var c = 0; c < catalog.Count; c++)
        {
            Assert.Equal(mf.ScoreItem("u7", catalog[c]), scores[c], tolerance: 1e-4);
        }

        Assert.NotEqual(mf.ScoreItem("u7", "never-seen"), mf.ScoreItem("u7", "unseen3"));

        // An unknown user: the biases alone, through the same scoring pass.
        mf.ScoreItems("nobody", catalog, scores);
        for (var c = 0; c < catalog.Count; c++)
        {
            Assert.Equal(mf.ScoreItem("nobody", catalog[c]), scores[c], tolerance: 1e-4);
        }

        // Several users in one pass (two at a time at ranks 32 and 64, the last of an odd number alone): each user's
        // scores are those of its own request, to the bit.
        string[] users = ["u7", "u3", "nobody", "u11", "u7"];
        var many = new float[users.Length * catalog.Count];
        mf.ScoreItems(users, catalog, many);
        for (var u = 0; u < users.Length; u++)
        {
            mf.ScoreItems(users[u], catalog, scores);
            Assert.Equal(scores[..catalog.Count], many[(u * catalog.Count)..((u + 1) * catalog.Count)]);
        }
    }
}

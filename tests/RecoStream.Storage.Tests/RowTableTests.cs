using RecoStream.Core.Events;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;
using RecoStream.Core.Routing;

namespace RecoStream.Storage.Tests;

/// <summary>Row-by-row checkpoints of factorization learners: increments, fallback, hot sets over the store, expiry, admission.</summary>
public sealed class RowTableTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "recostream-row-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_path))
        {
            Directory.Delete(_path, recursive: true);
        }
    }

    private static ModelState MfState(RowTableOptions? rows = null) =>
        new(new FeatureOptions(), [new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 8, Rows = rows ?? new RowTableOptions() })], "mf", 20);

    private static UserEvent Rating(int user, int item, int n) => new("u" + user, "i" + item, EventType.Rating, 1 + (user * 7 + item * 3) % 5, n * 60_000L, [], []);

    /// <summary>A seeded stream of ratings: <paramref name="users"/> users, 200 items.</summary>
    private static IEnumerable<UserEvent> Ratings(int count, int users, int seed, int start = 0)
    {
        var rng = new Random(seed);
        for (var n = start; n < start + count; n++)
        {
            yield return Rating(rng.Next(users), rng.Next(200), n);
        }
    }

    private static void Learn(ModelState state, IEnumerable<UserEvent> events)
    {
        var route = new IncrementalRoute(state, new LabelPolicy(new LabelOptions()));
        var n = 0;
        foreach (var e in events)
        {
            route.Apply(StreamItem.ForEvent(n++, e));
        }
    }

    private static double[] Probe(ModelState state) =>
        [.. Enumerable.Range(0, 40).Select(k => state.Learner.ScoreItem("u" + (k * 37 % 1000), "i" + (k * 11 % 200)))];

    [Fact]
    public void IncrementalCheckpoints_WriteOnlyChangedRows_AndReadBackTheWholeModel()
    {
        var state = MfState();
        using (var store = CheckpointStore.Open(_path, syncWrites: false))
        {
            Learn(state, Ratings(5000, 1000, seed: 1));
            store.Write(state.SnapshotChanges(), 1);
            // Ten more ratings change at most 20 rows of the 1,200.
            Learn(state, Ratings(10, 1000, seed: 2, start: 5000));
            var changes = state.SnapshotChanges();
            Assert.InRange(changes.Learners[0].State.Rows["user"].Count + changes.Learners[0].State.Rows["item"].Count, 1, 20);
            store.Write(changes, 2);
        }

        using (var raw = new RawStore(_path))
        {
            var written = raw.Entries("user_rows").Concat(raw.Entries("item_rows")).Where(e => !IsHistoryRow(e.Key)).ToLookup(e => e.Key[^1] == unchecked((byte)~2));
            Assert.InRange(written[true].Count(), 1, 20);
            Assert.True(written[false].Count() > 1000);
        }
        var restored = Restored(MfState());

        Assert.Equal(Probe(state), Probe(restored));
        var (before, after) = (((BiasedMatrixFactorization)state.Learner).Snapshot(), ((BiasedMatrixFactorization)restored.Learner).Snapshot());
        Assert.Equal(before.Rows["user"].Total, after.Rows["user"].Total);
        Assert.Equal(before.Rows["user"].Ids.Order(), after.Rows["user"].Ids.Order());
    }

    /// <summary>Restores <paramref name="fresh"/> from the store's latest checkpoint (the store is opened and closed).</summary>
    private ModelState Restored(ModelState fresh)
    {
        using var store = CheckpointStore.Open(_path, syncWrites: false);
        fresh.Restore(store.ReadLatest()!);
        return fresh;
    }

    private static bool IsHistoryRow(byte[] key) => key.AsSpan().StartsWith(StoreLayout.HistoryPrefix);

    private static void AssertSameHistory(ModelState expected, ModelState actual, int users)
    {
        Assert.Equal(expected.History.UserCount, actual.History.UserCount);
        for (var u = 0; u < users; u++)
        {
            Assert.Equal(expected.History.TryGetItems("u" + u, out var want), actual.History.TryGetItems("u" + u, out var got));
            Assert.Equal(want.Order(), got.Order());
        }
    }

    [Fact]
    public void InteractionHistory_IsWrittenUserByUser_OnlyChangedUsersAtEachCheckpoint()
    {
        var state = MfState();
        using (var store = CheckpointStore.Open(_path, syncWrites: false))
        {
            Learn(state, Ratings(5000, 1000, seed: 1));
            store.Write(state.SnapshotChanges(), 1);
            Learn(state, Ratings(10, 1000, seed: 2, start: 5000));
            store.Write(state.SnapshotChanges(), 2);
        }

        using (var raw = new RawStore(_path))
        {
            var history = raw.Entries("user_rows").Where(e => IsHistoryRow(e.Key)).ToLookup(e => e.Key[^1] == unchecked((byte)~2));
            Assert.InRange(history[true].Count(), 1, 10);
            Assert.Equal(state.History.UserCount, history[false].Count());
            Assert.DoesNotContain(raw.Entries("serving"), e => System.Text.Encoding.ASCII.GetString(e.Key).EndsWith("/history", StringComparison.Ordinal));
        }

        var restored = Restored(MfState());

        AssertSameHistory(state, restored, 1000);
    }

    [Fact]
    public void InteractionHistory_UsersDroppedByTheUserLimit_AreRemovedFromTheStore()
    {
        ModelState Bounded() => new(new FeatureOptions(), [new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 8 })], "mf", 20,
            maxUsersRemembered: 100);
        var state = Bounded();
        using (var store = CheckpointStore.Open(_path, syncWrites: false))
        {
            for (var c = 0; c < 5; c++)
            {
                Learn(state, Ratings(400, 1000, seed: 10 + c, start: c * 400));
                store.Write(state.SnapshotChanges(), c + 1);
            }
        }

        Assert.True(state.History.UsersDropped > 0);
        var restored = Restored(Bounded());

        AssertSameHistory(state, restored, 1000);
    }

    [Fact]
    public void InteractionHistory_StoredAsOneRecordByAnEarlierVersion_IsRead_AndRewrittenAsRowsNext()
    {
        var state = MfState();
        using (var store = CheckpointStore.Open(_path, syncWrites: false))
        {
            Learn(state, Ratings(2000, 300, seed: 3));
            store.Write(state.SnapshotChanges(), 1);
        }

        // Turn generation 1 into the earlier layout: the history as one record, no history rows, the flag off.
        var options = MessagePack.Resolvers.StandardResolverAllowPrivate.Options;
        using (var raw = new RawStore(_path))
        {
            var full = state.History.Snapshot();
            raw.Set("serving", StoreLayout.RecordKey(1, "history"), MessagePack.MessagePackSerializer.Serialize(new HistoryRecord
            {
                SchemaVersion = CheckpointStore.SchemaVersion,
                Users = [.. full.Users.Select(u => u.User)],
                Items = [.. full.Users.Select(u => u.Items)],
            }, options));
            foreach (var (key, _) in raw.Entries("user_rows").Where(e => IsHistoryRow(e.Key)))
            {
                raw.Set("user_rows", key, null);
            }

            var metaKey = StoreLayout.RecordKey(1, "meta");
            var meta = MessagePack.MessagePackSerializer.Deserialize<MetaRecord>(raw.Get("meta", metaKey), options);
            meta.HistoryInRows = false;
            raw.Set("meta", metaKey, MessagePack.MessagePackSerializer.Serialize(meta, options));
        }

        var restored = MfState();
        using (var store = CheckpointStore.Open(_path, syncWrites: false))
        {
            restored.Restore(store.ReadLatest()!);
            AssertSameHistory(state, restored, 300);
            // The next checkpoint holds every user, so the store has every user's row from then on.
            var changes = restored.SnapshotChanges();
            Assert.Equal(restored.History.UserCount, changes.History.Users.Count);
            store.Write(changes, 2);
        }

        var again = Restored(MfState());

        AssertSameHistory(state, again, 300);
    }

    [Fact]
    public void DamagedHistoryRowInTheLatestCheckpoint_FallsBackToThePreviousCheckpoint()
    {
        var state = MfState();
        using (var store = CheckpointStore.Open(_path, syncWrites: false))
        {
            Learn(state, Ratings(2000, 300, seed: 4));
            store.Write(state.SnapshotChanges(), 1);
            Learn(state, Ratings(50, 300, seed: 5, start: 2000));
            store.Write(state.SnapshotChanges(), 2);
        }

        using (var raw = new RawStore(_path))
        {
            var (key, value) = raw.Entries("user_rows").First(e => IsHistoryRow(e.Key) && e.Key[^1] == unchecked((byte)~2));
            raw.Set("user_rows", key, value[..^1]);
        }

        using var reopened = CheckpointStore.Open(_path, syncWrites: false);
        var snapshot = reopened.ReadLatest()!;
        Assert.Equal(1, reopened.Generation);
        Assert.Contains("history", reopened.Fallbacks.Single(), StringComparison.Ordinal);
        Assert.Equal(2000, snapshot.EventsApplied);
    }

    [Fact]
    public void DamagedRowInTheLatestCheckpoint_FallsBackToThePreviousRowsAndDropsTheNewerVersions()
    {
        var state = MfState();
        double[] atFirst;
        using (var store = CheckpointStore.Open(_path, syncWrites: true, keep: 2))
        {
            Learn(state, Ratings(3000, 1000, seed: 3));
            store.Write(state.SnapshotChanges(), 1);
            atFirst = Probe(state);
            Learn(state, Ratings(3000, 1000, seed: 4, start: 3000));
            store.Write(state.SnapshotChanges(), 2);
        }

        using (var raw = new RawStore(_path))
        {
            // Truncate one row version written by checkpoint 2 (the suffix is the complement of the generation).
            var (key, value) = raw.Entries("user_rows").First(e => e.Key[^1] == unchecked((byte)~2));
            raw.Set("user_rows", key, value[..10]);
        }

        var restored = MfState();
        using (var store = CheckpointStore.Open(_path, syncWrites: true, keep: 2))
        {
            restored.Restore(store.ReadLatest()!);
            Assert.Equal(1, store.Generation);
            Assert.Contains("checkpoint 2 is unusable", store.Fallbacks.Single(), StringComparison.Ordinal);
        }

        Assert.Equal(atFirst, Probe(restored));
        using (var raw = new RawStore(_path))
        {
            Assert.DoesNotContain(raw.Entries("user_rows"), e => e.Key[^1] == unchecked((byte)~2));
        }
    }

    [Fact]
    public void RowsEvictedAfterTheLastCheckpoint_AreDiscardedWhenTheProcessDiesBeforeTheNextOne()
    {
        var options = new RowTableOptions { HotRows = 16 };
        var state = MfState(options);
        double[] committed;
        using (var store = CheckpointStore.Open(_path, syncWrites: true))
        {
            state.Learner.AttachRowStore(store.RowsOf("mf"));
            Learn(state, Ratings(2000, 300, seed: 5));
            store.Write(state.SnapshotChanges(), 1, store.ReserveGeneration());
            committed = Probe(state);
            // More learning evicts changed rows into the store as versions of checkpoint 2, which is never written.
            Learn(state, Ratings(2000, 300, seed: 6, start: 2000));
            Assert.NotEqual(committed, Probe(state));
        }

        var restored = MfState(options);
        using (var store = CheckpointStore.Open(_path, syncWrites: true))
        {
            restored.Restore(store.ReadLatest(_ => true)!);
            restored.Learner.AttachRowStore(store.RowsOf("mf"));
            Assert.Equal(committed, Probe(restored));
        }
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(false, 4)]
    public void OldVersions_AreCollected_CheckpointAfterCheckpoint_AndAfterARestart(bool wholeScans, int collectEvery)
    {
        // 50 users and 200 items rewritten by 12 checkpoints (keep 2): collecting at every checkpoint, a row keeps at most
        // the version the oldest kept checkpoint reads and the latest one's; collecting every fourth, up to three more.
        var inMemory = MfState();
        var state = MfState();
        var events = Ratings(12_000, 50, seed: 11).ToArray();
        var mostVersions = 0;
        using (var store = CheckpointStore.Open(_path, syncWrites: false, keep: 2))
        {
            store.Ledger.MaxRows = wholeScans ? 10 : store.Ledger.MaxRows;
            store.CollectEvery = collectEvery;
            for (var part = 0; part < 8; part++)
            {
                var slice = events[(part * 1000)..((part + 1) * 1000)];
                Learn(inMemory, slice);
                Learn(state, slice);
                store.Write(state.SnapshotChanges(), part, store.ReserveGeneration());
                mostVersions = Math.Max(mostVersions, store.MostVersionsOfARow());
                Assert.InRange(store.MostVersionsOfARow(), 1, 1 + collectEvery);
                // Only the generations not yet collected stay listed (at most 50 users, 200 items, 50 histories each).
                Assert.InRange(store.Ledger.Rows, 0, 300 * collectEvery);
            }

            // Fewer when collecting every fourth: the versions of the last checkpoints wait for the next collection.
            Assert.True(store.VersionsCollected > (collectEvery == 1 ? 1000 : 500), $"{store.VersionsCollected} versions collected");
        }

        // Collecting every fourth checkpoint does keep more versions in between.
        Assert.Equal(collectEvery > 1, mostVersions > 2);

        // After a restart the ledger is rebuilt from what the read found: the rows written before it are collected too.
        var restored = MfState();
        using (var store = CheckpointStore.Open(_path, syncWrites: false, keep: 2))
        {
            restored.Restore(store.ReadLatest()!);
            store.Ledger.MaxRows = wholeScans ? 10 : store.Ledger.MaxRows;
            store.CollectEvery = collectEvery;
            Assert.Equal(Probe(inMemory), Probe(restored));
            for (var part = 8; part < 12; part++)
            {
                var slice = events[(part * 1000)..((part + 1) * 1000)];
                Learn(inMemory, slice);
                Learn(restored, slice);
                store.Write(restored.SnapshotChanges(), part, store.ReserveGeneration());
                Assert.InRange(store.MostVersionsOfARow(), 1, 1 + collectEvery);
            }
        }

        var reread = Restored(MfState());

        Assert.Equal(Probe(inMemory), Probe(reread));
        AssertSameHistory(inMemory, reread, 50);
    }

    [Fact]
    public void ACheckpointWrittenInChunks_ReadsBackWhole_AndACrashBeforeItsCommit_LeavesThePreviousOne()
    {
        var state = MfState();
        double[] first;
        using (var store = CheckpointStore.Open(_path, syncWrites: false))
        {
            store.VersionChunkBytes = 4096; // about 30 rows per chunk
            Learn(state, Ratings(5000, 1000, seed: 1));
            store.Write(state.SnapshotChanges(), 1);
            first = Probe(state);

            // The next checkpoint's versions reach the store, then it fails before its commit, as a crash there would.
            Learn(state, Ratings(5000, 1000, seed: 2, start: 5000));
            store.BeforeCommit = () => throw new IOException("crash before the commit");
            Assert.Throws<IOException>(() => store.Write(state.SnapshotChanges(), 2));
            Assert.True(store.MostVersionsOfARow() >= 2, "the failed checkpoint's versions are in the store");
        }

        var restored = MfState();
        using (var store = CheckpointStore.Open(_path, syncWrites: false))
        {
            restored.Restore(store.ReadLatest()!);
            Assert.Equal(1, store.Generation);
            Assert.Equal(1, store.MostVersionsOfARow()); // the uncommitted versions are gone
        }

        Assert.Equal(first, Probe(restored));

        // A whole checkpoint in chunks reads back whole.
        using (var store = CheckpointStore.Open(_path, syncWrites: false))
        {
            store.ReadLatest();
            store.VersionChunkBytes = 4096;
            store.Write(state.Snapshot(), 3);
        }

        var reread = Restored(MfState());

        Assert.Equal(Probe(state), Probe(reread));
        AssertSameHistory(state, reread, 1000);
    }

    [Fact]
    public void ACheckpointWrittenAfterLearningWentOn_ReadsBackAsTheStateWasWhenItWasTaken()
    {
        // The worker writes a checkpoint in the background while the pipeline learns: the rows and recent items the
        // snapshot holds are read from the state, each copied aside before the pipeline changes it.
        var state = MfState();
        var stateThen = MfState();
        Learn(state, Ratings(5000, 1000, seed: 3));
        Learn(stateThen, Ratings(5000, 1000, seed: 3));
        using (var store = CheckpointStore.Open(_path, syncWrites: false))
        {
            var first = state.SnapshotChanges();
            // The same users and items change, and new ones grow the tables, before the snapshot is written.
            Learn(state, Ratings(5000, 3000, seed: 4, start: 5000));
            store.Write(first, 1);
            first.Release();
        }

        var restored = Restored(MfState());

        Assert.Equal(Probe(stateThen), Probe(restored));
        Assert.NotEqual(Probe(state), Probe(restored));
        AssertSameHistory(stateThen, restored, 1000);
        Assert.NotEqual(state.History.SeenItems("u1").Length, stateThen.History.SeenItems("u1").Length);
    }

    [Fact]
    public void IdsThatWidenTheTablesWhileACheckpointIsWritten_AreAllReadBack()
    {
        // Ids like u123 pack into 8 bytes a slot. The first id that does not ('.' is outside the packed alphabet) widens
        // the user table's ids and the recent items' to 16 bytes; here that happens while a checkpoint of the narrow ids
        // is unwritten, and the same users change meanwhile (their rows and items copied aside first).
        var state = MfState();
        Learn(state, Ratings(5000, 1000, seed: 5));
        var rng = new Random(6);
        var later = Enumerable.Range(5000, 4000).Select(n => n % 2 == 0
            ? Rating(rng.Next(1000), rng.Next(200), n)
            : new UserEvent("web.u" + rng.Next(500), "i" + rng.Next(200), EventType.Rating, 1 + n % 5, n * 60_000L, [], []));
        using (var store = CheckpointStore.Open(_path, syncWrites: false))
        {
            var first = state.SnapshotChanges();
            Learn(state, later);
            store.Write(first, 1);
            first.Release();
            store.Write(state.SnapshotChanges(), 2);
        }

        var restored = Restored(MfState());

        Assert.Equal(Probe(state), Probe(restored));
        string[] users = [.. Enumerable.Range(0, 1000).Select(u => "u" + u), .. Enumerable.Range(0, 500).Select(u => "web.u" + u)];
        Assert.Equal(users.Select(u => state.Learner.ScoreItem(u, "i7")), users.Select(u => restored.Learner.ScoreItem(u, "i7")));
        Assert.Equal(state.History.UserCount, restored.History.UserCount);
        foreach (var user in users)
        {
            Assert.Equal(state.History.SeenItems(user).ToArray().Order(), restored.History.SeenItems(user).ToArray().Order());
        }

        var ids = ((BiasedMatrixFactorization)restored.Learner).Snapshot().Rows["user"].Ids;
        Assert.Equal(((BiasedMatrixFactorization)state.Learner).Snapshot().Rows["user"].Ids.Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        Assert.InRange(ids.Count(id => id.StartsWith("web.", StringComparison.Ordinal)), 450, 500);
    }

    [Fact]
    public void ACheckpointTakenAgainBeforeTheLastWasWritten_WritesBothAsTheStateWasWhenEachWasTaken()
    {
        var state = MfState();
        var stateThen = MfState();
        using (var store = CheckpointStore.Open(_path, syncWrites: false))
        {
            Learn(state, Ratings(5000, 1000, seed: 7));
            var first = state.SnapshotChanges();
            Learn(state, Ratings(500, 1000, seed: 8, start: 5000));
            var second = state.SnapshotChanges(); // the first is not released: its rows are copied now
            Learn(state, Ratings(5000, 1000, seed: 9, start: 5500));
            store.Write(first, 1);
            store.Write(second, 2);
        }

        Learn(stateThen, Ratings(5000, 1000, seed: 7));
        Learn(stateThen, Ratings(500, 1000, seed: 8, start: 5000));
        var restored = Restored(MfState());

        Assert.Equal(Probe(stateThen), Probe(restored));
        AssertSameHistory(stateThen, restored, 1000);
    }

    [Fact]
    public void ACheckpointWhoseWriteFailed_IsWrittenLaterAsTheStateWasThen()
    {
        // What the worker's checkpointer does when a write fails: keep the snapshot and write it later, while the rows
        // it reads change in between. Every row was stored before the commit failed: none is copied as it changes.
        var copied = AssertAFailedWriteRetriedLater_IsTheStateAsThen(store =>
        {
            store.BeforeCommit = () => throw new IOException("disk full");
            return () => store.BeforeCommit = null;
        });
        Assert.Equal(0, copied);
    }

    [Fact]
    public void ACheckpointWhoseWriteFailedPartWay_ResumesAfterItsStoredChunks_AsTheStateWasThen()
    {
        // Rows in the chunks stored before the failure are no longer kept for the snapshot: the pipeline changes them in
        // place, and the retry writes only the rest (read from the copies kept of those that changed meanwhile).
        var copied = AssertAFailedWriteRetriedLater_IsTheStateAsThen(store =>
        {
            store.VersionChunkBytes = 4096; // about 30 rows per chunk
            var chunks = 0;
            store.BeforeChunk = () =>
            {
                if (++chunks == 5)
                {
                    throw new IOException("disk full");
                }
            };
            return () => store.BeforeChunk = null;
        });
        Assert.True(copied > 0, "rows not yet stored when the write failed were changed without a copy");
    }

    [Fact]
    public void RowsChangedWhileTheirCheckpointIsWritten_AreWrittenAheadFromTheirCopies_AndItReadsBackAsTheStateWasThen()
    {
        // The pipeline goes on learning while a checkpoint is written: the rows and recent items it changes before the write
        // reaches them are copied aside, written right after the next chunk, and their copies dropped once that is stored.
        var state = MfState();
        Learn(state, Ratings(5000, 1000, seed: 5));
        var then = Probe(state);
        var stateThen = MfState();
        Learn(stateThen, Ratings(5000, 1000, seed: 5));
        var held = new List<int>();
        ModelSnapshot? snapshot = null;
        using (var store = CheckpointStore.Open(_path, syncWrites: false))
        {
            store.VersionChunkBytes = 4096; // about 30 rows per chunk
            var chunks = 0;
            store.BeforeChunk = () =>
            {
                held.Add(snapshot!.HeldAside());
                if (++chunks == 3)
                {
                    Learn(state, Ratings(5000, 1000, seed: 6, start: 5000)); // the same users' rows and recent items change
                }
            };
            snapshot = state.SnapshotChanges();
            store.Write(snapshot, 1, store.ReserveGeneration());
            snapshot.Release();
        }

        // Held until the chunk after the change is stored (the one they were written into), then at most the next in order
        // of each table (read from its copy in order). Without the writes ahead, the 2,000 or so copies lasted until each
        // was reached in order.
        Assert.Equal(0, held[2]);
        Assert.True(held[3] > 1000, $"held {held[3]} copies after the change");
        Assert.True(held.Count >= 5 && held.Skip(4).All(h => h <= 3), $"held {string.Join(',', held)}");
        Assert.True(snapshot.CopiedAside() > 1000);
        Assert.True(snapshot.MostHeldAside() >= held[3]);

        var restored = Restored(MfState());
        Assert.Equal(then, Probe(restored));
        Assert.NotEqual(Probe(state), then);
        AssertSameHistory(stateThen, restored, 1000);
    }

    /// <summary>
    /// Learns, takes a snapshot of changes, fails its write as <paramref name="fail"/> arranges (it gives what ends the
    /// failures), changes the same users' rows and recent items, writes the snapshot again under the same generation,
    /// and checks that the store restores the state as it was when the snapshot was taken. Gives how many rows and users'
    /// items the state copied aside meanwhile.
    /// </summary>
    private int AssertAFailedWriteRetriedLater_IsTheStateAsThen(Func<CheckpointStore, Action> fail)
    {
        var state = MfState();
        Learn(state, Ratings(5000, 1000, seed: 5));
        var then = Probe(state);
        var stateThen = MfState();
        Learn(stateThen, Ratings(5000, 1000, seed: 5));
        int copied;
        using (var store = CheckpointStore.Open(_path, syncWrites: false))
        {
            var recover = fail(store);
            var snapshot = state.SnapshotChanges();
            var generation = store.ReserveGeneration();
            Assert.Throws<IOException>(() => { store.Write(snapshot, 1, generation); });
            Learn(state, Ratings(5000, 1000, seed: 6, start: 5000)); // the same users' rows and recent items change
            recover();
            store.Write(snapshot, 2, generation);
            snapshot.Release();
            copied = snapshot.CopiedAside();
        }

        var restored = Restored(MfState());

        Assert.Equal(then, Probe(restored));
        Assert.NotEqual(Probe(state), then);
        AssertSameHistory(stateThen, restored, 1000);
        Assert.NotEqual(state.History.SeenItems("u1").Length, stateThen.History.SeenItems("u1").Length);
        return copied;
    }

    [Fact]
    public void HotSetSmallerThanTheTable_LearnsExactlyAsAllInMemory_AcrossCheckpointsAndARestart()
    {
        var inMemory = MfState();
        var hot = MfState(new RowTableOptions { HotRows = 32 });
        var events = Ratings(20_000, 1000, seed: 7).ToArray();
        using (var store = CheckpointStore.Open(_path, syncWrites: false))
        {
            hot.Learner.AttachRowStore(store.RowsOf("mf"));
            for (var part = 0; part < 4; part++)
            {
                var slice = events[(part * 5000)..((part + 1) * 5000)];
                Learn(inMemory, slice);
                Learn(hot, slice);
                store.Write(hot.SnapshotChanges(), part, store.ReserveGeneration());
            }

            Assert.Equal(Probe(inMemory), Probe(hot));
            var (users, items) = (hot.Learner.RowTables[0], hot.Learner.RowTables[1]);
            Assert.True(users.HotRows <= 32 && items.HotRows <= 32);
            Assert.Equal(inMemory.Learner.RowTables[0].Rows, users.Rows);
            Assert.True(users.Evictions > 1000 && users.Misses > 1000);
        }

        var restarted = MfState(new RowTableOptions { HotRows = 32 });
        using (var store = CheckpointStore.Open(_path, syncWrites: false))
        {
            var snapshot = store.ReadLatest(_ => true)!;
            store.CollectEvery = 1;
            Assert.Empty(snapshot.Learners[0].State.Rows["user"].Ids);
            restarted.Restore(snapshot);
            restarted.Learner.AttachRowStore(store.RowsOf("mf"));
            Assert.Equal(Probe(inMemory), Probe(restarted));
            var next = Rating(5, 6, 30_000);
            Assert.Equal(inMemory.Learner.Learn(next, 4), restarted.Learner.Learn(next, 4));
            Assert.True(store.VersionsCollected > 0, "old row versions are collected");
            store.Write(restarted.SnapshotChanges(), 5, store.ReserveGeneration());
            // Rows evicted since the checkpoint are versions of the next one: one more than the two kept checkpoints read.
            Assert.InRange(store.MostVersionsOfARow(), 1, 3);
        }
    }

    [Fact]
    public void TheBlockCache_HoldsRowsReadBackIntoAHotSet_NotTheStoresOwnScans_WithinItsSize()
    {
        var state = MfState();
        using (var store = CheckpointStore.Open(_path, syncWrites: false))
        {
            Learn(state, Ratings(40_000, 20_000, seed: 4));
            store.Write(state.SnapshotChanges(), 1);
        } // closing flushes the memtables: the rows are read from files below

        const long CacheBytes = 256 << 10;
        using (var store = CheckpointStore.Open(_path, syncWrites: false, blockCacheBytes: CacheBytes))
        {
            // Reading the checkpoint back scans every row, and the version count walks every version: neither fills the cache.
            // (Opening the store reads a few hundred bytes of its own into it.)
            var atOpen = store.NativeMemory().BlockCache;
            Assert.InRange(atOpen, 0, 4096);
            Assert.NotNull(store.ReadLatest());
            Assert.Equal(1, store.MostVersionsOfARow());
            var (_, readers, afterScans) = store.NativeMemory();
            Assert.True(readers > 0, "the files' table readers are counted");
            Assert.Equal(atOpen, afterScans);

            // A hot set's reads fill it, up to its size (one cache for every column family).
            var rows = store.RowsOf("mf");
            var buffer = new float[64];
            var found = 0;
            for (var u = 0; u < 20_000; u += 7)
            {
                found += rows.TryRead("user", "u" + u, buffer, out _, out _) ? 1 : 0;
                found += rows.TryRead("item", "i" + (u % 200), buffer, out _, out _) ? 1 : 0;
            }

            Assert.True(found > 4000, $"{found} rows read");
            var afterReads = store.NativeMemory().BlockCache;
            Assert.InRange(afterReads, 1, CacheBytes);
        }
    }

    [Fact]
    public void StoredRowsWithoutTheSessionColumns_AreReadIntoAHotSetWithNoSessionBias()
    {
        // Rank 8: rows written before the session columns have 2 + 16 values, this version's user rows 2 + 16 + 2.
        var old = new float[18];
        old[0] = 0.5f; // the user's bias
        old[1] = 0.1f;
        using var store = CheckpointStore.Open(_path, syncWrites: false);
        var rows = store.RowsOf("mf");
        rows.WriteEvicted("user", "u1", old, 1000);
        rows.WriteEvicted("user", "u2", new float[19], 1000);

        var buffer = new float[20];
        Assert.True(rows.TryRead("user", "u1", buffer, out var width, out var lastActive));
        Assert.Equal((18, 1000L), (width, lastActive));
        Assert.Equal(old, buffer[..18]);
        Assert.Throws<CheckpointCorruptException>(() => rows.TryRead("user", "u1", new float[17], out _, out _));

        var state = MfState(new RowTableOptions { HotRows = 16 });
        state.Learner.AttachRowStore(rows);
        // Midpoint 3 (nothing learned yet) + the stored bias; no factors for an unknown item, no session bias.
        Assert.Equal(3.5, state.Learner.ScoreItem("u1", "i1"), 5);
        var next = Rating(1, 1, 1);
        state.Learner.Learn(next, 4);
        var written = ((BiasedMatrixFactorization)state.Learner).SnapshotChanges().Rows["user"];
        Assert.Equal(20, written.Width);
        Assert.Contains("u1", written.Packed().Ids);
        var error = Assert.Throws<InvalidOperationException>(() => state.Learner.ScoreItem("u2", "i1"));
        Assert.Contains("19 values", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RowVersions_AreCollectedOnceNoKeptCheckpointReadsThem()
    {
        var state = MfState();
        using (var store = CheckpointStore.Open(_path, syncWrites: false, keep: 2))
        {
            store.CollectEvery = 1;
            for (var g = 1; g <= 6; g++)
            {
                Learn(state, [Rating(1, 1, g)]);
                store.Write(state.SnapshotChanges(), g);
            }
        }

        using var raw = new RawStore(_path);
        // u1 was written by every checkpoint: only the versions checkpoints 5 and 6 read remain (its history row, one item
        // since the first checkpoint, was written once).
        Assert.Equal(2, raw.Entries("user_rows").Count(e => !IsHistoryRow(e.Key)));
        Assert.Single(raw.Entries("user_rows"), e => IsHistoryRow(e.Key));
    }

    [Fact]
    public void RowsInactiveLongerThanTheTtl_ExpireInMemoryAndInTheStore()
    {
        var options = new RowTableOptions { HotRows = 16, TtlSeconds = 3600, ExpiryScanRows = 1000 };
        var state = MfState(options);
        using (var store = CheckpointStore.Open(_path, syncWrites: false))
        {
            state.Learner.AttachRowStore(store.RowsOf("mf"));
            // 100 users rate within 50 minutes; then only u0 and u1 go on, for three hours of event time.
            Learn(state, Enumerable.Range(0, 100).Select(u => Rating(u, u, u / 2)));
            store.Write(state.SnapshotChanges(), 1, store.ReserveGeneration());
            Assert.Equal(0, state.Learner.RowTables[0].Expiries);
            Learn(state, Enumerable.Range(0, 200).Select(n => Rating(n % 2, 0, 100 + n)));
            store.Write(state.SnapshotChanges(), 2, store.ReserveGeneration());
            var users = state.Learner.RowTables[0];
            Assert.Equal(2, users.Rows);
            Assert.Equal(98, users.Expiries);
        }

        using (var store = CheckpointStore.Open(_path, syncWrites: false))
        {
            var snapshot = store.ReadLatest()!;
            Assert.Equal(["u0", "u1"], snapshot.Learners[0].State.Rows["user"].Ids.Order());
        }
    }

    [Fact]
    public void NewIds_GetARowOnlyAfterTheConfiguredNumberOfSightings()
    {
        var state = MfState(new RowTableOptions { AdmitAfter = 3 });
        Learn(state, [Rating(1, 1, 0), Rating(1, 2, 1)]);
        Assert.Equal(0, state.Learner.RowTables[0].Rows);
        Assert.Equal(4, state.Learner.RowTables[0].NotAdmitted + state.Learner.RowTables[1].NotAdmitted);
        Learn(state, [Rating(1, 3, 2)]);
        Assert.Equal(1, state.Learner.RowTables[0].Rows);

        // The sightings are part of the checkpoint: a restored learner admits i1 on its third sighting, as this one does.
        using var store = CheckpointStore.Open(_path, syncWrites: false);
        store.Write(state.SnapshotChanges(), 1);
        var restored = MfState(new RowTableOptions { AdmitAfter = 3 });
        restored.Restore(store.ReadLatest()!);
        Learn(state, [Rating(9, 1, 3), Rating(9, 1, 4)]);
        Learn(restored, [Rating(9, 1, 3), Rating(9, 1, 4)]);
        Assert.Equal(state.Learner.ScoreItem("u9", "i1"), restored.Learner.ScoreItem("u9", "i1"));
        Assert.Equal(1, restored.Learner.RowTables[1].Rows);
    }
}

using System.Text;
using MessagePack;
using RecoStream.Core.Events;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;
using RecoStream.Core.Routing;
using RocksDbSharp;

namespace RecoStream.Storage.Tests;

public sealed class CheckpointStoreTests : IDisposable
{
    private static readonly string[] LinearOnly = ["linear"];

    /// <summary>The key prefixes of a store's first two checkpoints' whole records.</summary>
    private const string Gen1 = "0000000000000000001/";
    private const string Gen2 = "0000000000000000002/";

    private readonly string _path = Path.Combine(Path.GetTempPath(), "recostream-store-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_path))
        {
            Directory.Delete(_path, recursive: true);
        }
    }

    private static ModelState TrainedState()
    {
        var state = new ModelState(new FeatureOptions(), new LinearLearnerOptions { HashBits = 12 }, 50);
        var route = new IncrementalRoute(state, new LabelPolicy(new LabelOptions()));
        var rng = new Random(9);
        for (var n = 0; n < 500; n++)
        {
            var e = new UserEvent("u" + rng.Next(30), "i" + rng.Next(40), n % 3 == 0 ? EventType.Purchase : EventType.Rating, rng.Next(1, 6), n * 1000L,
                ["price", "qty"], [rng.NextDouble() * 100, rng.Next(5)]);
            var stages = state.Preprocessing;
            var item = stages.Normalizer.Normalize(stages.Extractor.Extract(stages.Cleaner.Clean(StreamItem.ForEvent(n, e))));
            stages.Windows.Add(e.TimestampMs);
            route.Apply(item);
        }

        return state;
    }

    [Fact]
    public void ReadLatest_EmptyStore_ReturnsNull()
    {
        using var store = CheckpointStore.Open(_path, syncWrites: true);
        Assert.Null(store.ReadLatest());
    }

    [Fact]
    public void Write_ThenReadAfterReopen_RestoresIdenticalState()
    {
        var state = TrainedState();
        using (var store = CheckpointStore.Open(_path, syncWrites: true))
        {
            Assert.True(store.Write(state.Snapshot(), 1234) > 4 << 12);
        }

        var restored = new ModelState(new FeatureOptions(), new LinearLearnerOptions { HashBits = 12 }, 50);
        using (var store = CheckpointStore.Open(_path, syncWrites: true))
        {
            restored.Restore(store.ReadLatest()!);
            Assert.Equal(1234, store.LatestCheckpointTime());
        }

        Assert.Equal(((LinearLearner)state.Learner).Weights.ToArray(), ((LinearLearner)restored.Learner).Weights.ToArray());
        Assert.Equal(state.EventsApplied, restored.EventsApplied);
        Assert.Equal(state.LinesConsumed, restored.LinesConsumed);
        Assert.Equal(state.Catalog.Ids, restored.Catalog.Ids);
        Assert.Equal(state.Catalog.Counts, restored.Catalog.Counts);
        Assert.Equal(state.Evaluator.Snapshot(), restored.Evaluator.Snapshot());
        Assert.Equal(state.Normalizer.Snapshot().Features, restored.Normalizer.Snapshot().Features);
        var (stream, restoredStream) = (state.Preprocessing.Snapshot(), restored.Preprocessing.Snapshot());
        Assert.Equal(stream.NewestEventMs, restoredStream.NewestEventMs);
        Assert.Equal(stream.Deduplication.SelectMany(d => d.Keys), restoredStream.Deduplication.SelectMany(d => d.Keys));
        Assert.Equal(stream.Quarantine.OrderBy(q => q.User), restoredStream.Quarantine.OrderBy(q => q.User));
        Assert.Equal(stream.Behaviour.Users.OrderBy(u => u.User), restoredStream.Behaviour.Users.OrderBy(u => u.User));
        Assert.Equal(stream.Behaviour.Items.OrderBy(i => i.Item), restoredStream.Behaviour.Items.OrderBy(i => i.Item));
        Assert.Equal(stream.Behaviour.KeySketch, restoredStream.Behaviour.KeySketch);
        Assert.Equal(stream.Window, restoredStream.Window);
        Assert.NotEmpty(stream.Behaviour.Users);
        Assert.Equal(500, stream.Window.Events);
        foreach (var user in new[] { "u1", "u7", "u29" })
        {
            Assert.True(state.History.TryGetItems(user, out var expected));
            Assert.True(restored.History.TryGetItems(user, out var actual));
            Assert.Equal(expected.Order(), actual.Order());
        }

        var probe = new UserEvent("u3", "i5", EventType.Rating, 4, 0, ["price"], [0.2]);
        Assert.Equal(state.Learner.Predict(probe), restored.Learner.Predict(probe));
    }

    [Fact]
    public void Write_Twice_LatestWins()
    {
        var state = TrainedState();
        using var store = CheckpointStore.Open(_path, syncWrites: false);
        store.Write(state.Snapshot(), 1);
        state.EventsApplied += 10;
        store.Write(state.Snapshot(), 2);

        Assert.Equal(state.EventsApplied, store.ReadLatest()!.EventsApplied);
    }

    /// <summary>Opens the store's RocksDB folder directly, with every column family, as a tool that damages it would.</summary>
    private RawStore Raw() => new(_path);

    private void Tamper(string family, string key, byte[]? value)
    {
        using var raw = Raw();
        raw.Set(family, Encoding.ASCII.GetBytes(key), value);
    }

    private CheckpointCorruptException ReadCorrupt()
    {
        using var store = CheckpointStore.Open(_path, syncWrites: true);
        return Assert.Throws<CheckpointCorruptException>(() => store.ReadLatest());
    }

    private void WriteCheckpoint()
    {
        using var store = CheckpointStore.Open(_path, syncWrites: true);
        store.Write(TrainedState().Snapshot(), 1);
    }

    [Fact]
    public void ReadLatest_GarbageValue_IsDetected()
    {
        WriteCheckpoint();
        Tamper("serving", Gen1 + "catalog", [0xC1, 0x00, 0xFF, 0x13]);

        Assert.Contains("'catalog'", ReadCorrupt().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLatest_TruncatedWeightPage_IsDetected()
    {
        WriteCheckpoint();
        using (var raw = Raw())
        {
            var (key, value) = raw.Entries("dense").First();
            raw.Set("dense", key, value[..(value.Length / 2)]);
        }

        Assert.Contains("'learner/linear'", ReadCorrupt().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLatest_MissingWeightPage_IsDetected()
    {
        WriteCheckpoint();
        using (var raw = Raw())
        {
            raw.Set("dense", raw.Entries("dense").Last().Key, null);
        }

        Assert.Contains("page 0 of its 'weights' array is missing", ReadCorrupt().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLatest_MissingPart_IsDetected()
    {
        WriteCheckpoint();
        Tamper("serving", Gen1 + "catalog", null);

        Assert.Contains("'catalog' value is missing", ReadCorrupt().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLatest_MissingStreamState_IsDetected()
    {
        WriteCheckpoint();
        Tamper("features", Gen1 + "stream", null);

        Assert.Contains("'stream' value is missing", ReadCorrupt().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLatest_StreamStateWithColumnsOfDifferentLengths_IsDetected()
    {
        // The earlier layout kept the behaviour statistics as columns of the stream record (a MessagePack array; key 8
        // the users, key 9 their counts): a store of that layout whose columns disagree.
        WriteCheckpoint();
        using (var raw = Raw())
        {
            var key = Encoding.ASCII.GetBytes(Gen1 + "stream");
            var fields = MessagePackSerializer.Deserialize<object[]>(raw.Get("features", key));
            fields[8] = new object[] { "u1", "u2" };
            fields[9] = new object[] { 3L };
            raw.Set("features", key, MessagePackSerializer.Serialize(fields));
            SetMeta(raw, 1, meta => meta.BehaviourInRows = false);
        }

        Assert.Contains("user statistics columns differ in length", ReadCorrupt().Message, StringComparison.Ordinal);
    }

    private static void SetMeta(RawStore raw, long generation, Action<MetaRecord> change)
    {
        var options = MessagePack.Resolvers.StandardResolverAllowPrivate.Options;
        var key = StoreLayout.RecordKey(generation, "meta");
        var meta = MessagePackSerializer.Deserialize<MetaRecord>(raw.Get("meta", key), options);
        change(meta);
        raw.Set("meta", key, MessagePackSerializer.Serialize(meta, options));
    }

    private static bool IsBehaviourRow(byte[] key) => key.AsSpan().StartsWith(StoreLayout.BehaviourPrefix);

    private static void Apply(ModelState state, UserEvent e, long line)
    {
        var stages = state.Preprocessing;
        var item = stages.Normalizer.Normalize(stages.Extractor.Extract(stages.Cleaner.Clean(StreamItem.ForEvent(line, e))));
        new IncrementalRoute(state, new LabelPolicy(new LabelOptions())).Apply(item);
    }

    private static void AssertSameBehaviour(ModelState expected, ModelState actual)
    {
        var (a, b) = (expected.Preprocessing.Extractor.Snapshot(), actual.Preprocessing.Extractor.Snapshot());
        Assert.Equal(a.Users.OrderBy(u => u.User, StringComparer.Ordinal), b.Users.OrderBy(u => u.User, StringComparer.Ordinal));
        Assert.Equal(a.Items.OrderBy(i => i.Item, StringComparer.Ordinal), b.Items.OrderBy(i => i.Item, StringComparer.Ordinal));
        Assert.NotEmpty(a.Users);
    }

    private ModelState RestoredState()
    {
        var restored = new ModelState(new FeatureOptions(), new LinearLearnerOptions { HashBits = 12 }, 50);
        using var store = CheckpointStore.Open(_path, syncWrites: true);
        restored.Restore(store.ReadLatest()!);
        return restored;
    }

    [Fact]
    public void BehaviourStatistics_AreWrittenAsRowsWhenTheyChange_AndReadBackWhole()
    {
        var state = TrainedState();
        using (var store = CheckpointStore.Open(_path, syncWrites: true))
        {
            store.Write(state.SnapshotChanges(), 1);
            // One more event: one user's and one item's statistics change, and only their rows are written.
            Apply(state, new UserEvent("u3", "i7", EventType.Click, null, 600_000, [], []), 500);
            var changes = state.SnapshotChanges();
            Assert.Equal(["u3"], changes.Stream!.Behaviour.Users.Select(u => u.User));
            Assert.Equal(["i7"], changes.Stream.Behaviour.Items.Select(i => i.Item));
            store.Write(changes, 2);
        }

        using (var raw = Raw())
        {
            var rows = raw.Entries("user_rows").Concat(raw.Entries("item_rows")).Where(e => IsBehaviourRow(e.Key)).ToLookup(e => e.Key[^1] == unchecked((byte)~2));
            Assert.Equal(2, rows[true].Count());
            Assert.Equal(state.Preprocessing.Extractor.Users + state.Preprocessing.Extractor.Items, rows[false].Count());
            // The stream record no longer holds them.
            var fields = MessagePackSerializer.Deserialize<object[]>(raw.Get("features", Encoding.ASCII.GetBytes(Gen2 + "stream")));
            Assert.Empty((object[])fields[8]);
        }

        AssertSameBehaviour(state, RestoredState());
    }

    [Fact]
    public void BehaviourStatistics_OfTheEarlierLayout_AreRead_AndTheNextCheckpointWritesThemAllAsRows()
    {
        var state = TrainedState();
        using (var store = CheckpointStore.Open(_path, syncWrites: true))
        {
            store.Write(state.SnapshotChanges(), 1);
        }

        // Turn generation 1 into the earlier layout: the statistics as the stream record's columns, no rows, the flag off.
        using (var raw = Raw())
        {
            var full = state.Preprocessing.Extractor.Snapshot();
            var key = Encoding.ASCII.GetBytes(Gen1 + "stream");
            var fields = MessagePackSerializer.Deserialize<object[]>(raw.Get("features", key));
            fields[8] = full.Users.Select(u => (object)u.User).ToArray();
            fields[9] = full.Users.Select(u => (object)u.Count).ToArray();
            fields[10] = full.Users.Select(u => (object)u.FirstMs).ToArray();
            fields[11] = full.Users.Select(u => (object)u.LastMs).ToArray();
            fields[12] = full.Users.Select(u => (object)u.Purchases).ToArray();
            fields[13] = full.Users.Select(u => (object)u.PurchaseTotal).ToArray();
            fields[14] = full.Items.Select(i => (object)i.Item).ToArray();
            fields[15] = full.Items.Select(i => (object)i.Count).ToArray();
            fields[16] = full.Items.Select(i => (object)i.LastMs).ToArray();
            raw.Set("features", key, MessagePackSerializer.Serialize(fields));
            foreach (var family in (string[])["user_rows", "item_rows"])
            {
                foreach (var (row, _) in raw.Entries(family).Where(e => IsBehaviourRow(e.Key)))
                {
                    raw.Set(family, row, null);
                }
            }

            SetMeta(raw, 1, meta => meta.BehaviourInRows = false);
        }

        var restored = new ModelState(new FeatureOptions(), new LinearLearnerOptions { HashBits = 12 }, 50);
        using (var store = CheckpointStore.Open(_path, syncWrites: true))
        {
            restored.Restore(store.ReadLatest()!);
            AssertSameBehaviour(state, restored);
            var changes = restored.SnapshotChanges();
            Assert.Equal(restored.Preprocessing.Extractor.Users, changes.Stream!.Behaviour.Users.Count);
            Assert.Equal(restored.Preprocessing.Extractor.Items, changes.Stream.Behaviour.Items.Count);
            store.Write(changes, 2);
        }

        AssertSameBehaviour(state, RestoredState());
    }

    [Fact]
    public void ReadLatest_ABehaviourRowMissing_IsDetected()
    {
        WriteCheckpoint();
        using (var raw = Raw())
        {
            var (key, _) = raw.Entries("item_rows").First(e => IsBehaviourRow(e.Key));
            raw.Set("item_rows", key, null);
        }

        Assert.Contains("statistics where the checkpoint wrote", ReadCorrupt().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_StoreMissingAColumnFamily_IsRefusedNamingIt()
    {
        WriteCheckpoint();
        using (var raw = Raw())
        {
            raw.Db.DropColumnFamily("user_rows");
        }

        var ex = Assert.Throws<CheckpointCorruptException>(() => CheckpointStore.Open(_path, syncWrites: true));
        Assert.Contains("no 'user_rows' column family", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_StoreOfTheEarlierSingleFamilyLayout_IsRefusedWithWhatToDo()
    {
        using (var db = RocksDb.Open(new DbOptions().SetCreateIfMissing(true), _path))
        {
            db.Put(Encoding.ASCII.GetBytes("cp/0000000000000000001/meta"), new byte[] { 0x91, 0x02 });
        }

        var ex = Assert.Throws<CheckpointCorruptException>(() => CheckpointStore.Open(_path, syncWrites: true));
        Assert.Contains("earlier RecoStream", ex.Message, StringComparison.Ordinal);
        Assert.Contains("start on a new store", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLatest_OtherSchemaVersion_IsRefused()
    {
        WriteCheckpoint();
        Tamper("meta", Gen1 + "meta", MessagePackSerializer.Serialize(new object[] { 99, 1L, 1L, 0L, 0, 0, 0, LinearOnly, false, false }));

        Assert.Contains("schema version 99", ReadCorrupt().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLatest_PartsFromDifferentCheckpoints_AreDetected()
    {
        WriteCheckpoint();
        byte[] oldCatalog;
        using (var raw = Raw())
        {
            oldCatalog = raw.Get("serving", Encoding.ASCII.GetBytes(Gen1 + "catalog"));
        }

        using (var store = CheckpointStore.Open(_path, syncWrites: true, keep: 1))
        {
            var state = TrainedState();
            var extra = new UserEvent("new-user", "new-item", EventType.View, null, 0, [], []);
            new IncrementalRoute(state, new LabelPolicy(new LabelOptions())).Apply(StreamItem.ForEvent(1, extra));
            store.Write(state.Snapshot(), 2);
        }

        Tamper("serving", Gen2 + "catalog", oldCatalog);

        Assert.Contains("inconsistent", ReadCorrupt().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLatest_DamagedLatestCheckpoint_FallsBackToTheOneKeptBeforeIt()
    {
        using (var store = CheckpointStore.Open(_path, syncWrites: true, keep: 2))
        {
            var state = TrainedState();
            store.Write(state.Snapshot(), 1);
            state.EventsApplied += 7;
            store.Write(state.Snapshot(), 2);
            state.EventsApplied += 7;
            store.Write(state.Snapshot(), 3);
            Assert.Equal([2L, 3L], store.Generations());
        }

        Tamper("serving", "0000000000000000003/catalog", [0xC1]);

        using var reopened = CheckpointStore.Open(_path, syncWrites: true, keep: 2);
        var snapshot = reopened.ReadLatest()!;
        Assert.Equal(507, snapshot.EventsApplied);
        Assert.Equal(2, reopened.Generation);
        Assert.Contains("checkpoint 3 is unusable: ", reopened.Fallbacks.Single(), StringComparison.Ordinal);
        Assert.Contains("'catalog'", reopened.Fallbacks.Single(), StringComparison.Ordinal);
        Assert.Equal([2L], reopened.Generations());

        // The next checkpoint supersedes the damaged one.
        var state2 = new ModelState(new FeatureOptions(), new LinearLearnerOptions { HashBits = 12 }, 50);
        state2.Restore(snapshot);
        reopened.Write(state2.Snapshot(), 4);
        Assert.Equal(507, reopened.ReadLatest()!.EventsApplied);
        Assert.Empty(reopened.Fallbacks);
    }

    [Fact]
    public void ReadLatest_EveryKeptCheckpointDamaged_IsRefusedNamingEach()
    {
        using (var store = CheckpointStore.Open(_path, syncWrites: true, keep: 2))
        {
            store.Write(TrainedState().Snapshot(), 1);
            store.Write(TrainedState().Snapshot(), 2);
        }

        Tamper("serving", Gen1 + "catalog", [0xC1]);
        Tamper("serving", Gen2 + "catalog", null);

        var message = ReadCorrupt().Message;
        Assert.Contains("none of the 2 checkpoints", message, StringComparison.Ordinal);
        Assert.Contains("checkpoint 1 is unusable: ", message, StringComparison.Ordinal);
        Assert.Contains("checkpoint 2 is unusable: ", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_ThenRead_EveryLearnerKindWithItsOptimizerStateAndEvaluator()
    {
        IOnlineLearner[] Learners() =>
        [
            new ImplicitMatrixFactorization(new ImplicitMatrixFactorizationOptions { Rank = 8 }),
            new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 8 }),
            new FtrlProximal(new FtrlOptions { HashBits = 12 }),
            new LinearLearner(new LinearLearnerOptions { HashBits = 12 }),
        ];
        var state = new ModelState(new FeatureOptions(), Learners(), "implicit", 50);
        var route = new IncrementalRoute(state, new LabelPolicy(new LabelOptions()), new Core.Evaluation.EvaluationOptions { RankingEvery = 1 });
        var rng = new Random(12);
        EventType[] types = [EventType.View, EventType.Click, EventType.Purchase, EventType.Rating];
        for (var n = 0; n < 3000; n++)
        {
            var type = types[rng.Next(types.Length)];
            route.Apply(StreamItem.ForEvent(n, new UserEvent("u" + rng.Next(50), "i" + rng.Next(60), type,
                type == EventType.Rating ? rng.Next(1, 6) : null, n, [], [])));
        }

        using (var store = CheckpointStore.Open(_path, syncWrites: true))
        {
            store.Write(state.Snapshot(), 1);
        }

        var restored = new ModelState(new FeatureOptions(), Learners(), "implicit", 50);
        using (var store = CheckpointStore.Open(_path, syncWrites: true))
        {
            restored.Restore(store.ReadLatest()!);
        }

        for (var i = 0; i < state.Learners.Count; i++)
        {
            var (a, b) = (state.Learners[i], restored.Learners[i]);
            Assert.Equal(a.Evaluator.Snapshot(), b.Evaluator.Snapshot());
            Assert.Equal(a.Learner.ScoreItem("u7", "i9"), b.Learner.ScoreItem("u7", "i9"));
            var next = new UserEvent("u7", "i9", EventType.Click, null, 0, [], []);
            Assert.Equal(a.Learner.Learn(next, 2), b.Learner.Learn(next, 2));
        }

        Assert.True(state.Learners[0].Evaluator.Ranked > 0);
        Assert.True(state.Learners[2].Evaluator.Classified > 0);
    }

    [Fact]
    public void Checkpoints_OfDenseWeights_CopyIntoTheArraysOfTheCheckpointBeforeLast_AndReadBackExactly()
    {
        // 2^15 weights: a length no other test's learner has, so no other test takes these arrays from the shared pool.
        IOnlineLearner[] Learners() => [new FtrlProximal(new FtrlOptions { HashBits = 15 })];
        var state = new ModelState(new FeatureOptions(), Learners(), "ftrl", 50);
        var route = new IncrementalRoute(state, new LabelPolicy(new LabelOptions()));
        var rng = new Random(15);
        var copies = new List<float[]>();
        using (var store = CheckpointStore.Open(_path, syncWrites: true))
        {
            for (var round = 0; round < 4; round++)
            {
                for (var n = 0; n < 400; n++)
                {
                    route.Apply(StreamItem.ForEvent(n, new UserEvent("u" + rng.Next(300), "i" + rng.Next(200), n % 2 == 0 ? EventType.Click : EventType.View,
                        null, (round * 400) + n, [], [])));
                }

                var snapshot = state.SnapshotChanges();
                copies.Add(snapshot.Learners[0].State.Floats["z"]);
                store.Write(snapshot, round);
            }
        }

        // Each checkpoint's pages are compared with the one before, which the store keeps; the one before that is
        // handed back, and the next snapshot copies into it.
        Assert.NotSame(copies[0], copies[1]);
        Assert.Same(copies[0], copies[2]);
        Assert.Same(copies[1], copies[3]);

        var restored = new ModelState(new FeatureOptions(), Learners(), "ftrl", 50);
        using (var store = CheckpointStore.Open(_path, syncWrites: true))
        {
            restored.Restore(store.ReadLatest()!);
        }

        var (trained, read) = (state.Learners[0].Learner.Snapshot(), restored.Learners[0].Learner.Snapshot());
        Assert.Equal(trained.Floats["z"], read.Floats["z"]);
        Assert.Equal(trained.Floats["n"], read.Floats["n"]);
        Assert.Equal(state.Learners[0].Learner.ScoreItem("u7", "i9"), restored.Learners[0].Learner.ScoreItem("u7", "i9"));
    }

    [Theory]
    [InlineData("mf", "u42")]
    [InlineData("implicit", "")]
    [InlineData("~history", "usér-ü-日本")]
    [InlineData("ftrl", "z:00000017")]
    public void WriteVersioned_MakesTheKeyOfVersionedOfBase(string learner, string id)
    {
        var prefix = StoreLayout.LearnerPrefix(learner);
        var longId = id + new string('x', 300); // longer than the writer's first key buffer
        foreach (var (row, generation) in new[] { (id, 1L), (longId, 123_456_789L) })
        {
            var key = new byte[StoreLayout.VersionedLength(prefix, row)];
            var length = StoreLayout.WriteVersioned(key, prefix, row, generation);

            Assert.Equal(key.Length, length);
            Assert.Equal(StoreLayout.Versioned(StoreLayout.Base(prefix, row), generation), key);
        }
    }
}

using System.Buffers.Binary;
using System.Text;
using RecoStream.Core.Evaluation;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;
using RecoStream.Core.Ranking;
using RecoStream.Core.Routing;
using RocksDbSharp;

namespace RecoStream.Storage;

// Reading a generation back, collecting row versions no kept checkpoint needs, and the rows of learners whose tables
// stay in the store.
public sealed partial class CheckpointStore
{
    private ModelSnapshot Read(long generation, long oldestGeneration, Func<string, bool> rowsInStore)
    {
        var meta = Decode<MetaRecord>(Require(StoreLayout.Meta, generation, "meta"), "meta", m => m.SchemaVersion);
        var learners = new Dictionary<string, LearnerReader>(StringComparer.Ordinal);
        foreach (var name in meta.Learners)
        {
            var part = "learner/" + name;
            var record = Decode<LearnerRecord>(Require(StoreLayout.Meta, generation, part), part, r => r.SchemaVersion);
            Check(record.Name == name && record.Kind.Length > 0, part, "the value belongs to another learner");
            Check(record.ArrayLengths.Values.All(l => l >= 0) && record.RowCounts.Keys.All(record.RowWidths.ContainsKey)
                  && record.RowWidths.Values.All(w => w > 0) && record.RowCounts.Values.All(c => c >= 0), part, "array lengths or row tables are invalid");
            learners.Add(name, new LearnerReader(record, rowsInStore(name)));
        }

        var normalizer = Decode<NormalizerRecord>(Require(StoreLayout.Features, generation, "normalizer"), "normalizer", r => r.SchemaVersion);
        var catalog = Decode<CatalogRecord>(Require(StoreLayout.Serving, generation, "catalog"), "catalog", r => r.SchemaVersion);
        // The earlier layout kept the history as one record; now each user's items are a row, read with the other rows.
        var history = meta.HistoryInRows
            ? null
            : Decode<HistoryRecord>(Require(StoreLayout.Serving, generation, "history"), "history", r => r.SchemaVersion);
        // Presized from the metadata, which is checked against what is read, never trusted for an allocation's size.
        var historyRows = new List<UserHistoryEntry>(meta.HistoryInRows ? Math.Clamp(meta.UserCount, 0, 1 << 20) : 0);
        var stream = meta.HasStream
            ? StreamSnapshotOf(Decode<StreamRecord>(Require(StoreLayout.Features, generation, "stream"), "stream", r => r.SchemaVersion))
            : null;
        SourcePosition? position = null;
        if (meta.HasPosition)
        {
            var record = Decode<PositionRecord>(Require(StoreLayout.Offsets, generation, "position"), "position", r => r.SchemaVersion);
            position = new SourcePosition(record.Source, record.Fingerprint, record.Line);
        }

        // The behaviour statistics are rows too (the earlier layout kept them in the stream record).
        var behaviour = stream is not null && meta.BehaviourInRows
            ? new BehaviourRows(Math.Clamp(meta.BehaviourUsers, 0, 1 << 20), Math.Clamp(meta.BehaviourItems, 0, 1 << 20))
            : null;
        using var collect = new Deletions(this);
        foreach (var family in StoreLayout.VersionedFamilies)
        {
            ReadVersions(family, generation, oldestGeneration, learners, collect, meta.HistoryInRows ? historyRows : null, behaviour);
        }

        if (stream is not null)
        {
            if (behaviour is not null)
            {
                Check(behaviour.Users.Count == meta.BehaviourUsers && behaviour.Items.Count == meta.BehaviourItems, "behaviour",
                    $"{behaviour.Users.Count} users and {behaviour.Items.Count} items have statistics where the checkpoint wrote {meta.BehaviourUsers} and {meta.BehaviourItems}");
                stream = stream with { Behaviour = new BehaviourSnapshot(behaviour.Users, behaviour.Items, stream.Behaviour.KeySketch) };
            }
            else
            {
                // Read from the earlier layout's record: the next checkpoint writes every user's and item's row.
                stream = stream with { Behaviour = stream.Behaviour with { WriteAllNext = true } };
            }
        }

        var entries = new List<LearnerEntry>(learners.Count);
        foreach (var (name, reader) in learners)
        {
            entries.Add(new LearnerEntry(name, reader.Finish(this), reader.Evaluator));
        }

        Check(normalizer.Names.Length == meta.FeatureCount && normalizer.Counts.Length == normalizer.Names.Length
              && normalizer.Means.Length == normalizer.Names.Length && normalizer.M2s.Length == normalizer.Names.Length
              && normalizer.Mins.Length == normalizer.Names.Length && normalizer.Maxs.Length == normalizer.Names.Length
              && normalizer.Modes.Length == normalizer.Names.Length,
            "normalizer", "feature statistics do not match the checkpoint's metadata");
        Check(catalog.Ids.Length == meta.ItemCount && catalog.Counts.Length == catalog.Ids.Length,
            "catalog", "item count does not match the checkpoint's metadata");
        if (history is not null)
        {
            Check(history.Users.Length == meta.UserCount && history.Items.Length == history.Users.Length,
                "history", "user count does not match the checkpoint's metadata");
            for (var i = 0; i < history.Users.Length; i++)
            {
                historyRows.Add(new UserHistoryEntry(history.Users[i], history.Items[i] ?? []));
            }
        }

        Check(historyRows.Count == meta.UserCount, "history", "user count does not match the checkpoint's metadata");
        foreach (var entry in historyRows)
        {
            foreach (var index in entry.Items)
            {
                Check((uint)index < (uint)catalog.Ids.Length, "history", $"item index {index} is outside the catalog");
            }
        }

        var featureEntries = new FeatureStatisticsEntry[normalizer.Names.Length];
        for (var i = 0; i < featureEntries.Length; i++)
        {
            featureEntries[i] = new FeatureStatisticsEntry(normalizer.Names[i], normalizer.Counts[i], normalizer.Means[i], normalizer.M2s[i],
                normalizer.Mins[i], normalizer.Maxs[i], CheckedMode(normalizer.Modes[i]));
        }

        // Only now is this generation known to be consistent: the next checkpoint diffs its arrays against these.
        _lastArrays.Clear();
        foreach (var (name, reader) in learners)
        {
            foreach (var (array, values) in reader.Arrays)
            {
                _lastArrays[(name, array)] = (float[])values.Clone();
            }
        }

        collect.Commit();
        return new ModelSnapshot(
            meta.LinesConsumed,
            meta.EventsApplied,
            new NormalizerSnapshot(featureEntries, normalizer.IgnoredFeatures),
            stream,
            entries,
            new CatalogSnapshot(catalog.Ids, catalog.Counts),
            // Read from the earlier layout's record: the next checkpoint writes every user's row.
            new HistorySnapshot(historyRows) { WriteAllNext = history is not null },
            position);
    }

    /// <summary>
    /// Reads, for every row and page of a column family, its newest version not newer than <paramref name="generation"/>,
    /// and notes for deletion the versions newer than it (written by a checkpoint that never committed, or by damaged
    /// ones) and those older than what the oldest kept checkpoint reads.
    /// </summary>
    private void ReadVersions(string family, long generation, long oldestGeneration, Dictionary<string, LearnerReader> learners,
        Deletions collect, List<UserHistoryEntry>? history, BehaviourRows? behaviour)
    {
        var isRows = family is StoreLayout.UserRows or StoreLayout.ItemRows;
        var table = family == StoreLayout.UserRows ? "user" : "item";
        byte[] previous = [];
        byte[] learnerName = [];
        LearnerReader? reader = null;
        byte[] notedLearner = [];
        byte[] notedPrefix = [];
        var state = VersionState.Start;
        using var iterator = _db.NewIterator(_families[family], _scan);
        for (iterator.SeekToFirst(); iterator.Valid(); iterator.Next())
        {
            var key = iterator.Key();
            Check(StoreLayout.TryParseVersioned(key, out var parsed), family, "a key has an unknown shape");
            if (!StoreLayout.SameRow(key, previous))
            {
                state = VersionState.Start;
            }

            previous = key;
            if (parsed.Generation > oldestGeneration && parsed.Generation <= generation)
            {
                // Versions the oldest kept checkpoint does not read: once their generation is the oldest kept, the row's
                // older versions go.
                if (!parsed.Learner.SequenceEqual(notedLearner))
                {
                    notedLearner = parsed.Learner.ToArray();
                    notedPrefix = PrefixOf(Encoding.UTF8.GetString(notedLearner));
                }

                _ledger.Note(parsed.Generation, family, notedPrefix, parsed.IdString());
            }

            var value = iterator.Value();
            switch (Classify(ref state, parsed.Generation, generation, oldestGeneration, value.Length == 0))
            {
                case VersionFate.Delete:
                    collect.Add(family, key);
                    continue;
                case VersionFate.Keep:
                    continue;
            }

            // The version this generation reads.
            if (isRows && parsed.Learner.SequenceEqual(StoreLayout.BehaviourPrefix.AsSpan(1)))
            {
                if (value.Length > 0 && behaviour is not null)
                {
                    behaviour.Add(this, family == StoreLayout.UserRows, parsed.IdString(), value);
                }

                continue;
            }

            if (isRows && parsed.Learner.SequenceEqual(StoreLayout.HistoryPrefix.AsSpan(1)))
            {
                if (value.Length > 0 && history is not null)
                {
                    history.Add(new UserHistoryEntry(parsed.IdString(), DecodeIntegers<int>(value, "history")));
                }

                continue;
            }

            if (!parsed.Learner.SequenceEqual(learnerName))
            {
                learnerName = parsed.Learner.ToArray();
                learners.TryGetValue(parsed.LearnerString(), out reader);
            }

            if (value.Length == 0 || reader is null)
            {
                continue; // removed, or a learner no longer configured
            }

            if (isRows)
            {
                reader.AddRow(this, table, parsed.IdString(), value);
            }
            else
            {
                reader.AddPage(this, family == StoreLayout.Optimizer, parsed.IdString(), value);
            }
        }
    }

    private enum VersionState
    {
        Start,
        Read,
        KeptOldest,
    }

    private enum VersionFate
    {
        Read,
        Keep,
        Delete,
    }

    /// <summary>
    /// The fate of one version of a row, versions coming newest first: the newest not newer than the generation read is
    /// the one read; those between the oldest kept generation and it stay (older checkpoints read them); of the older
    /// ones only the newest stays (the oldest kept checkpoint reads it), the rest go.
    /// </summary>
    private static VersionFate Classify(ref VersionState state, long version, long generation, long oldestGeneration, bool removal)
    {
        if (version > generation)
        {
            return VersionFate.Delete;
        }

        if (state == VersionState.KeptOldest)
        {
            return VersionFate.Delete;
        }

        var first = state == VersionState.Start;
        if (version <= oldestGeneration)
        {
            state = VersionState.KeptOldest;
            // A removal that every kept checkpoint reads is the same as no row at all.
            return first && removal ? VersionFate.Delete : first ? VersionFate.Read : VersionFate.Keep;
        }

        state = VersionState.Read;
        return first ? VersionFate.Read : VersionFate.Keep;
    }

    /// <summary>
    /// Deletes the versions no kept checkpoint reads any more: those of the rows that generations now at or before
    /// <paramref name="oldestGeneration"/> (the oldest kept checkpoint) wrote, found by seeking to each row (see
    /// <see cref="VersionLedger"/>). Versions newer than the last checkpoint (rows evicted since) are never touched.
    /// </summary>
    private void CollectVersions(long oldestGeneration)
    {
        var (due, groups) = _ledger.Due(Math.Min(oldestGeneration, Generation));
        if (due.Length == 0)
        {
            return;
        }

        using var collect = new Deletions(this, inChunks: true);
        var rowBase = new byte[256];
        if (groups is null)
        {
            // Too many rows to list: one scan of every row instead.
            foreach (var family in StoreLayout.VersionedFamilies)
            {
                using var iterator = _db.NewIterator(_families[family], _scan);
                iterator.SeekToFirst();
                while (iterator.Valid())
                {
                    if (StoreLayout.TryParseVersioned(iterator.GetKeySpan(), out var parsed))
                    {
                        // The iterator moves on: the row's base is copied first.
                        var key = StoreLayout.Room(ref rowBase, parsed.Base.Length);
                        parsed.Base.CopyTo(key);
                        CollectRow(iterator, family, key, oldestGeneration, collect, olderVersions: int.MaxValue);
                    }
                    else
                    {
                        iterator.Next();
                    }
                }
            }
        }
        else
        {
            var iterators = new Dictionary<string, Iterator>();
            try
            {
                // In key order within each family (the ledger gives the rows by prefix, then id: the order of their keys for
                // ids in ASCII), each seek landing near the one before, in blocks and memtable nodes read just before. Each
                // row's key is written into one buffer: no array per row.
                foreach (var group in groups)
                {
                    if (!iterators.TryGetValue(group.Family, out var iterator))
                    {
                        iterator = _db.NewIterator(_families[group.Family], _scan);
                        iterators.Add(group.Family, iterator);
                    }

                    for (var i = 0; i < group.Count; i++)
                    {
                        var key = rowBase.AsSpan(0, StoreLayout.WriteBase(group.Prefix, group.Id(i), ref rowBase));
                        iterator.Seek(key);
                        CollectRow(iterator, group.Family, key, oldestGeneration, collect, olderVersions: due.Length);
                    }
                }
            }
            finally
            {
                foreach (var iterator in iterators.Values)
                {
                    iterator.Dispose();
                }
            }
        }

        collect.Commit();
        _ledger.Collected(due);
    }

    /// <summary>
    /// Generations whose old versions are deleted together (tests set 1): a row written by several of them is sought
    /// once. Until then a row keeps up to one fewer than this many more versions than the kept checkpoints read.
    /// </summary>
    internal int CollectEvery { get; set; } = 4;

    /// <summary>
    /// Whether to delete the old versions now: when <see cref="CollectEvery"/> generations are due, or when the ledger
    /// lists a quarter of the rows it can (so that waiting never turns the listed rows into whole scans).
    /// </summary>
    private bool CollectionDue(long oldestGeneration) =>
        _ledger.DueCount(Math.Min(oldestGeneration, Generation)) >= CollectEvery || _ledger.Rows >= _ledger.MaxRows / 4;

    /// <summary>The ledger of the rows each generation wrote (tests lower its limit).</summary>
    internal VersionLedger Ledger => _ledger;

    /// <summary>The most versions any one row or page has in the store (for tests).</summary>
    internal int MostVersionsOfARow()
    {
        var most = 0;
        foreach (var family in StoreLayout.VersionedFamilies)
        {
            byte[] previous = [];
            var versions = 0;
            using var iterator = _db.NewIterator(_families[family], _scan);
            for (iterator.SeekToFirst(); iterator.Valid(); iterator.Next())
            {
                var key = iterator.Key();
                versions = StoreLayout.SameRow(key, previous) ? versions + 1 : 1;
                most = Math.Max(most, versions);
                previous = key;
            }
        }

        return most;
    }

    /// <summary>
    /// Notes for deletion the versions of the row <paramref name="rowBase"/> that no kept checkpoint reads, from the
    /// iterator's position (its newest version). It stops after <paramref name="olderVersions"/> versions older than the one
    /// the oldest kept checkpoint reads, or at the first key of another row. The ledger collects a row whenever a version
    /// of it becomes the oldest kept, so each generation collected at once leaves at most one such version; and the step
    /// past the last one would walk every version deleted before (RocksDB keeps deleted keys until a compaction, and an
    /// iterator steps over each).
    /// </summary>
    private void CollectRow(Iterator iterator, string family, ReadOnlySpan<byte> rowBase, long oldestGeneration, Deletions collect,
        int olderVersions)
    {
        var state = VersionState.Start;
        for (; iterator.Valid(); iterator.Next())
        {
            var key = iterator.GetKeySpan();
            if (key.Length != rowBase.Length + 8 || !key.StartsWith(rowBase))
            {
                return;
            }

            var version = (long)~BinaryPrimitives.ReadUInt64BigEndian(key[^8..]);
            if (version > Generation)
            {
                continue; // evicted after the last checkpoint's copy: belongs to the next one
            }

            var older = state == VersionState.KeptOldest;
            if (Classify(ref state, version, Generation, oldestGeneration, iterator.GetValueSpan().IsEmpty) == VersionFate.Delete)
            {
                collect.Add(family, key);
            }

            if (older && --olderVersions == 0)
            {
                return;
            }
        }
    }

    /// <summary>Deletes what checkpoints newer than <paramref name="generation"/> wrote (they are damaged or never committed).</summary>
    private void DiscardNewerThan(long generation)
    {
        using var batch = new WriteBatch();
        var start = StoreLayout.RecordKey(generation + 1, "");
        var end = new byte[] { (byte)'9' + 1 };
        foreach (var family in new[] { StoreLayout.Meta, StoreLayout.Features, StoreLayout.Serving, StoreLayout.Offsets })
        {
            batch.DeleteRange(start, (ulong)start.Length, end, (ulong)end.Length, _families[family]);
        }

        foreach (var family in StoreLayout.VersionedFamilies)
        {
            using var iterator = _db.NewIterator(_families[family], _scan);
            for (iterator.SeekToFirst(); iterator.Valid(); iterator.Next())
            {
                var key = iterator.Key();
                if (StoreLayout.TryParseVersioned(key, out var parsed) && parsed.Generation > generation)
                {
                    batch.Delete(key, _families[family]);
                }
            }
        }

        _db.Write(batch, _writeOptions);
    }

    /// <summary>
    /// Versions to delete, gathered into a batch (which copies each key: no array per version) and committed together by
    /// <see cref="Commit"/>; or, <paramref name="inChunks"/>, also a chunk
    /// at a time as they are added (<see cref="VersionChunkBytes"/> of keys). A read commits its deletions only once the
    /// checkpoint read whole (a damaged one falls back to an older checkpoint, which may need them); the collection of
    /// versions no kept checkpoint reads can delete them in any order, and one batch of a whole scan's deletions (millions
    /// of keys) had doubled in the memtables at the end of the 1,000,000-user replay with periodic checkpoints.
    /// </summary>
    private sealed class Deletions(CheckpointStore store, bool inChunks = false) : IDisposable
    {
        private readonly WriteBatch _batch = new();
        private long _pendingBytes;
        private int _count;

        public void Add(string family, ReadOnlySpan<byte> key)
        {
            _batch.Delete(key, store._families[family]);
            _count++;
            _pendingBytes += key.Length;
            if (inChunks && _pendingBytes >= store.VersionChunkBytes)
            {
                Commit();
            }
        }

        public void Commit()
        {
            if (_count > 0)
            {
                store._db.Write(_batch, store._unsyncedWrites);
                store.VersionsCollected += _count;
                _batch.Clear();
                _count = 0;
            }

            _pendingBytes = 0;
        }

        public void Dispose() => _batch.Dispose();
    }

    private NormalizationMode CheckedMode(int mode)
    {
        Check(Enum.IsDefined((NormalizationMode)mode), "normalizer", $"unknown normalization mode {mode}");
        return (NormalizationMode)mode;
    }

    private static StreamRecord StreamRecordOf(StreamStateSnapshot s)
    {
        var b = s.Behaviour;
        var w = s.Window;
        return new StreamRecord
        {
            SchemaVersion = SchemaVersion,
            NewestEventMs = s.NewestEventMs,
            DedupWindows = [.. s.Deduplication.Select(d => d.Window)],
            DedupKeys = [.. s.Deduplication.Select(d => d.Keys)],
            QuarantineUsers = [.. s.Quarantine.Select(q => q.User)],
            QuarantineSeconds = [.. s.Quarantine.Select(q => q.Second)],
            QuarantineCounts = [.. s.Quarantine.Select(q => q.Count)],
            QuarantineUntils = [.. s.Quarantine.Select(q => q.UntilMs)],
            // The behaviour statistics are rows of their own (the columns stay empty; the earlier layout filled them).
            KeySketch = b.KeySketch,
            Window = [w.Closed, w.Events, w.StartMs, w.EndMs, w.FirstMs, w.LastMs],
        };
    }

    private StreamStateSnapshot StreamSnapshotOf(StreamRecord r)
    {
        const string Part = "stream";
        Check(r.DedupKeys.Length == r.DedupWindows.Length && r.DedupKeys.All(k => k is not null), Part, "deduplication windows do not match their keys");
        var q = r.QuarantineUsers.Length;
        Check(r.QuarantineSeconds.Length == q && r.QuarantineCounts.Length == q && r.QuarantineUntils.Length == q, Part, "quarantine columns differ in length");
        var u = r.Users.Length;
        Check(r.UserCounts.Length == u && r.UserFirstMs.Length == u && r.UserLastMs.Length == u && r.UserPurchases.Length == u
              && r.UserPurchaseTotals.Length == u, Part, "user statistics columns differ in length");
        var n = r.Items.Length;
        Check(r.ItemCounts.Length == n && r.ItemLastMs.Length == n, Part, "item statistics columns differ in length");
        Check(r.Window.Length == 6, Part, "the open window is incomplete");
        return new StreamStateSnapshot(
            r.NewestEventMs,
            [.. r.DedupWindows.Select((w, i) => (w, r.DedupKeys[i]))],
            [.. Enumerable.Range(0, q).Select(i => new QuarantineEntry(r.QuarantineUsers[i], r.QuarantineSeconds[i], r.QuarantineCounts[i], r.QuarantineUntils[i]))],
            new BehaviourSnapshot(
                [.. Enumerable.Range(0, u).Select(i => new UserStatisticsEntry(r.Users[i], r.UserCounts[i], r.UserFirstMs[i], r.UserLastMs[i], r.UserPurchases[i], r.UserPurchaseTotals[i]))],
                [.. Enumerable.Range(0, n).Select(i => new ItemStatisticsEntry(r.Items[i], r.ItemCounts[i], r.ItemLastMs[i]))],
                r.KeySketch),
            new WindowTrackerSnapshot(r.Window[0], r.Window[1], r.Window[2], r.Window[3], r.Window[4], r.Window[5]));
    }

    /// <summary>The behaviour rows a checkpoint reads, users and items.</summary>
    private sealed class BehaviourRows(int users, int items)
    {
        public List<UserStatisticsEntry> Users { get; } = new(users);

        public List<ItemStatisticsEntry> Items { get; } = new(items);

        public void Add(CheckpointStore store, bool user, string id, byte[] value)
        {
            if (user)
            {
                var f = store.DecodeIntegers<long>(value, "behaviour");
                store.Check(f.Length == 5, "behaviour", "a user's behaviour row does not have 5 fields");
                Users.Add(new UserStatisticsEntry(id, f[0], f[1], f[2], f[3], BitConverter.Int64BitsToDouble(f[4])));
            }
            else
            {
                var f = store.DecodeIntegers<long>(value, "behaviour");
                store.Check(f.Length == 2, "behaviour", "an item's behaviour row does not have 2 fields");
                Items.Add(new ItemStatisticsEntry(id, f[0], f[1]));
            }
        }
    }

    /// <summary>Assembles one learner's snapshot from its record, its array pages and its rows.</summary>
    private sealed class LearnerReader
    {
        private readonly LearnerRecord _record;
        private readonly bool _rowsInStore;
        private readonly Dictionary<string, bool[]> _pagesSeen = [];
        private readonly Dictionary<string, RowsBuilder> _rows = [];

        public LearnerReader(LearnerRecord record, bool rowsInStore)
        {
            _record = record;
            _rowsInStore = rowsInStore;
            foreach (var (name, length) in record.ArrayLengths)
            {
                Arrays[name] = new float[length];
                _pagesSeen[name] = new bool[(length + StoreLayout.PageFloats - 1) / StoreLayout.PageFloats];
            }

            foreach (var (table, width) in record.RowWidths)
            {
                _rows[table] = new RowsBuilder(width, rowsInStore ? 0 : (int)Math.Min(record.RowCounts.GetValueOrDefault(table), int.MaxValue / width));
            }
        }

        public Dictionary<string, float[]> Arrays { get; } = [];

        public EvaluatorSnapshot Evaluator => new(_record.EvaluatedCount, _record.SumSquaredError, _record.SumAbsoluteError, _record.Ranked, _record.Hits,
            _record.DiscountedGain, _record.Classified, _record.SumLogLoss, _record.Learned);

        private string Part => "learner/" + _record.Name;

        public void AddPage(CheckpointStore store, bool optimizer, string id, byte[] value)
        {
            if (!StoreLayout.TryParsePageId(id, out var array, out var page) || !Arrays.TryGetValue(array, out var values)
                || _record.Optimizer.Contains(array) != optimizer || page >= _pagesSeen[array].Length)
            {
                return; // a page of an array this checkpoint does not have
            }

            var start = page * StoreLayout.PageFloats;
            var length = Math.Min(StoreLayout.PageFloats, values.Length - start);
            store.DecodeRow(value, values.AsSpan(start, length), Part, out _);
            _pagesSeen[array][page] = true;
        }

        public void AddRow(CheckpointStore store, string table, string id, byte[] value)
        {
            if (!_rows.TryGetValue(table, out var rows))
            {
                return;
            }

            var row = rows.Next(_rowsInStore);
            store.DecodeRow(value, row, Part, out var lastActive);
            rows.Add(id, lastActive, _rowsInStore);
        }

        public LearnerSnapshot Finish(CheckpointStore store)
        {
            foreach (var (array, seen) in _pagesSeen)
            {
                var missing = Array.IndexOf(seen, false);
                store.Check(missing < 0, Part, $"page {missing} of its '{array}' array is missing");
            }

            var snapshot = new LearnerSnapshot(_record.Kind, _record.KindVersion)
            {
                Floats = Arrays,
                Doubles = _record.Doubles,
                Strings = _record.Strings,
                Longs = _record.Longs,
                OptimizerState = [.. _record.Optimizer],
            };
            foreach (var (table, rows) in _rows)
            {
                var expected = _record.RowCounts.GetValueOrDefault(table);
                store.Check(rows.Count == expected, Part, $"its {table} table has {rows.Count} rows where the checkpoint wrote {expected}");
                snapshot.Rows[table] = rows.Build(expected, _rowsInStore);
            }

            return snapshot;
        }
    }

    /// <summary>Rows read in key order, packed as <see cref="RowSet"/> wants them.</summary>
    private sealed class RowsBuilder(int width, int expected)
    {
        private readonly List<string> _ids = new(expected);
        private readonly List<long> _lastActive = new(expected);
        private readonly float[] _scratch = new float[width];
        private float[] _values = GC.AllocateUninitializedArray<float>(width * Math.Max(expected, 1));

        public long Count { get; private set; }

        public Span<float> Next(bool countOnly)
        {
            if (countOnly)
            {
                return _scratch;
            }

            if ((_ids.Count + 1) * width > _values.Length)
            {
                Array.Resize(ref _values, _values.Length * 2); // more rows than the checkpoint counted: Finish refuses them
            }

            return _values.AsSpan(_ids.Count * width, width);
        }

        public void Add(string id, long lastActive, bool countOnly)
        {
            Count++;
            if (!countOnly)
            {
                _ids.Add(id);
                _lastActive.Add(lastActive);
            }
        }

        public RowSet Build(long total, bool inStore) => inStore
            ? new RowSet(width, [], [], [], [], total, ChangesOnly: false, InStore: true)
            : new RowSet(width, [.. _ids], _values.Length == _ids.Count * width ? _values : _values[..(_ids.Count * width)], [.. _lastActive], [], total,
                ChangesOnly: false);
    }
}

using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using MessagePack;
using MessagePack.Resolvers;
using RecoStream.Core.Evaluation;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;
using RecoStream.Core.Ranking;
using RecoStream.Core.Routing;
using RocksDbSharp;

namespace RecoStream.Storage;

/// <summary>
/// Checkpoints of the model state in an embedded RocksDB folder, one column family per kind of state (see
/// <see cref="StoreLayout"/>). A checkpoint is one atomic WriteBatch: the whole-record state under its generation,
/// the rows and array pages changed since the previous checkpoint as new versions, and the metadata last; a reader
/// sees either the previous checkpoint or the new one, never a mix. The last K generations stay readable: a row's
/// versions are kept until no kept checkpoint needs them, so a damaged latest checkpoint falls back to the one
/// before it. Every value is MessagePack with <see cref="SchemaVersion"/>, decoded as untrusted data.
/// </summary>
public sealed partial class CheckpointStore : IDisposable
{
    /// <summary>The layout version written and the only one read.</summary>
    public const int SchemaVersion = 3;

    // Values come from disk, which may have been damaged or tampered with: decode them as untrusted data.
    private static readonly MessagePackSerializerOptions Serializer = StandardResolverAllowPrivate.Options
        .WithSecurity(MessagePackSecurity.UntrustedData);

    // MessagePack builds each record type's formatter (emitting IL) the first time it meets the type: about a quarter of
    // a second of a core for these records. Done on a pool thread when the first store of the process opens, so that
    // neither the restore nor the first checkpoint (synchronous on the pipeline thread at the end of a replay) waits for
    // all of it.
    private static readonly Lazy<Task> FormattersBuilt = new(() => Task.Run(() =>
    {
        RoundTrip(new MetaRecord());
        RoundTrip(new LearnerRecord());
        RoundTrip(new PositionRecord());
        RoundTrip(new NormalizerRecord());
        RoundTrip(new CatalogRecord());
        RoundTrip(new HistoryRecord());
        RoundTrip(new StreamRecord());
    }));

    // A row's removal (expiry, or absence from a full write) is a version with an empty value.
    private static readonly byte[] Removal = [];

    private readonly RocksDb _db;
    private readonly Lock _closeGate = new();
    // For the scans and sweeps of the store's own upkeep (reading a checkpoint back, listing ids, collecting old versions,
    // expiring rows): they read each block once, and would push the hot set's blocks out of the cache.
    private readonly ReadOptions _scan = new ReadOptions().SetFillCache(false);
    private bool _closed;
    private readonly WriteOptions _writeOptions;
    private readonly WriteOptions _unsyncedWrites = new WriteOptions().SetSync(false);

    // Rows evicted from a hot set skip the write-ahead log: until a checkpoint commits them they are disposable (a
    // restart deletes versions newer than the last checkpoint), and the checkpoint that commits them first flushes the
    // row tables' memtables to disk.
    private readonly WriteOptions _evictionWrites = new WriteOptions().DisableWal(1);
    private readonly FlushOptions _flushOptions = new FlushOptions().SetWaitForFlush(true);
    private int _evictedSinceFlush;

    // Long-lived iterators of the row stores (closed before the database).
    private readonly List<Iterator> _iterators = [];
    private readonly int _keep;
    private readonly Dictionary<string, ColumnFamilyHandle> _families = [];
    private readonly List<string> _fallbacks = [];
    private readonly Dictionary<(string Learner, string Array), float[]> _lastArrays = [];
    // Rows the ledger lists at most (about 20 bytes each for an id of 8 characters while listed, twice that while being
    // collected); beyond, a generation's old versions are found by one scan of every row, which costs about what writing
    // that many rows did. 2^20 made the 1,000,000-user replay's periodic peak no lower (539-599 against 551-564 MiB).
    private const int MaxLedgerRows = 1 << 18;

    private readonly VersionLedger _ledger = new(MaxLedgerRows);
    private readonly ConcurrentDictionary<string, byte[]> _prefixes = new(StringComparer.Ordinal)
    {
        [StoreLayout.HistoryRows] = StoreLayout.HistoryPrefix,
        [StoreLayout.BehaviourRows] = StoreLayout.BehaviourPrefix,
    };
    private long _reserved;

    private CheckpointStore(RocksDb db, bool syncWrites, int keep)
    {
        _db = db;
        _writeOptions = new WriteOptions().SetSync(syncWrites);
        _keep = keep;
        foreach (var family in StoreLayout.Families)
        {
            _families[family] = db.GetColumnFamily(family);
        }
    }

    /// <summary>
    /// Why newer checkpoints were skipped by the last <see cref="ReadLatest"/> (empty when the latest one was read).
    /// </summary>
    public IReadOnlyList<string> Fallbacks => _fallbacks;

    /// <summary>The generation of the checkpoint <see cref="ReadLatest"/> returned, or of the last one written.</summary>
    public long Generation { get; private set; }

    /// <summary>
    /// Bytes of row and page versions a checkpoint writes per chunk before its commit (tests lower it). 2 MB rather than 8:
    /// RocksDB holds a chunk's batch while it goes into the memtables. With memtables of 8 MB instead of 16, the
    /// 1,000,000-user replay's final checkpoint peaked 21-39 MiB lower at the same replay speed (docs/benchmarks.md).
    /// </summary>
    internal int VersionChunkBytes { get; set; } = 2 << 20;

    /// <summary>Called after a checkpoint's versions are written and before its commit (tests fail it there, as a crash would).</summary>
    internal Action? BeforeCommit { get; set; }

    /// <summary>For tests: called before each chunk of versions is written (a failure there fails the write, the chunk unwritten).</summary>
    internal Action? BeforeChunk { get; set; }

    /// <summary>Row and page versions deleted because no kept checkpoint needed them any more (since the store opened).</summary>
    public long VersionsCollected { get; private set; }

    /// <summary>The store's folder.</summary>
    public required string Path { get; init; }

    /// <summary>Opens (creating if needed) the store in <paramref name="path"/>.</summary>
    /// <param name="path">The folder of the RocksDB database.</param>
    /// <param name="syncWrites">Sync the write-ahead log on every checkpoint, so a checkpoint survives power loss.</param>
    /// <param name="keep">Checkpoints kept (at least 1): the latest and the ones a damaged latest falls back to.</param>
    /// <param name="blockCacheBytes">
    /// The block cache every column family shares (recently read blocks of the store's files, for rows read back into a
    /// hot set); the scans and sweeps of the store's own upkeep do not fill it.
    /// </param>
    /// <exception cref="CheckpointCorruptException">The folder holds a store with a column family missing, or one of an earlier layout.</exception>
    public static CheckpointStore Open(string path, bool syncWrites, int keep = 2, long blockCacheBytes = DefaultBlockCacheBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(blockCacheBytes);
        Directory.CreateDirectory(path);
        // Memtables of all families together at most 16 MB (then the largest is flushed): a checkpoint of a million changed
        // users filled the rows' memtables and the others' up to 27 MB at once, the peak of the 1,000,000-user replay with
        // the checkpoint at the end once the heap had shrunk (522-523 -> 518-519 MiB, docs/benchmarks.md).
        var options = new DbOptions().SetCreateIfMissing(true).SetCreateMissingColumnFamilies(true).SetDbWriteBufferSize(16 << 20);
        if (File.Exists(System.IO.Path.Combine(path, "CURRENT")))
        {
            CheckFamilies(path, options);
        }

        var families = new ColumnFamilies();
        var cache = Cache.CreateLru((ulong)blockCacheBytes);
        foreach (var family in StoreLayout.Families)
        {
            families.Add(family, FamilyOptions(family, cache));
        }

        var db = RocksDb.Open(options, path, families);
        if (!IsEmpty(db, db.GetDefaultColumnFamily()))
        {
            db.Dispose();
            throw new CheckpointCorruptException(
                $"the store at '{path}' was written by an earlier RecoStream (checkpoint layout 2, one column family); this RecoStream reads layout " +
                $"{SchemaVersion}: start on a new store (RecoStream:Storage:Path) and replay the input");
        }

        _ = FormattersBuilt.Value;
        var store = new CheckpointStore(db, syncWrites, keep) { Path = path };
        var generations = store.Generations();
        store.Generation = store._reserved = generations.Count > 0 ? generations[^1] : 0;
        return store;
    }

    /// <summary>
    /// Takes the number of the next checkpoint. Called when the state is copied (on the pipeline thread), so that rows
    /// evicted from memory after the copy are written as part of the checkpoint after it.
    /// </summary>
    public long ReserveGeneration() => ++_reserved;

    /// <summary>The rows of one learner's keyed tables, for a learner whose hot set is smaller than its tables.</summary>
    public IRowStore RowsOf(string learner) => new LearnerRowStore(this, learner);

    /// <summary>Writes a checkpoint atomically as a new generation; returns the number of value bytes written.</summary>
    /// <param name="snapshot">The state; learners' keyed tables may hold only their changed rows.</param>
    /// <param name="writtenAtUnixMs">Wall-clock time of the checkpoint.</param>
    /// <param name="generation">The number from <see cref="ReserveGeneration"/>, or 0 to take the next one now.</param>
    public long Write(ModelSnapshot snapshot, long writtenAtUnixMs, long generation = 0)
    {
        if (generation == 0)
        {
            generation = ReserveGeneration();
        }

        if (generation <= Generation)
        {
            throw new ArgumentOutOfRangeException(nameof(generation), $"checkpoint {generation} is not newer than checkpoint {Generation}");
        }

        // Records go in one batch, committed last; row and page versions go to the store a chunk at a time before it
        // (versions newer than the last committed checkpoint are read by none, and a restart deletes them), so a large
        // checkpoint never holds all its rows in one batch and one memtable at once.
        using var batch = new WriteBatch();
        using var versions = new VersionWriter(this);
        TrackTablesReadInPlace(versions, snapshot, generation);
        long bytes = 0;
        var arrays = new List<(string Learner, string Array, float[] Values)>();
        foreach (var learner in snapshot.Learners)
        {
            var prefix = PrefixOf(learner.Name);
            var state = learner.State;
            var record = new LearnerRecord
            {
                SchemaVersion = SchemaVersion,
                Name = learner.Name,
                Kind = state.Kind,
                KindVersion = state.Version,
                ArrayLengths = state.Floats.ToDictionary(p => p.Key, p => p.Value.Length),
                Optimizer = [.. state.OptimizerState.Where(state.Floats.ContainsKey)],
                Doubles = state.Doubles,
                Strings = state.Strings,
                Longs = state.Longs,
                RowCounts = state.Rows.ToDictionary(p => p.Key, p => p.Value.Total),
                RowWidths = state.Rows.ToDictionary(p => p.Key, p => p.Value.Width),
                EvaluatedCount = learner.Evaluator.Count,
                SumSquaredError = learner.Evaluator.SumSquaredError,
                SumAbsoluteError = learner.Evaluator.SumAbsoluteError,
                Ranked = learner.Evaluator.Ranked,
                Hits = learner.Evaluator.Hits,
                DiscountedGain = learner.Evaluator.DiscountedGain,
                Classified = learner.Evaluator.Classified,
                SumLogLoss = learner.Evaluator.SumLogLoss,
                Learned = learner.Evaluator.Learned,
            };
            bytes += Put(batch, StoreLayout.Meta, StoreLayout.RecordKey(generation, "learner/" + learner.Name), record);
            foreach (var (name, values) in state.Floats)
            {
                var family = state.OptimizerState.Contains(name) ? StoreLayout.Optimizer : StoreLayout.Dense;
                bytes += WriteChangedPages(versions, family, prefix, learner.Name, name, values, generation);
                arrays.Add((learner.Name, name, values));
            }

            // The smaller table first (the items, usually, which nearly every event changes): written before the long write
            // of the other, fewer of its rows are changed before their chunk is stored, and so copied aside.
            foreach (var (table, set) in state.Rows.OrderBy(t => t.Value.Count))
            {
                var family = StoreLayout.RowFamily(table);
                if (!set.ChangesOnly)
                {
                    // Every row: rows the store has that the set lacks are gone.
                    var present = set.Ids.ToHashSet(StringComparer.Ordinal);
                    foreach (var id in StoredIds(family, prefix).Where(id => !present.Contains(id)))
                    {
                        PutVersion(versions, family, prefix, id, generation, Removal);
                    }
                }

                // A set read from its table resumes where a failed write of this checkpoint left it, and skips the rows
                // written ahead of order.
                var progress = set.Progress;
                for (var r = versions.StartOf(progress); r < set.Count; r++)
                {
                    if (progress?.WrittenAhead(r) == true)
                    {
                        continue;
                    }

                    bytes += PutRow(versions, set, family, prefix, generation, r);
                }

                foreach (var id in set.Removed)
                {
                    PutVersion(versions, family, prefix, id, generation, Removal);
                }
            }
        }

        bytes += WriteHistory(versions, snapshot.History, generation);
        var behaviourCounts = (Users: 0, Items: 0);
        if (snapshot.Stream is { } stream)
        {
            bytes += WriteBehaviour(versions, stream.Behaviour, generation, out behaviourCounts);
        }

        bytes += WriteRecords(batch, snapshot, generation);
        bytes += Put(batch, StoreLayout.Meta, StoreLayout.RecordKey(generation, "meta"), MetaOf(snapshot, writtenAtUnixMs, behaviourCounts));

        // Whole records of generations beyond the K kept go in the same batch; old row versions are collected after.
        var generations = Generations();
        foreach (var old in generations.Where(g => g <= generation - _keep))
        {
            DeleteRecords(batch, old);
        }

        if (Interlocked.Exchange(ref _evictedSinceFlush, 0) != 0)
        {
            // Rows evicted into this checkpoint are only in memtables: put them on disk before the batch commits them.
            try
            {
                foreach (var family in new[] { StoreLayout.UserRows, StoreLayout.ItemRows })
                {
                    Native.Instance.rocksdb_flush_cf(_db.Handle, _flushOptions.Handle, _families[family].Handle);
                }
            }
            catch
            {
                Volatile.Write(ref _evictedSinceFlush, 1); // the retry must flush them again
                throw;
            }
        }

        versions.Flush();
        bytes += versions.AheadBytes;
        BeforeCommit?.Invoke();
        _db.Write(batch, _writeOptions);
        Generation = generation;
        foreach (var (learner, array, values) in arrays)
        {
            if (_lastArrays.TryGetValue((learner, array), out var replaced) && !ReferenceEquals(replaced, values))
            {
                // The pages of the next checkpoint are compared with this one's: the array before it is read by no one.
                SnapshotArrays.Return(replaced);
            }

            _lastArrays[(learner, array)] = values;
        }

        var oldestKept = generations.Append(generation).Where(g => g > generation - _keep).Min();
        try
        {
            if (CollectionDue(oldestKept))
            {
                CollectVersions(oldestKept);
            }
        }
        catch (RocksDbException)
        {
            // The checkpoint is committed; versions not collected now are collected by a later sweep or at the next start.
        }

        return bytes;
    }

    /// <summary>
    /// Writes a consistent copy of the whole store (RocksDB's checkpoint: hard links where it can) to
    /// <paramref name="directory"/>, which must not exist; a store opened there reads the same checkpoints.
    /// </summary>
    public void SaveCopy(string directory)
    {
        using var checkpoint = _db.Checkpoint();
        checkpoint.Save(directory);
    }

    /// <summary>The generations present (those with metadata), oldest first.</summary>
    public IReadOnlyList<long> Generations()
    {
        var generations = new SortedSet<long>();
        using var iterator = _db.NewIterator(_families[StoreLayout.Meta], _scan);
        for (iterator.SeekToFirst(); iterator.Valid(); iterator.Next())
        {
            if (StoreLayout.TryParseRecordKey(iterator.Key(), out var generation, out var part) && part == "meta")
            {
                generations.Add(generation);
            }
        }

        return [.. generations];
    }

    /// <summary>
    /// Reads the newest consistent checkpoint, falling back to older kept ones when newer ones are damaged (the reasons
    /// are in <see cref="Fallbacks"/>); null when the store has none yet. Every row is checked; newer row versions that
    /// no checkpoint committed (a crash during a write) and versions no kept checkpoint needs are deleted.
    /// </summary>
    /// <param name="rowsInStore">
    /// Learners whose keyed tables stay in the store (a hot set smaller than the table): their rows are checked and
    /// counted but not read into the snapshot.
    /// </param>
    /// <exception cref="CheckpointCorruptException">Checkpoints exist but none can be read consistently.</exception>
    public ModelSnapshot? ReadLatest(Func<string, bool>? rowsInStore = null)
    {
        _fallbacks.Clear();
        _ledger.Clear();
        var generations = Generations();
        if (generations.Count == 0)
        {
            Generation = _reserved = 0;
            DiscardNewerThan(0);
            return null;
        }

        for (var i = generations.Count - 1; i >= 0; i--)
        {
            try
            {
                _ledger.Clear();
                var snapshot = Read(generations[i], generations[0], rowsInStore ?? (_ => false));
                Generation = _reserved = generations[i];
                if (i < generations.Count - 1)
                {
                    DiscardNewerThan(generations[i]);
                }

                return snapshot;
            }
            catch (CheckpointCorruptException ex)
            {
                _fallbacks.Add($"checkpoint {generations[i]} is unusable: {ex.Message}");
            }
        }

        throw new CheckpointCorruptException(
            $"none of the {generations.Count} checkpoints kept in '{Path}' can be read: {string.Join("; ", _fallbacks)}");
    }

    /// <summary>When the checkpoint of <see cref="Generation"/> was written (Unix ms), or null.</summary>
    public long? LatestCheckpointTime()
    {
        var metaBytes = _db.Get(StoreLayout.RecordKey(Generation, "meta"), _families[StoreLayout.Meta], _scan);
        return metaBytes is null ? null : Decode<MetaRecord>(metaBytes, "meta", m => m.SchemaVersion).WrittenAtUnixMs;
    }

    /// <summary>
    /// RocksDB's memory outside the collector, in bytes: the memtables (active, being flushed, and kept) and the table
    /// readers' index and filter blocks of every column family, and what the block cache they share holds; zeros once closed.
    /// For diagnostics (<c>RECOSTREAM_GC_TRACE</c>); safe to call from any thread while the store is written.
    /// </summary>
    public (long Memtables, long TableReaders, long BlockCache) NativeMemory()
    {
        lock (_closeGate)
        {
            if (_closed)
            {
                return (0, 0, 0);
            }

            long memtables = 0, readers = 0;
            foreach (var family in _families.Values)
            {
                memtables += Property("rocksdb.size-all-mem-tables", family);
                readers += Property("rocksdb.estimate-table-readers-mem", family);
            }

            // One cache for every family: each gives its usage.
            return (memtables, readers, Property("rocksdb.block-cache-usage", _families[StoreLayout.UserRows]));
        }

        long Property(string name, ColumnFamilyHandle family) =>
            long.TryParse(_db.GetProperty(name, family), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : 0;
    }

    /// <summary>Flushes the memtables (so the next open has no write-ahead log to replay) and closes the store.</summary>
    public void Dispose()
    {
        lock (_closeGate)
        {
            _closed = true;
        }

        foreach (var iterator in _iterators)
        {
            iterator.Dispose();
        }

        try
        {
            var families = _families.Values.Select(f => f.Handle).ToArray();
            Native.Instance.rocksdb_flush_cfs(_db.Handle, _flushOptions.Handle, families, families.Length);
        }
        catch (RocksDbException)
        {
            // A full disk: the write-ahead log still holds every committed checkpoint.
        }

        _db.Dispose();
    }

    private const ulong MemtableBytes = 8 << 20;

    /// <summary>The block cache's size unless the caller gives one: 8 MB.</summary>
    public const long DefaultBlockCacheBytes = 8 << 20;

    private static ColumnFamilyOptions FamilyOptions(string family, Cache cache)
    {
        // Memtables of 8 MB instead of RocksDB's 64 MB: a checkpoint of a million changed rows no longer fills two 64 MB
        // memtables per family while they are flushed (peak RSS of the 1,000,000-user replay 944-974 -> 901-904 MiB with
        // its one checkpoint at the end at 16 MB, 1,612-1,659 -> 1,473-1,480 MiB with one every 50,000 events; 16 -> 8 MB
        // with chunks of 2 MB instead of 8, 695-703 -> 664-675 MiB at the end), at the same replay speed (docs/benchmarks.md).
        // One block cache for every family, where RocksDB gave each its own of 32 MB: the sweeps of old versions filled two
        // of them with the periodic checkpoints of the 1,000,000-user replay (64 MB at its end; docs/benchmarks.md).
        var options = new ColumnFamilyOptions().SetWriteBufferSize(MemtableBytes)
            .SetBlockBasedTableFactory(new BlockBasedTableOptions().SetBlockCache(cache));
        if (family is StoreLayout.Features or StoreLayout.Serving or StoreLayout.Meta)
        {
            // Whole records can be large (the catalog, the stream state): keep them in blob files, so that flushes and
            // compactions move small references instead of rewriting megabytes; blobs of deleted generations are collected.
            Native.Instance.rocksdb_options_set_enable_blob_files(options.Handle, 1);
            Native.Instance.rocksdb_options_set_min_blob_size(options.Handle, 64 * 1024);
            Native.Instance.rocksdb_options_set_enable_blob_gc(options.Handle, 1);
            Native.Instance.rocksdb_options_set_blob_gc_age_cutoff(options.Handle, 1.0);
        }

        return options;
    }

    private static void CheckFamilies(string path, DbOptions options)
    {
        var present = RocksDb.ListColumnFamilies(options, path).ToHashSet(StringComparer.Ordinal);
        if (!present.Contains(StoreLayout.Meta))
        {
            return; // a store with only RocksDB's default family: new, or of the earlier layout (checked after opening)
        }

        var missing = StoreLayout.Families.Where(f => !present.Contains(f)).ToArray();
        if (missing.Length > 0)
        {
            throw new CheckpointCorruptException(
                $"the store at '{path}' has no '{string.Join("', '", missing)}' column famil{(missing.Length == 1 ? "y" : "ies")}; the store is damaged " +
                "and no checkpoint in it is complete (restore a snapshot copy or start on a new store)");
        }
    }

    private static bool IsEmpty(RocksDb db, ColumnFamilyHandle family)
    {
        using var iterator = db.NewIterator(family);
        iterator.SeekToFirst();
        return !iterator.Valid();
    }

    private static MetaRecord MetaOf(ModelSnapshot snapshot, long writtenAtUnixMs, (int Users, int Items) behaviour) => new()
    {
        BehaviourInRows = true,
        BehaviourUsers = behaviour.Users,
        BehaviourItems = behaviour.Items,
        SchemaVersion = SchemaVersion,
        LinesConsumed = snapshot.LinesConsumed,
        EventsApplied = snapshot.EventsApplied,
        WrittenAtUnixMs = writtenAtUnixMs,
        ItemCount = snapshot.Catalog.Ids.Count,
        UserCount = snapshot.History.TotalUsers,
        HistoryInRows = true,
        FeatureCount = snapshot.Normalizer.Features.Count,
        Learners = [.. snapshot.Learners.Select(l => l.Name)],
        HasStream = snapshot.Stream is not null,
        HasPosition = snapshot.Position is not null,
    };

    private long WriteRecords(WriteBatch batch, ModelSnapshot snapshot, long generation)
    {
        var features = snapshot.Normalizer.Features;
        long bytes = Put(batch, StoreLayout.Features, StoreLayout.RecordKey(generation, "normalizer"), new NormalizerRecord
        {
            SchemaVersion = SchemaVersion,
            Names = [.. features.Select(f => f.Name)],
            Counts = [.. features.Select(f => f.Count)],
            Means = [.. features.Select(f => f.Mean)],
            M2s = [.. features.Select(f => f.M2)],
            Mins = [.. features.Select(f => f.Min)],
            Maxs = [.. features.Select(f => f.Max)],
            Modes = [.. features.Select(f => (int)(f.Mode ?? NormalizationMode.ZScore))],
            IgnoredFeatures = snapshot.Normalizer.IgnoredFeatures,
        });
        if (snapshot.Stream is not null)
        {
            bytes += Put(batch, StoreLayout.Features, StoreLayout.RecordKey(generation, "stream"), StreamRecordOf(snapshot.Stream));
        }

        bytes += Put(batch, StoreLayout.Serving, StoreLayout.RecordKey(generation, "catalog"), new CatalogRecord
        {
            SchemaVersion = SchemaVersion,
            Ids = [.. snapshot.Catalog.Ids],
            Counts = [.. snapshot.Catalog.Counts],
        });
        if (snapshot.Position is { } position)
        {
            bytes += Put(batch, StoreLayout.Offsets, StoreLayout.RecordKey(generation, "position"), new PositionRecord
            {
                SchemaVersion = SchemaVersion,
                Source = position.Source,
                Fingerprint = position.Fingerprint,
                Line = position.Line,
            });
        }

        return bytes;
    }

    private void DeleteRecords(WriteBatch batch, long generation)
    {
        var prefix = StoreLayout.RecordKey(generation, "");
        foreach (var family in new[] { StoreLayout.Meta, StoreLayout.Features, StoreLayout.Serving, StoreLayout.Offsets })
        {
            var end = StoreLayout.PrefixEnd(prefix)!;
            batch.DeleteRange(prefix, (ulong)prefix.Length, end, (ulong)end.Length, _families[family]);
        }
    }

    /// <summary>Writes the pages of an array that differ from the last checkpoint's (all of them when there is none).</summary>
    private long WriteChangedPages(VersionWriter versions, string family, byte[] prefix, string learner, string array, float[] values, long generation)
    {
        _lastArrays.TryGetValue((learner, array), out var previous);
        if (previous is not null && previous.Length != values.Length)
        {
            previous = null;
        }

        long bytes = 0;
        var pages = (values.Length + StoreLayout.PageFloats - 1) / StoreLayout.PageFloats;
        for (var page = 0; page < pages; page++)
        {
            var start = page * StoreLayout.PageFloats;
            var length = Math.Min(StoreLayout.PageFloats, values.Length - start);
            var span = values.AsSpan(start, length);
            if (previous is not null && MemoryMarshal.AsBytes(span).SequenceEqual(MemoryMarshal.AsBytes(previous.AsSpan(start, length))))
            {
                continue;
            }

            bytes += PutVersion(versions, family, prefix, StoreLayout.PageId(array, page), generation, EncodeRow(versions.Value, span, 0));
        }

        return bytes;
    }

    /// <summary>
    /// Writes the users whose items changed (all users for a whole snapshot, with removals for users the store has that the
    /// snapshot lacks) as versions of their history rows, and removals for the users dropped.
    /// </summary>
    private long WriteHistory(VersionWriter versions, HistorySnapshot history, long generation)
    {
        var prefix = StoreLayout.HistoryPrefix;
        const string family = StoreLayout.UserRows;
        if (!history.ChangesOnly)
        {
            var present = history.Users.Select(u => u.User).ToHashSet(StringComparer.Ordinal);
            foreach (var id in StoredIds(StoreLayout.UserRows, prefix).Where(id => !present.Contains(id)))
            {
                PutVersion(versions, family, prefix, id, generation, Removal);
            }
        }

        long bytes = 0;
        var items = new int[64];
        var progress = history.Progress;
        for (var i = versions.StartOf(progress); i < history.Users.Count; i++)
        {
            if (progress?.WrittenAhead(i) == true)
            {
                continue;
            }

            bytes += PutHistoryRow(versions, history, generation, i, ref items);
        }

        foreach (var id in history.Removed ?? [])
        {
            PutVersion(versions, family, prefix, id, generation, Removal);
        }
        return bytes;
    }

    /// <summary>
    /// Writes the behaviour statistics that changed (all of them for a whole snapshot, with removals for users and items
    /// the store has that the snapshot lacks) as versions of their rows, and removals for those dropped. Gives how many
    /// users and items the checkpoint holds, checked when it is read.
    /// </summary>
    private long WriteBehaviour(VersionWriter versions, BehaviourSnapshot behaviour, long generation, out (int Users, int Items) counts)
    {
        var prefix = StoreLayout.BehaviourPrefix;
        var removedUsers = new HashSet<string>(behaviour.RemovedUsers, StringComparer.Ordinal);
        var removedItems = new HashSet<string>(behaviour.RemovedItems, StringComparer.Ordinal);
        if (!behaviour.ChangesOnly)
        {
            removedUsers.UnionWith(StoredIds(StoreLayout.UserRows, prefix).Except(behaviour.Users.Select(u => u.User), StringComparer.Ordinal));
            removedItems.UnionWith(StoredIds(StoreLayout.ItemRows, prefix).Except(behaviour.Items.Select(i => i.Item), StringComparer.Ordinal));
        }

        long bytes = 0;
        _ledger.Expect(generation, StoreLayout.UserRows, prefix, behaviour.Users.Count + removedUsers.Count);
        _ledger.Expect(generation, StoreLayout.ItemRows, prefix, behaviour.Items.Count + removedItems.Count);
        foreach (var user in behaviour.Users)
        {
            var value = EncodeIntegers<long>(versions.Value, [user.Count, user.FirstMs, user.LastMs, user.Purchases, BitConverter.DoubleToInt64Bits(user.PurchaseTotal)]);
            bytes += PutVersion(versions, StoreLayout.UserRows, prefix, user.User, generation, value);
            removedUsers.Remove(user.User);
        }

        foreach (var item in behaviour.Items)
        {
            bytes += PutVersion(versions, StoreLayout.ItemRows, prefix, item.Item, generation, EncodeIntegers<long>(versions.Value, [item.Count, item.LastMs]));
            removedItems.Remove(item.Item);
        }

        foreach (var id in removedUsers)
        {
            PutVersion(versions, StoreLayout.UserRows, prefix, id, generation, Removal);
        }

        foreach (var id in removedItems)
        {
            PutVersion(versions, StoreLayout.ItemRows, prefix, id, generation, Removal);
        }

        counts = (behaviour.TotalUsers, behaviour.TotalItems);
        return bytes;
    }

    /// <summary>
    /// A version of a row that holds integers (a user's recent items, oldest first; a user's or item's behaviour
    /// statistics): the MessagePack array [schema version, [value, ...]].
    /// </summary>
    private static ReadOnlySpan<byte> EncodeIntegers<T>(ArrayBufferWriter<byte> buffer, ReadOnlySpan<T> values)
        where T : IBinaryInteger<T>
    {
        buffer.ResetWrittenCount();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(2);
        writer.Write(SchemaVersion);
        writer.WriteArrayHeader(values.Length);
        foreach (var value in values)
        {
            writer.Write(long.CreateTruncating(value));
        }

        writer.Flush();
        return buffer.WrittenSpan;
    }

    /// <summary>Decodes a version of a row of integers (not a removal marker); <paramref name="part"/> names it in errors.</summary>
    private T[] DecodeIntegers<T>(byte[] value, string part)
        where T : IBinaryInteger<T>
    {
        var reader = new MessagePackReader(value);
        try
        {
            Check(reader.ReadArrayHeader() == 2 && reader.ReadInt32() == SchemaVersion, part, $"a {part} row is not a row of this layout");
            var count = reader.ReadArrayHeader();
            // Untrusted: every value takes at least one byte, so a count beyond the value's length is damage.
            Check(count <= value.Length, part, $"a {part} row is truncated");
            var values = new T[count];
            for (var i = 0; i < count; i++)
            {
                values[i] = T.CreateChecked(reader.ReadInt64());
            }

            return values;
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or OverflowException)
        {
            throw new CheckpointCorruptException($"a row of the checkpoint's '{part}' in '{Path}' cannot be decoded ({ex.Message}); the store is damaged", ex);
        }
    }

    /// <summary>Puts a version of a row or page (an empty value: its removal) and notes it in the ledger; gives its size.</summary>
    private long PutVersion(VersionWriter versions, string family, byte[] prefix, ReadOnlySpan<char> id, long generation, ReadOnlySpan<byte> value)
    {
        versions.Put(prefix, id, generation, value, _families[family]);
        _ledger.Note(generation, family, prefix, id);
        versions.WriteAhead();
        return value.Length;
    }

    /// <summary>
    /// Before any version of the checkpoint is written: the ledger expects each table's rows, and every table read in place
    /// from its owner (<see cref="IWriteProgress"/>) is tracked, so that a retry resumes it after its stored chunks and, after
    /// each chunk, the rows the pipeline copied aside that the write has not reached are written at once, whichever table
    /// is being written in order (the users' recent items change with their rows, and are written after every learner's).
    /// </summary>
    private void TrackTablesReadInPlace(VersionWriter versions, ModelSnapshot snapshot, long generation)
    {
        foreach (var learner in snapshot.Learners)
        {
            var prefix = PrefixOf(learner.Name);
            foreach (var (table, set) in learner.State.Rows)
            {
                if (set.InStore)
                {
                    throw new ArgumentException($"learner '{learner.Name}': the {table} rows of a snapshot read from the store cannot be written back", nameof(snapshot));
                }

                var family = StoreLayout.RowFamily(table);
                _ledger.Expect(generation, family, prefix, set.Count + set.Removed.Length);
                versions.Track(set.Progress, index => PutRow(versions, set, family, prefix, generation, index));
            }
        }

        var history = snapshot.History;
        _ledger.Expect(generation, StoreLayout.UserRows, StoreLayout.HistoryPrefix, history.Users.Count + (history.Removed?.Count ?? 0));
        var items = new int[64];
        versions.Track(history.Progress, index => PutHistoryRow(versions, history, generation, index, ref items));
    }

    /// <summary>Writes row <paramref name="index"/> of <paramref name="set"/> as a version; its value bytes.</summary>
    private long PutRow(VersionWriter versions, RowSet set, string family, byte[] prefix, long generation, int index)
    {
        var values = set.ReadRow(index, out var id, out var lastActiveMs);
        return PutVersion(versions, family, prefix, id, generation, EncodeRow(versions.Value, values, lastActiveMs));
    }

    /// <summary>Writes the recent items of user <paramref name="index"/> of <paramref name="history"/> as a version; its value bytes.</summary>
    private long PutHistoryRow(VersionWriter versions, HistorySnapshot history, long generation, int index, ref int[] items)
    {
        var user = history.Read(index, ref items, out var count);
        return PutVersion(versions, StoreLayout.UserRows, StoreLayout.HistoryPrefix, user, generation, EncodeIntegers<int>(versions.Value, items.AsSpan(0, count)));
    }

    /// <summary>
    /// The row and page versions of a checkpoint, written to the store (write-ahead log, not synced: the commit's synced
    /// write syncs them too) whenever <see cref="VersionChunkBytes"/> of them are pending.
    /// </summary>
    private sealed class VersionWriter(CheckpointStore store) : IDisposable
    {
        private readonly int _chunkBytes = store.VersionChunkBytes;
        private readonly WriteBatch _batch = new();
        private readonly List<Tracked> _tracked = [];
        private readonly List<int> _ahead = [];
        private long _pending;
        private int _chunksStored;
        private int _aheadAfter;
        private bool _writingAhead;
        private byte[] _key = new byte[256];

        /// <summary>
        /// Where a version's value is encoded before <see cref="Put"/> (the batch copies it): one buffer for all the
        /// versions of a checkpoint, and one key buffer, so writing a version allocates nothing.
        /// </summary>
        public ArrayBufferWriter<byte> Value { get; } = new(4096);

        public void Put(byte[] prefix, ReadOnlySpan<char> id, long generation, ReadOnlySpan<byte> value, ColumnFamilyHandle family)
        {
            var length = StoreLayout.VersionedLength(prefix, id);
            if (_key.Length < length)
            {
                _key = new byte[Math.Max(length, _key.Length * 2)];
            }

            StoreLayout.WriteVersioned(_key, prefix, id, generation);
            _batch.Put(_key.AsSpan(0, length), value, family);
            _pending += length + value.Length;
            if (_pending >= _chunkBytes && !_writingAhead)
            {
                Flush();
            }
        }

        /// <summary>Value bytes of the rows written ahead of order.</summary>
        public long AheadBytes { get; private set; }

        /// <summary>
        /// <paramref name="progress"/> (when not null) resumes where a failed write of it left off (<see cref="StartOf"/>),
        /// and is told each time a chunk is in the store: the rows read from it so far are then stored, and its table need
        /// not keep them for this checkpoint. After each chunk, <see cref="WriteAhead"/> writes its rows copied aside and
        /// not reached with <paramref name="writeAhead"/> (which gives the value bytes written).
        /// </summary>
        public void Track(IWriteProgress? progress, Func<int, long> writeAhead)
        {
            if (progress is not null)
            {
                _tracked.Add(new Tracked(progress, writeAhead, progress.ResumeAt()));
            }
        }

        /// <summary>Where the in-order pass over <paramref name="progress"/> starts (0 for one not tracked).</summary>
        public int StartOf(IWriteProgress? progress) =>
            _tracked.Find(t => ReferenceEquals(t.Progress, progress))?.Start ?? 0;

        /// <summary>
        /// After a version is written: once a chunk has been stored since the last time, the rows each tracked table copied
        /// aside (changed before they were written) and the write has not reached are written now, into the chunk being
        /// built, so their copies go once it is stored instead of at the end of the write. Not while writing them.
        /// </summary>
        public void WriteAhead()
        {
            if (_aheadAfter == _chunksStored || _writingAhead)
            {
                return;
            }

            _aheadAfter = _chunksStored;
            _writingAhead = true;
            try
            {
                foreach (var tracked in _tracked)
                {
                    _ahead.Clear();
                    tracked.Progress.TakeAhead(_ahead);
                    foreach (var index in _ahead)
                    {
                        AheadBytes += tracked.WriteAhead(index);
                    }
                }
            }
            finally
            {
                _writingAhead = false;
            }

            // The chunk holds its rows and those written ahead (taken all at once: every one taken is stored by the same chunk).
            if (_pending >= _chunkBytes)
            {
                Flush();
            }
        }

        public void Flush()
        {
            if (_batch.Count() > 0)
            {
                store.BeforeChunk?.Invoke();
                store._db.Write(_batch, store._unsyncedWrites);
                _batch.Clear();
                _chunksStored++;
                foreach (var tracked in _tracked)
                {
                    tracked.Progress.Stored();
                }
            }

            _pending = 0;
        }

        public void Dispose() => _batch.Dispose();

        private sealed record Tracked(IWriteProgress Progress, Func<int, long> WriteAhead, int Start);
    }

    /// <summary>The key prefix of a learner's rows: one array per learner, which the ledger compares by reference.</summary>
    private byte[] PrefixOf(string learner) => _prefixes.GetOrAdd(learner, StoreLayout.LearnerPrefix);

    /// <summary>
    /// A version of a row or of an array page as MessagePack: the array [schema version, raw little-endian float32 bytes,
    /// last update (event time, Unix ms; 0 for pages)], written and read with MessagePackWriter/Reader directly (rows are
    /// written and read by the million). An empty value marks a removal.
    /// </summary>
    private static byte[] EncodeRow(ReadOnlySpan<float> values, long lastActiveMs) =>
        EncodeRow(new ArrayBufferWriter<byte>((values.Length * sizeof(float)) + 24), values, lastActiveMs).ToArray();

    /// <summary>A row version (see <see cref="EncodeRow(ReadOnlySpan{float}, long)"/>) in <paramref name="buffer"/>, reset first.</summary>
    private static ReadOnlySpan<byte> EncodeRow(ArrayBufferWriter<byte> buffer, ReadOnlySpan<float> values, long lastActiveMs)
    {
        var raw = MemoryMarshal.AsBytes(values);
        buffer.ResetWrittenCount();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(3);
        writer.Write(SchemaVersion);
        if (BitConverter.IsLittleEndian)
        {
            writer.Write(raw);
        }
        else
        {
            var swapped = raw.ToArray();
            ReverseEach(swapped);
            writer.Write(swapped);
        }

        writer.Write(lastActiveMs);
        writer.Flush();
        return buffer.WrittenSpan;
    }

    /// <summary>When a row version was last updated; null for a removal marker.</summary>
    private long? DecodeLastActive(byte[] value, string part)
    {
        if (value.Length == 0)
        {
            return null;
        }

        var reader = new MessagePackReader(value);
        try
        {
            Check(reader.ReadArrayHeader() == 3 && reader.ReadInt32() == SchemaVersion, part, "a row value is not a row of this layout");
            reader.Skip();
            return reader.ReadInt64();
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException)
        {
            throw new CheckpointCorruptException($"a row of the checkpoint's '{part}' value in '{Path}' cannot be decoded ({ex.Message}); the store is damaged", ex);
        }
    }

    /// <summary>Decodes a row version into <paramref name="values"/> (its exact length); false for a removal marker.</summary>
    private bool DecodeRow(byte[] value, Span<float> values, string part, out long lastActiveMs) =>
        DecodeRow(value, values, part, exact: true, out _, out lastActiveMs);

    /// <summary>
    /// Decodes a row value into <paramref name="values"/>: exactly its length, or (not <paramref name="exact"/>) at most
    /// its length, <paramref name="floats"/> saying how many the row had. False for a removal marker.
    /// </summary>
    private bool DecodeRow(byte[] value, Span<float> values, string part, bool exact, out int floats, out long lastActiveMs)
    {
        lastActiveMs = 0;
        floats = 0;
        if (value.Length == 0)
        {
            return false;
        }

        var reader = new MessagePackReader(value);
        int version;
        ReadOnlySequence<byte>? raw;
        try
        {
            Check(reader.ReadArrayHeader() == 3, part, "a row value is not a row");
            version = reader.ReadInt32();
            raw = reader.ReadBytes();
            lastActiveMs = reader.ReadInt64();
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException)
        {
            throw new CheckpointCorruptException($"a row of the checkpoint's '{part}' value in '{Path}' cannot be decoded ({ex.Message}); the store is damaged", ex);
        }

        if (version != SchemaVersion)
        {
            throw new CheckpointCorruptException(
                $"a row of the checkpoint's '{part}' value in '{Path}' has schema version {version}; this RecoStream reads version {SchemaVersion}");
        }

        var bytes = MemoryMarshal.AsBytes(values);
        var length = raw?.Length ?? 0;
        Check(raw is not null && (exact ? length == bytes.Length : length <= bytes.Length && length % sizeof(float) == 0), part,
            $"a row has {length} bytes where {bytes.Length} were written");
        bytes = bytes[..(int)length];
        raw!.Value.CopyTo(bytes);
        floats = (int)length / sizeof(float);
        if (!BitConverter.IsLittleEndian)
        {
            for (var i = 0; i < bytes.Length; i += sizeof(float))
            {
                bytes.Slice(i, sizeof(float)).Reverse();
            }
        }

        return true;
    }

    /// <summary>The ids of a learner's rows whose newest version is not a removal.</summary>
    private List<string> StoredIds(string family, byte[] prefix)
    {
        var ids = new List<string>();
        byte[] previous = [];
        using var iterator = _db.NewIterator(_families[family], _scan);
        for (iterator.Seek(prefix); iterator.Valid(); iterator.Next())
        {
            var key = iterator.Key();
            if (!key.AsSpan().StartsWith(prefix))
            {
                break;
            }

            if (!StoreLayout.TryParseVersioned(key, out var parsed) || StoreLayout.SameRow(key, previous))
            {
                continue;
            }

            var id = parsed.IdString();
            previous = key;
            if (iterator.Value().Length > 0)
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    private static void RoundTrip<T>(T record) => MessagePackSerializer.Deserialize<T>(MessagePackSerializer.Serialize(record, Serializer), Serializer);

    private static long Put<T>(WriteBatch batch, ColumnFamilyHandle family, byte[] key, T record)
    {
        var bytes = MessagePackSerializer.Serialize(record, Serializer);
        batch.Put(key, bytes, family);
        return bytes.Length;
    }

    private long Put<T>(WriteBatch batch, string family, byte[] key, T record) => Put(batch, _families[family], key, record);

    private byte[] Require(string family, long generation, string part) =>
        _db.Get(StoreLayout.RecordKey(generation, part), _families[family], _scan) ?? throw new CheckpointCorruptException(
            $"the store at '{Path}' has checkpoint metadata but its '{part}' value is missing; the store is damaged");

    private T Decode<T>(byte[] bytes, string part, Func<T, int> version)
    {
        T record;
        try
        {
            record = MessagePackSerializer.Deserialize<T>(bytes, Serializer);
        }
        catch (MessagePackSerializationException ex)
        {
            throw new CheckpointCorruptException(
                $"the checkpoint's '{part}' value in '{Path}' cannot be decoded ({ex.InnerException?.Message ?? ex.Message}); the store is damaged", ex);
        }

        if (record is null || version(record) != SchemaVersion)
        {
            throw new CheckpointCorruptException(
                $"the checkpoint's '{part}' value in '{Path}' has schema version {(record is null ? "none" : version(record))}; " +
                $"this RecoStream reads version {SchemaVersion}");
        }

        return record;
    }

    private void Check(bool condition, string part, string problem)
    {
        if (!condition)
        {
            throw new CheckpointCorruptException($"the checkpoint's '{part}' value in '{Path}' is inconsistent: {problem}; the store is damaged");
        }
    }

    private static void ReverseEach(byte[] bytes)
    {
        for (var i = 0; i < bytes.Length; i += sizeof(float))
        {
            bytes.AsSpan(i, sizeof(float)).Reverse();
        }
    }
}

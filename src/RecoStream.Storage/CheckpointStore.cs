using System.Runtime.InteropServices;
using System.Text;
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
/// Checkpoints of the whole model state in an embedded RocksDB folder. One checkpoint is one atomic
/// WriteBatch of MessagePack values under its generation's prefix (<c>cp/NNN/</c>), each carrying
/// <see cref="SchemaVersion"/>; a reader sees either the previous checkpoint or the new one, never a mix. The last
/// K generations are kept (older ones are deleted in the same batch), so a damaged latest checkpoint falls back to the
/// one before it. Stores written before generations existed (keys under <c>checkpoint/</c>) are read as generation 0.
/// </summary>
public sealed class CheckpointStore : IDisposable
{
    /// <summary>The layout version written and the only one read.</summary>
    public const int SchemaVersion = 2;

    private const string LegacyPrefix = "checkpoint/";
    private const string GenerationPrefix = "cp/";

    // Values come from disk, which may have been damaged or tampered with: decode them as untrusted data.
    private static readonly MessagePackSerializerOptions Serializer = StandardResolverAllowPrivate.Options
        .WithSecurity(MessagePackSecurity.UntrustedData);

    private readonly RocksDb _db;
    private readonly WriteOptions _writeOptions;
    private readonly int _keep;
    private readonly List<string> _fallbacks = [];

    private CheckpointStore(RocksDb db, bool syncWrites, int keep)
    {
        _db = db;
        _writeOptions = new WriteOptions().SetSync(syncWrites);
        _keep = keep;
    }

    /// <summary>
    /// Why newer checkpoints were skipped by the last <see cref="ReadLatest"/> (empty when the latest one was read).
    /// </summary>
    public IReadOnlyList<string> Fallbacks => _fallbacks;

    /// <summary>The generation of the checkpoint <see cref="ReadLatest"/> returned, or of the last one written.</summary>
    public long Generation { get; private set; }

    /// <summary>The store's folder.</summary>
    public required string Path { get; init; }

    /// <summary>Opens (creating if needed) the store in <paramref name="path"/>.</summary>
    /// <param name="path">The folder of the RocksDB database.</param>
    /// <param name="syncWrites">Sync the write-ahead log on every checkpoint, so a checkpoint survives power loss.</param>
    /// <param name="keep">Checkpoints kept (at least 1): the latest and the ones a damaged latest falls back to.</param>
    public static CheckpointStore Open(string path, bool syncWrites, int keep = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        Directory.CreateDirectory(path);
        var options = new DbOptions().SetCreateIfMissing(true);
        // Checkpoint values are large (whole factor tables): keep them in blob files, so that flushes and compactions
        // move small references instead of rewriting megabytes; blobs of deleted generations are garbage-collected.
        Native.Instance.rocksdb_options_set_enable_blob_files(options.Handle, 1);
        Native.Instance.rocksdb_options_set_min_blob_size(options.Handle, 64 * 1024);
        Native.Instance.rocksdb_options_set_enable_blob_gc(options.Handle, 1);
        Native.Instance.rocksdb_options_set_blob_gc_age_cutoff(options.Handle, 1.0);
        var db = RocksDb.Open(options, path);
        var store = new CheckpointStore(db, syncWrites, keep) { Path = path };
        var generations = store.Generations();
        store.Generation = generations.Count > 0 ? generations[^1] : 0;
        return store;
    }

    /// <summary>Writes a checkpoint atomically; returns the number of value bytes written.</summary>
    public long Write(ModelSnapshot snapshot, long writtenAtUnixMs)
    {
        var meta = new MetaRecord
        {
            SchemaVersion = SchemaVersion,
            LinesConsumed = snapshot.LinesConsumed,
            EventsApplied = snapshot.EventsApplied,
            WrittenAtUnixMs = writtenAtUnixMs,
            ItemCount = snapshot.Catalog.Ids.Count,
            UserCount = snapshot.History.Users.Count,
            FeatureCount = snapshot.Normalizer.Features.Count,
            Learners = [.. snapshot.Learners.Select(l => l.Name)],
            HasStream = snapshot.Stream is not null,
            PositionSource = snapshot.Position?.Source,
            PositionFingerprint = snapshot.Position?.Fingerprint,
            PositionLine = snapshot.Position?.Line ?? 0,
        };
        var features = snapshot.Normalizer.Features;
        var normalizer = new NormalizerRecord
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
        };
        var catalog = new CatalogRecord
        {
            SchemaVersion = SchemaVersion,
            Ids = [.. snapshot.Catalog.Ids],
            Counts = [.. snapshot.Catalog.Counts],
        };
        var history = new HistoryRecord
        {
            SchemaVersion = SchemaVersion,
            Users = [.. snapshot.History.Users.Select(u => u.User)],
            Items = [.. snapshot.History.Users.Select(u => u.Items)],
        };

        var generation = Generation + 1;
        var prefix = PrefixOf(generation);
        using var batch = new WriteBatch();
        long bytes = 0;
        foreach (var learner in snapshot.Learners)
        {
            bytes += Put(batch, Key(prefix, "learner/" + learner.Name), new LearnerRecord
            {
                SchemaVersion = SchemaVersion,
                Name = learner.Name,
                Kind = learner.State.Kind,
                KindVersion = learner.State.Version,
                Floats = learner.State.Floats.ToDictionary(p => p.Key, p => FloatsToBytes(p.Value)),
                Doubles = learner.State.Doubles,
                Strings = learner.State.Strings,
                Longs = learner.State.Longs,
                EvaluatedCount = learner.Evaluator.Count,
                SumSquaredError = learner.Evaluator.SumSquaredError,
                SumAbsoluteError = learner.Evaluator.SumAbsoluteError,
                Ranked = learner.Evaluator.Ranked,
                Hits = learner.Evaluator.Hits,
                DiscountedGain = learner.Evaluator.DiscountedGain,
                Classified = learner.Evaluator.Classified,
                SumLogLoss = learner.Evaluator.SumLogLoss,
                Learned = learner.Evaluator.Learned,
            });
        }

        bytes += Put(batch, Key(prefix, "normalizer"), normalizer);
        bytes += Put(batch, Key(prefix, "catalog"), catalog);
        bytes += Put(batch, Key(prefix, "history"), history);
        if (snapshot.Stream is not null)
        {
            bytes += Put(batch, Key(prefix, "stream"), StreamRecordOf(snapshot.Stream));
        }

        bytes += Put(batch, Key(prefix, "meta"), meta);
        // Generations beyond the K kept, and a store's pre-generation checkpoint, go in the same atomic batch.
        foreach (var key in KeysUnder(LegacyPrefix).Concat(Generations().Where(g => g <= generation - _keep).SelectMany(g => KeysUnder(PrefixOf(g)))))
        {
            batch.Delete(key);
        }

        _db.Write(batch, _writeOptions);
        Generation = generation;
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

    /// <summary>The generations present, oldest first.</summary>
    public IReadOnlyList<long> Generations()
    {
        var generations = new SortedSet<long>();
        using var iterator = _db.NewIterator();
        var start = Key(GenerationPrefix, "");
        for (iterator.Seek(start); iterator.Valid(); iterator.Next())
        {
            var key = Encoding.UTF8.GetString(iterator.Key());
            if (!key.StartsWith(GenerationPrefix, StringComparison.Ordinal))
            {
                break;
            }

            var slash = key.IndexOf('/', GenerationPrefix.Length);
            if (slash > 0 && long.TryParse(key.AsSpan(GenerationPrefix.Length, slash - GenerationPrefix.Length), System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out var generation))
            {
                generations.Add(generation);
            }
        }

        return [.. generations];
    }

    /// <summary>
    /// Reads the newest consistent checkpoint, falling back to older kept ones when newer ones are damaged (the reasons
    /// are in <see cref="Fallbacks"/>); null when the store has none yet.
    /// </summary>
    /// <exception cref="CheckpointCorruptException">Checkpoints exist but none can be read consistently.</exception>
    public ModelSnapshot? ReadLatest()
    {
        _fallbacks.Clear();
        var generations = Generations();
        if (generations.Count == 0)
        {
            Generation = 0;
            return _db.Get(Key(LegacyPrefix, "meta")) is null ? null : Read(LegacyPrefix);
        }

        for (var i = generations.Count - 1; i >= 0; i--)
        {
            try
            {
                var snapshot = Read(PrefixOf(generations[i]));
                if (snapshot is not null)
                {
                    Generation = generations[i];
                    return snapshot;
                }

                _fallbacks.Add($"checkpoint {generations[i]} is unusable: it has no metadata (the store is damaged)");
            }
            catch (CheckpointCorruptException ex)
            {
                _fallbacks.Add($"checkpoint {generations[i]} is unusable: {ex.Message}");
            }
        }

        throw new CheckpointCorruptException(
            $"none of the {generations.Count} checkpoints kept in '{Path}' can be read: {string.Join("; ", _fallbacks)}");
    }

    private ModelSnapshot? Read(string prefix)
    {
        var metaBytes = _db.Get(Key(prefix, "meta"));
        if (metaBytes is null)
        {
            return null;
        }

        var meta = Decode<MetaRecord>(metaBytes, "meta", m => m.SchemaVersion);
        var learners = new List<LearnerEntry>(meta.Learners.Length);
        foreach (var name in meta.Learners)
        {
            var part = "learner/" + name;
            var record = Decode<LearnerRecord>(Require(Key(prefix, part), part), part, r => r.SchemaVersion);
            Check(record.Name == name && record.Kind.Length > 0, part, "the value belongs to another learner");
            var state = new LearnerSnapshot(record.Kind, record.KindVersion)
            {
                Floats = record.Floats.ToDictionary(p => p.Key, p => BytesToFloats(p.Value, part)),
                Doubles = record.Doubles,
                Strings = record.Strings,
                Longs = record.Longs,
            };
            learners.Add(new LearnerEntry(name, state, new EvaluatorSnapshot(record.EvaluatedCount, record.SumSquaredError, record.SumAbsoluteError,
                record.Ranked, record.Hits, record.DiscountedGain, record.Classified, record.SumLogLoss, record.Learned)));
        }

        var normalizer = Decode<NormalizerRecord>(Require(Key(prefix, "normalizer"), "normalizer"), "normalizer", r => r.SchemaVersion);
        var catalog = Decode<CatalogRecord>(Require(Key(prefix, "catalog"), "catalog"), "catalog", r => r.SchemaVersion);
        var history = Decode<HistoryRecord>(Require(Key(prefix, "history"), "history"), "history", r => r.SchemaVersion);

        Check(normalizer.Names.Length == meta.FeatureCount && normalizer.Counts.Length == normalizer.Names.Length
              && normalizer.Means.Length == normalizer.Names.Length && normalizer.M2s.Length == normalizer.Names.Length,
            "normalizer", "feature statistics do not match the checkpoint's metadata");
        Check(catalog.Ids.Length == meta.ItemCount && catalog.Counts.Length == catalog.Ids.Length,
            "catalog", "item count does not match the checkpoint's metadata");
        Check(history.Users.Length == meta.UserCount && history.Items.Length == history.Users.Length,
            "history", "user count does not match the checkpoint's metadata");
        foreach (var items in history.Items)
        {
            foreach (var index in items ?? [])
            {
                Check((uint)index < (uint)catalog.Ids.Length, "history", $"item index {index} is outside the catalog");
            }
        }

        var withBounds = normalizer.Mins.Length == normalizer.Names.Length && normalizer.Maxs.Length == normalizer.Names.Length
                         && normalizer.Modes.Length == normalizer.Names.Length;
        Check(withBounds || (normalizer.Mins.Length == 0 && normalizer.Maxs.Length == 0 && normalizer.Modes.Length == 0),
            "normalizer", "feature bounds do not match the feature names");
        var featureEntries = new FeatureStatisticsEntry[normalizer.Names.Length];
        for (var i = 0; i < featureEntries.Length; i++)
        {
            featureEntries[i] = withBounds
                ? new FeatureStatisticsEntry(normalizer.Names[i], normalizer.Counts[i], normalizer.Means[i], normalizer.M2s[i],
                    normalizer.Mins[i], normalizer.Maxs[i], CheckedMode(normalizer.Modes[i]))
                : new FeatureStatisticsEntry(normalizer.Names[i], normalizer.Counts[i], normalizer.Means[i], normalizer.M2s[i],
                    normalizer.Means[i], normalizer.Means[i]);
        }

        var stream = meta.HasStream
            ? StreamSnapshotOf(Decode<StreamRecord>(Require(Key(prefix, "stream"), "stream"), "stream", r => r.SchemaVersion))
            : null;

        var users = new UserHistoryEntry[history.Users.Length];
        for (var i = 0; i < users.Length; i++)
        {
            users[i] = new UserHistoryEntry(history.Users[i], history.Items[i] ?? []);
        }

        return new ModelSnapshot(
            meta.LinesConsumed,
            meta.EventsApplied,
            new NormalizerSnapshot(featureEntries, normalizer.IgnoredFeatures),
            stream,
            learners,
            new CatalogSnapshot(catalog.Ids, catalog.Counts),
            new HistorySnapshot(users),
            meta.PositionSource is { } source ? new SourcePosition(source, meta.PositionFingerprint ?? "", meta.PositionLine) : null);
    }

    /// <summary>When the checkpoint of <see cref="Generation"/> was written (Unix ms), or null.</summary>
    public long? LatestCheckpointTime()
    {
        var metaBytes = _db.Get(Key(Generation == 0 ? LegacyPrefix : PrefixOf(Generation), "meta"));
        return metaBytes is null ? null : Decode<MetaRecord>(metaBytes, "meta", m => m.SchemaVersion).WrittenAtUnixMs;
    }

    /// <inheritdoc />
    public void Dispose() => _db.Dispose();

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
            Users = [.. b.Users.Select(u => u.User)],
            UserCounts = [.. b.Users.Select(u => u.Count)],
            UserFirstMs = [.. b.Users.Select(u => u.FirstMs)],
            UserLastMs = [.. b.Users.Select(u => u.LastMs)],
            UserPurchases = [.. b.Users.Select(u => u.Purchases)],
            UserPurchaseTotals = [.. b.Users.Select(u => u.PurchaseTotal)],
            Items = [.. b.Items.Select(i => i.Item)],
            ItemCounts = [.. b.Items.Select(i => i.Count)],
            ItemLastMs = [.. b.Items.Select(i => i.LastMs)],
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

    private NormalizationMode CheckedMode(int mode)
    {
        Check(Enum.IsDefined((NormalizationMode)mode), "normalizer", $"unknown normalization mode {mode}");
        return (NormalizationMode)mode;
    }

    private static long Put<T>(WriteBatch batch, byte[] key, T record)
    {
        var bytes = MessagePackSerializer.Serialize(record, Serializer);
        batch.Put(key, bytes);
        return bytes.Length;
    }

    private byte[] Require(byte[] key, string part) =>
        _db.Get(key) ?? throw new CheckpointCorruptException(
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

    private static string PrefixOf(long generation) => GenerationPrefix + generation.ToString("D19", System.Globalization.CultureInfo.InvariantCulture) + "/";

    private static byte[] Key(string prefix, string part) => Encoding.UTF8.GetBytes(prefix + part);

    private List<byte[]> KeysUnder(string prefix)
    {
        var keys = new List<byte[]>();
        var start = Encoding.UTF8.GetBytes(prefix);
        using var iterator = _db.NewIterator();
        for (iterator.Seek(start); iterator.Valid() && iterator.Key().AsSpan().StartsWith(start); iterator.Next())
        {
            keys.Add(iterator.Key());
        }

        return keys;
    }

    private static byte[] FloatsToBytes(float[] values)
    {
        var bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            ReverseEach(bytes);
        }

        return bytes;
    }

    private float[] BytesToFloats(byte[] bytes, string part)
    {
        Check(bytes is not null && bytes.Length % sizeof(float) == 0, part, "a float array's length is not a whole number of floats");
        var copy = (byte[])bytes!.Clone();
        if (!BitConverter.IsLittleEndian)
        {
            ReverseEach(copy);
        }

        return MemoryMarshal.Cast<byte, float>(copy).ToArray();
    }

    private static void ReverseEach(byte[] bytes)
    {
        for (var i = 0; i < bytes.Length; i += sizeof(float))
        {
            bytes.AsSpan(i, sizeof(float)).Reverse();
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using RecoStream.Core.Events;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;
using RecoStream.Core.Routing;
using RecoStream.Storage;

const string Help = """
    RecoStream.TableBench: trains the biased MF learner on a generated rating stream with its rows checkpointed to a
    store, then reopens the store and restores; for the row-table figures in docs/benchmarks.md.

    Usage:
      RecoStream.TableBench --store DIR [--users U] [--items I] [--events E] [--rank R] [--hot-rows H]
                            [--checkpoint-every C] [--skew S] [--seed N]
          The first U events rate each user once (so the table has U rows); the rest pick users uniformly (--skew 0,
          the default) or by a Zipf law of exponent S. Items are uniform. Every C events (default: only at the end) the
          changed rows are copied (the pause ingest would see) and written (synchronously here; the worker writes in
          the background). --sequential rates the users in turn, round after round (with C = U every checkpoint then
          holds exactly U changed user rows). --hot-rows 0 (the default) keeps every row in memory; H > 0 keeps H per table and the rest in
          the store (--memory-rows: in a dictionary instead, to measure the hot set without RocksDB; no restore then).
          DIR must not exist; it is deleted at the end unless --keep is given.

    Prints one JSON line: events/s, checkpoint pause and write times, rows, hot-set hit ratio, evictions, peak GC heap
    and RSS, restore time, store size. Run with DOTNET_GCHeapHardLimit to hold the heap to a limit.

    """;

if (args.Length == 0 || args[0] is "--help" or "-h")
{
    Console.Out.Write(Help);
    return args.Length == 0 ? 2 : 0;
}

string? storePath = null;
int users = 1_000_000, items = 20_000, rank = 32, hotRows = 0, seed = 7;
long events = 0, checkpointEvery = 0;
double skew = 0;
var keep = false;
var sequential = false;
var memoryRows = false;
for (var a = 0; a < args.Length; a++)
{
    string Next() => args[++a];
    switch (args[a])
    {
        case "--store": storePath = Next(); break;
        case "--users": users = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--items": items = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--events": events = long.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--rank": rank = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--hot-rows": hotRows = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--checkpoint-every": checkpointEvery = long.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--skew": skew = double.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--seed": seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--keep": keep = true; break;
        case "--sequential": sequential = true; break;
        case "--memory-rows": memoryRows = true; break;
        default:
            Console.Error.WriteLine($"RecoStream.TableBench: unknown argument '{args[a]}' (--help lists them)");
            return 2;
    }
}

if (storePath is null || Directory.Exists(storePath))
{
    Console.Error.WriteLine("RecoStream.TableBench: --store DIR is required and DIR must not exist");
    return 2;
}

events = Math.Max(events, users);
var options = new BiasedMatrixFactorizationOptions { Rank = rank, Rows = new RowTableOptions { HotRows = hotRows } };
ModelState NewState() => new(new FeatureOptions(), [new BiasedMatrixFactorization(options)], "mf", 10);

var state = NewState();
var learner = state.Learner;
var pauses = new List<double>();
var writes = new List<double>();
var writtenBytes = new List<long>();
long peakHeap = 0;
var pauseCollections = 0;
var sampler = new UserSampler(users, skew, seed);
var random = new Random(seed + 1);
var clock = Stopwatch.StartNew();
var store = CheckpointStore.Open(storePath, syncWrites: true);
learner.AttachRowStore(memoryRows ? new MemoryRows() : store.RowsOf("mf"));

void Checkpoint()
{
    var start = Stopwatch.GetTimestamp();
    var gcs = GC.CollectionCount(2);
    var snapshot = state.SnapshotChanges();
    var generation = store.ReserveGeneration();
    pauses.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    pauseCollections += GC.CollectionCount(2) - gcs;
    start = Stopwatch.GetTimestamp();
    writtenBytes.Add(store.Write(snapshot, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), generation));
    writes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    foreach (var rows in snapshot.Learners.SelectMany(l => l.State.Rows.Values))
    {
        rows.Release?.Invoke();
    }
    peakHeap = Math.Max(peakHeap, GC.GetGCMemoryInfo().HeapSizeBytes);
}

var trainSeconds = 0.0;
var trainClock = Stopwatch.StartNew();
for (long n = 0; n < events; n++)
{
    var user = n < users || sequential ? (int)(n % users) : sampler.Next();
    var item = random.Next(items);
    var rating = 1 + ((user * 7) + (item * 3)) % 5;
    var e = new UserEvent("u" + user.ToString(CultureInfo.InvariantCulture), "i" + item.ToString(CultureInfo.InvariantCulture), EventType.Rating, rating,
        n * 1000, [], []);
    learner.Learn(e, rating);
    if (checkpointEvery > 0 && (n + 1) % checkpointEvery == 0 && n + 1 < events)
    {
        trainSeconds += trainClock.Elapsed.TotalSeconds;
        Checkpoint();
        trainClock.Restart();
    }

    if ((n & 0xFFFFF) == 0)
    {
        peakHeap = Math.Max(peakHeap, GC.GetGCMemoryInfo().HeapSizeBytes);
    }
}

trainSeconds += trainClock.Elapsed.TotalSeconds;
Checkpoint();
var tables = learner.RowTables;
var probe = Enumerable.Range(0, 50).Select(k => learner.ScoreItem("u" + (k * 7919 % users), "i" + (k * 31 % items))).ToArray();
store.Dispose();
var storeBytes = Directory.EnumerateFiles(storePath, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

if (memoryRows)
{
    // The evicted rows were never in the store: there is nothing to restore.
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        users,
        events,
        hot_rows = hotRows,
        train_events_per_sec = Math.Round(events / trainSeconds),
        hot_set_hit_ratio = Math.Round((double)tables.Sum(t => t.Hits) / (tables.Sum(t => t.Hits) + tables.Sum(t => t.Misses)), 4),
        evictions = tables.Sum(t => t.Evictions)
    }));
    Directory.Delete(storePath, recursive: true);
    return 0;
}

// Restore into a fresh learner, as a restarted worker does.
var restoreClock = Stopwatch.StartNew();
var restored = NewState();
using (var reopened = CheckpointStore.Open(storePath, syncWrites: true))
{
    var openSeconds = restoreClock.Elapsed.TotalSeconds;
    var read = reopened.ReadLatest(_ => hotRows > 0)!;
    var readSeconds = restoreClock.Elapsed.TotalSeconds - openSeconds;
    restored.Restore(read);
    restored.Learner.AttachRowStore(reopened.RowsOf("mf"));
    var restoreSeconds = restoreClock.Elapsed.TotalSeconds;
    var same = Enumerable.Range(0, 50).All(k => restored.Learner.ScoreItem("u" + (k * 7919 % users), "i" + (k * 31 % items)) == probe[k]);
    peakHeap = Math.Max(peakHeap, GC.GetGCMemoryInfo().HeapSizeBytes);

    var hits = tables.Sum(t => t.Hits);
    var lookups = hits + tables.Sum(t => t.Misses);
    var report = new Dictionary<string, object>
    {
        ["users"] = users,
        ["items"] = items,
        ["events"] = events,
        ["rank"] = rank,
        ["hot_rows"] = hotRows,
        ["skew"] = skew,
        ["train_events_per_sec"] = Math.Round(events / trainSeconds),
        ["checkpoints"] = pauses.Count,
        ["checkpoint_pause_ms"] = pauses.Select(p => Math.Round(p)).ToArray(),
        ["checkpoint_pause_ms_median"] = Math.Round(Median(pauses), 1),
        ["checkpoint_pause_ms_max"] = Math.Round(pauses.Max(), 1),
        ["checkpoint_pause_gen2_collections"] = pauseCollections,
        ["checkpoint_write_ms"] = writes.Select(w => Math.Round(w)).ToArray(),
        ["checkpoint_write_ms_median"] = Math.Round(Median(writes), 1),
        ["checkpoint_write_ms_last"] = Math.Round(writes[^1], 1),
        ["checkpoint_bytes_last"] = writtenBytes[^1],
        ["rows_user"] = tables[0].Rows,
        ["rows_item"] = tables[1].Rows,
        ["rows_in_memory"] = tables.Sum(t => t.HotRows),
        ["hot_set_hit_ratio"] = lookups == 0 ? 1 : Math.Round((double)hits / lookups, 4),
        ["evictions"] = tables.Sum(t => t.Evictions),
        ["parameter_bytes"] = (tables[0].Rows + tables[1].Rows) * (2L + 2 * rank) * sizeof(float),
        ["peak_gc_heap_mib"] = Math.Round(peakHeap / 1048576.0),
        ["gc_heap_limit_mib"] = Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1048576.0),
        ["peak_rss_mib"] = Math.Round(PeakRssBytes() / 1048576.0),
        ["restore_seconds"] = Math.Round(restoreSeconds, 2),
        ["restore_open_seconds"] = Math.Round(openSeconds, 2),
        ["restore_read_seconds"] = Math.Round(readSeconds, 2),
        ["restored_predictions_equal"] = same,
        ["store_mib"] = Math.Round(storeBytes / 1048576.0),
        ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
    };
    Console.WriteLine(JsonSerializer.Serialize(report));
}

if (!keep)
{
    Directory.Delete(storePath, recursive: true);
}

return 0;

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted[sorted.Length / 2];
}

static long PeakRssBytes()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
    {
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
        {
            return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
        }
    }

    return 0;
}

/// <summary>Users drawn uniformly, or by a Zipf law (rank r with weight 1/r^s) through a precomputed cumulative table.</summary>
internal sealed class UserSampler
{
    private readonly Random _random;
    private readonly int _users;
    private readonly double[]? _cumulative;

    public UserSampler(int users, double skew, int seed)
    {
        _random = new Random(seed);
        _users = users;
        if (skew > 0)
        {
            _cumulative = new double[users];
            var sum = 0.0;
            for (var r = 0; r < users; r++)
            {
                sum += 1.0 / Math.Pow(r + 1, skew);
                _cumulative[r] = sum;
            }
        }
    }

    public int Next()
    {
        if (_cumulative is null)
        {
            return _random.Next(_users);
        }

        var target = _random.NextDouble() * _cumulative[^1];
        var index = Array.BinarySearch(_cumulative, target);
        // Spread the popular ranks over the id space, so popularity is not the same as id order.
        var rank = index >= 0 ? index : Math.Min(~index, _users - 1);
        return (int)((rank * 2654435761L) % _users);
    }
}

/// <summary>Rows evicted to a dictionary instead of the store (--memory-rows): the hot set's own cost, without RocksDB.</summary>
internal sealed class MemoryRows : IRowStore
{
    private readonly Dictionary<(string, string), (float[] Values, long LastActive)> _rows = [];

    public bool TryRead(string table, string id, Span<float> values, out int width, out long lastActiveMs)
    {
        if (_rows.TryGetValue((table, id), out var row))
        {
            row.Values.CopyTo(values);
            width = row.Values.Length;
            lastActiveMs = row.LastActive;
            return true;
        }

        width = 0;
        lastActiveMs = 0;
        return false;
    }

    public void WriteEvicted(string table, string id, ReadOnlySpan<float> values, long lastActiveMs) => _rows[(table, id)] = (values.ToArray(), lastActiveMs);

    public IReadOnlyList<string> ScanExpired(string table, long cutoffMs, int maxRows) => [];
}

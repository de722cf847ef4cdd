using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace RecoStream.Worker;

/// <summary>
/// A diagnostic for memory benchmarks, on with the environment variable <c>RECOSTREAM_GC_TRACE=1</c>: every second a line
/// on standard error with the process's resident memory (and, on Linux, its anonymous and file-backed parts) and the
/// collector's figures after its last collection
/// (committed, heap, fragmentation, promoted, large object heap), and at exit the managed memory allocated by type, from
/// the runtime's allocation ticks (one about every 100 KB allocated, so the figures are samples, good to a few hundred
/// KB). It costs an event per tick: for measuring, not for production. Once the store is open, each line also gives
/// RocksDB's memtables, table readers and block caches (<see cref="Storage.CheckpointStore.NativeMemory"/>).
/// </summary>
internal sealed class GcTrace : EventListener
{
    public const string Variable = "RECOSTREAM_GC_TRACE";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly Dictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly Timer _timer;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private static Storage.CheckpointStore? _store;

    private GcTrace() => _timer = new Timer(_ => WriteLine(Sample()), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

    /// <summary>The trace when the environment asks for it, else null.</summary>
    public static GcTrace? FromEnvironment() => Environment.GetEnvironmentVariable(Variable) == "1" ? new GcTrace() : null;

    /// <summary>The store whose memory the lines give, once open (the trace reads it on its timer's thread).</summary>
    public static void Watch(Storage.CheckpointStore store) => Volatile.Write(ref _store, store);

    /// <summary>Writes the allocations by type (the 25 largest) and stops the trace.</summary>
    public void Finish()
    {
        _timer.Dispose();
        WriteLine(Sample());
        lock (_gate)
        {
            foreach (var (type, bytes) in _bytes.OrderByDescending(t => t.Value).Take(25))
            {
                WriteLine(string.Create(CultureInfo.InvariantCulture, $"gc-trace allocated {bytes / 1048576.0,9:F1} MiB {type}"));
            }
        }

        Dispose();
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || eventData.PayloadNames is null ||
            eventData.Payload is null)
        {
            return;
        }

        var names = eventData.PayloadNames;
        var type = eventData.Payload[names.IndexOf("TypeName")] as string ?? "?";
        var large = Convert.ToInt32(eventData.Payload[names.IndexOf("AllocationKind")], CultureInfo.InvariantCulture) == 1;
        var amount = Convert.ToInt64(eventData.Payload[names.IndexOf("AllocationAmount64")], CultureInfo.InvariantCulture);
        var key = large ? type + " (large object heap)" : type;
        lock (_gate)
        {
            _bytes[key] = _bytes.GetValueOrDefault(key) + amount;
        }
    }

    private string Sample()
    {
        const int MiB = 1 << 20;
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        using var process = Process.GetCurrentProcess();
        return string.Create(CultureInfo.InvariantCulture,
            $"gc-trace t={_clock.Elapsed.TotalSeconds:F1}s rss_mib={process.WorkingSet64 / MiB}{RssParts()} committed_mib={info.TotalCommittedBytes / MiB} " +
            $"heap_mib={info.HeapSizeBytes / MiB} fragmented_mib={info.FragmentedBytes / MiB} promoted_mib={info.PromotedBytes / MiB} " +
            $"loh_mib={info.GenerationInfo[3].SizeAfterBytes / MiB} collections={GC.CollectionCount(0)}{StoreParts()}");
    }

    /// <summary>` memtables_mib=N table_readers_mib=N block_cache_mib=N` once a store is open; empty before.</summary>
    private static string StoreParts()
    {
        if (Volatile.Read(ref _store) is not { } store)
        {
            return "";
        }

        const double MiB = 1 << 20;
        var (memtables, readers, cache) = store.NativeMemory();
        return string.Create(CultureInfo.InvariantCulture,
            $" memtables_mib={memtables / MiB:F1} table_readers_mib={readers / MiB:F1} block_cache_mib={cache / MiB:F1}");
    }

    /// <summary>` anon_mib=N file_mib=N` from /proc/self/status (anonymous memory, and mapped files such as the code); empty elsewhere.</summary>
    private static string RssParts() =>
        ProcessStatus.Kilobytes("RssAnon", "RssFile") is [var anon, var file]
            ? string.Create(CultureInfo.InvariantCulture, $" anon_mib={anon / 1024} file_mib={file / 1024}")
            : "";

    private static void WriteLine(string line) => Console.Error.WriteLine(line);
}

namespace RecoStream.Core.Routing;

/// <summary>
/// Compacting collections of the managed heap after checkpoint writes, within a budget of time: one is skipped when the
/// last ended less than <see cref="PauseBudget"/> times its own pause ago, so these pauses take at most 1 in
/// <see cref="PauseBudget"/> of the time however often checkpoints come. While a large model grows, the large object heap
/// holds the arrays that growing left behind and the older generation the objects that outlived a few collections; the
/// collector keeps that memory committed until it runs a full collection of its own. On the 1,000,000-user replay with a
/// checkpoint every 50,000 events its commitment went from 26 to 63 MiB over the first half (about 25 MiB of it live)
/// and stayed so through the long write that ends that half, the replay's peak (docs/benchmarks.md). A write's own
/// working memory (its chunk, the rows it read) is free by the time it ends.
/// </summary>
/// <param name="time">The clock the pauses and the time between compactions are measured with.</param>
/// <param name="collect">The compaction (tests pass their own): by default a blocking, compacting, decommitting collection.</param>
public sealed class HeapCompactions(TimeProvider time, Action? collect = null)
{
    /// <summary>A compaction takes at most 1 in this many of the time since the one before ended.</summary>
    public const int PauseBudget = 50;

    private readonly Action _collect = collect ?? (static () => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true));
    private long _endedAt;
    private TimeSpan _pause;

    /// <summary>Compactions so far.</summary>
    public int Count { get; private set; }

    /// <summary>The time they paused the process, together.</summary>
    public TimeSpan Paused { get; private set; }

    /// <summary>After a write: compacts, unless the last compaction is too recent for the budget. True when it compacted.</summary>
    public bool AfterWrite()
    {
        var start = time.GetTimestamp();
        if (Count > 0 && time.GetElapsedTime(_endedAt, start) < _pause * PauseBudget)
        {
            return false;
        }

        _collect();
        _endedAt = time.GetTimestamp();
        _pause = time.GetElapsedTime(start, _endedAt);
        Paused += _pause;
        Count++;
        return true;
    }
}

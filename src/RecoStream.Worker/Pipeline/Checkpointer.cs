using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using RecoStream.Core.Routing;
using RecoStream.Storage;
using RecoStream.Worker.Metrics;
using RecoStream.Worker.Serving;

namespace RecoStream.Worker.Pipeline;

/// <summary>
/// Writes the model state to the store as one checkpoint. The pipeline pauses only to take the snapshot of changes
/// (<see cref="ModelState.SnapshotChanges"/>: the changed rows are marked, not copied); encoding and the durable write
/// then run on a background thread while ingest goes on, unless the caller needs the checkpoint durable before it
/// continues (a flush, a snapshot, the end of the run). At most one write is in flight: the next checkpoint waits for it.
/// </summary>
internal sealed partial class Checkpointer
{
    private readonly CheckpointStore _store;
    private readonly ModelState _state;
    private readonly WorkerMetrics _metrics;
    private readonly WorkerStatus _status;
    private readonly TimeProvider _time;
    private readonly ILogger<Checkpointer> _logger;
    private readonly Queue<Copy> _unwritten = new();
    private Task _inFlight = Task.CompletedTask;
    private int _writtenCount;

    public Checkpointer(CheckpointStore store, ModelState state, WorkerMetrics metrics, WorkerStatus status, TimeProvider time, ILogger<Checkpointer> logger)
    {
        _store = store;
        _state = state;
        _metrics = metrics;
        _status = status;
        _time = time;
        _logger = logger;
        Compactions = new HeapCompactions(time);
    }

    /// <summary>The compacting collections after writes (<see cref="HeapCompactions"/>).</summary>
    public HeapCompactions Compactions { get; }

    /// <summary>Trims of the C allocator's arenas after writes (<see cref="NativeHeap.Trim"/>; none where the C library has none).</summary>
    public int NativeTrims { get; private set; }

    /// <summary>
    /// Takes a snapshot of the state and writes it; on the pipeline thread, so the state is quiescent while the snapshot
    /// is taken (its changed rows are then read as they were, copy on write). With <paramref name="durable"/> it returns
    /// once the checkpoint is on disk; otherwise once the snapshot is taken. A snapshot holds only the rows changed since
    /// the previous one, so one whose write failed is kept and written (in order) before any newer one: nothing is
    /// skipped. The write is followed by a compacting collection (<see cref="Compactions"/>) unless it is the run's
    /// <paramref name="last"/>, which one precedes and nothing follows.
    /// </summary>
    /// <exception cref="Exception">This write, or an earlier background one, failed.</exception>
    public void Write(string trigger, bool durable, bool last = false)
    {
        AwaitInFlight();
        WriteUnwritten();
        var start = _time.GetTimestamp();
        // The changed rows are not copied: the write reads them from the tables, and the pipeline copies a row aside only
        // when it changes one the write has not released yet (a million changed rows are about 270 MB at rank 32).
        var snapshot = _state.SnapshotChanges();
        var generation = _store.ReserveGeneration();
        var pause = _time.GetElapsedTime(start);
        _metrics.CheckpointPause.Observe(pause.TotalSeconds);
        _unwritten.Enqueue(new Copy(snapshot, generation, trigger, start, pause, last));
        if (durable)
        {
            // A failed copy is kept to be written later: until then its rows are copied aside before they change.
            WriteUnwritten();
            return;
        }

        _inFlight = Task.Run(WriteUnwritten);
        // After the task has ended (not from inside it): whoever is woken must see the write as no longer in flight.
        _inFlight.ContinueWith(_ => Written?.Invoke(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Checkpoints written (by this process).</summary>
    public int WrittenCount => Volatile.Read(ref _writtenCount);

    /// <summary>Called when a background write has ended (written or failed), on the thread that wrote it.</summary>
    public Action? Written { get; set; }

    /// <summary>True while a checkpoint is being written in the background.</summary>
    public bool WriteInFlight => !_inFlight.IsCompleted;

    /// <summary>
    /// Every copy taken is on disk: no write in flight and none failed (a failed copy stays to be written again, whoever
    /// saw its failure).
    /// </summary>
    public bool AllWritten => _inFlight.IsCompleted && _unwritten.Count == 0;

    /// <summary>Waits for the background write, if any; rethrows its failure.</summary>
    public void AwaitInFlight()
    {
        var inFlight = _inFlight;
        _inFlight = Task.CompletedTask;
        try
        {
            inFlight.GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            ExceptionDispatchInfo.Capture(ex).Throw();
        }
    }

    /// <summary>Writes the copies not yet written, oldest first; a failure leaves the failed copy first in line.</summary>
    private void WriteUnwritten()
    {
        while (_unwritten.TryPeek(out var copy))
        {
            WriteCopy(copy);
            _unwritten.Dequeue();
            copy.Snapshot.Release();
        }
    }

    private void WriteCopy(Copy copy)
    {
        long bytes;
        try
        {
            bytes = _store.Write(copy.Snapshot, _time.GetUtcNow().ToUnixTimeMilliseconds(), copy.Generation);
        }
        catch (Exception ex)
        {
            _metrics.CheckpointFailures.Inc();
            _status.StorageFailed(ex.Message);
            LogFailed(_logger, ex, _store.Path);
            throw;
        }

        // The write's own working memory is free now: the collector's growth since the last compaction goes back, and the
        // C allocator's free memory inside its arenas.
        if (!copy.Last)
        {
            Compactions.AfterWrite();
        }

        if (NativeHeap.Trim())
        {
            NativeTrims++;
        }

        var elapsed = _time.GetElapsedTime(copy.Start);
        _status.StorageRecovered();
        _metrics.Checkpoints.Inc();
        Interlocked.Increment(ref _writtenCount);
        _metrics.CheckpointDuration.Observe(elapsed.TotalSeconds);
        _metrics.CheckpointSize.Set(bytes);
        _metrics.LastCheckpoint.Set(_time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
        // A few sums once per checkpoint.
        var (copiedAside, mostHeld) = (copy.Snapshot.CopiedAside(), copy.Snapshot.MostHeldAside());
        LogWritten(_logger, copy.Trigger, copy.Generation, copy.Snapshot.EventsApplied, copy.Snapshot.LinesConsumed, bytes, elapsed.TotalMilliseconds,
            copy.Pause.TotalMilliseconds, copiedAside, mostHeld);
    }

    private sealed record Copy(ModelSnapshot Snapshot, long Generation, string Trigger, long Start, TimeSpan Pause, bool Last);

    [LoggerMessage(EventId = 400, Level = LogLevel.Information,
        Message = "Checkpoint ({Trigger}): {Events} events applied, {Lines} lines consumed, {Bytes} bytes of changes in {Milliseconds:F1} ms " +
                  "(ingest paused {PauseMilliseconds:F1} ms to copy them; {CopiedAside} rows copied aside as they changed during the write, " +
                  "at most {MostHeld} held at once), generation {Generation}")]
    private static partial void LogWritten(ILogger logger, string trigger, long generation, long events, long lines, long bytes, double milliseconds,
        double pauseMilliseconds, int copiedAside, int mostHeld);

    [LoggerMessage(EventId = 401, Level = LogLevel.Critical, Message = "Checkpoint to {Path} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string path);
}

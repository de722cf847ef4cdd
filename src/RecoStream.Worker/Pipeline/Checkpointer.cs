using Microsoft.Extensions.Logging;
using RecoStream.Core.Routing;
using RecoStream.Storage;
using RecoStream.Worker.Metrics;

namespace RecoStream.Worker.Pipeline;

/// <summary>Writes the model state to the store as one checkpoint and records how long it took.</summary>
internal sealed partial class Checkpointer
{
    private readonly CheckpointStore _store;
    private readonly ModelState _state;
    private readonly WorkerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<Checkpointer> _logger;

    public Checkpointer(CheckpointStore store, ModelState state, WorkerMetrics metrics, TimeProvider time, ILogger<Checkpointer> logger)
    {
        _store = store;
        _state = state;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>Snapshots and writes the state; called on the pipeline thread, so the state is quiescent.</summary>
    public void Write(string trigger)
    {
        var start = _time.GetTimestamp();
        long bytes;
        try
        {
            var snapshot = _state.Snapshot();
            bytes = _store.Write(snapshot, _time.GetUtcNow().ToUnixTimeMilliseconds());
        }
        catch (Exception ex)
        {
            _metrics.CheckpointFailures.Inc();
            LogFailed(_logger, ex, _store.Path);
            throw;
        }

        var elapsed = _time.GetElapsedTime(start);
        _metrics.Checkpoints.Inc();
        _metrics.CheckpointDuration.Observe(elapsed.TotalSeconds);
        _metrics.CheckpointSize.Set(bytes);
        _metrics.LastCheckpoint.Set(_time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
        LogWritten(_logger, trigger, _state.EventsApplied, _state.LinesConsumed, bytes, elapsed.TotalMilliseconds);
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information,
        Message = "Checkpoint ({Trigger}): {Events} events applied, {Lines} lines consumed, {Bytes} bytes in {Milliseconds:F1} ms")]
    private static partial void LogWritten(ILogger logger, string trigger, long events, long lines, long bytes, double milliseconds);

    [LoggerMessage(EventId = 401, Level = LogLevel.Critical, Message = "Checkpoint to {Path} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string path);
}

using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RecoStream.Core.Evaluation;
using RecoStream.Core.Events;
using RecoStream.Core.Learners;
using RecoStream.Core.Ranking;
using RecoStream.Core.Routing;
using RecoStream.Storage;
using RecoStream.Worker.Configuration;
using RecoStream.Worker.Metrics;
using RecoStream.Worker.Serving;
using RecoStream.Worker.Sources;

namespace RecoStream.Worker.Pipeline;

/// <summary>
/// The end of the pipeline: counts what happened to each line, answers requests to the line's origin, logs
/// rejections and triggers a checkpoint every N applied events. Runs on the pipeline's thread, in input order,
/// so an answer reflects every line its origin sent before it.
/// </summary>
internal sealed partial class OutcomeHandler : IDisposable
{
    /// <summary>Most recommend requests scored in one pass over the items.</summary>
    public const int MaxRecommendRun = 16;

    private readonly Recommender _recommender;
    private readonly PendingLines _pending;
    private readonly Dictionary<StreamItem, Recommendation> _prepared = new(ReferenceEqualityComparer.Instance);
    private readonly List<StreamItem> _run = [];
    private (IOnlineLearner? Learner, long Events, long Changes) _preparedFor;
    private readonly ModelState _state;
    private readonly ResponseFormatter _format = new();
    private readonly Checkpointer _checkpointer;
    private readonly RejectionLog _rejections;
    private readonly WorkerMetrics _metrics;
    private readonly HistogramBatch _absoluteErrors = new(WorkerMetrics.AbsoluteErrorBuckets);
    private readonly Action<double, long> _observeAbsoluteError;
    private readonly PipelineCounters _counters;
    private readonly int _checkpointEvery;
    private static readonly TimeSpan RetryStorageAfter = TimeSpan.FromSeconds(2);
    private readonly StorageOptions _storage;
    private readonly WorkerStatus _status;
    private readonly CancellationToken _stopping;
    private readonly CheckpointStore _store;
    private readonly TimeSpan _checkpointInterval;
    private readonly bool _durableFlush;
    private long _lastCheckpointAt;
    private bool _changed;
    private readonly ILogger<OutcomeHandler> _logger;
    private readonly byte[] _token;
    private readonly TimeProvider _time;
    private int _sinceCheckpoint;
    private readonly WaitingFlushes _flushes = new();
    private LineOrigin? _receivedFrom;
    private long _receivedCount;
    private long _arrivedAt;
    private long _arrivedCount;

    public OutcomeHandler(Recommender recommender, PendingLines pending, ModelState state, Checkpointer checkpointer, RejectionLog rejections,
        WorkerMetrics metrics, PipelineCounters counters, StorageOptions storage, SecurityOptions security, TimeProvider time,
        CheckpointStore store, WorkerStatus status, IHostApplicationLifetime lifetime,
        ILogger<OutcomeHandler> logger)
    {
        _recommender = recommender;
        _pending = pending;
        _state = state;
        _checkpointer = checkpointer;
        _rejections = rejections;
        _metrics = metrics;
        _counters = counters;
        _checkpointEvery = storage.CheckpointEveryEvents;
        _storage = storage;
        _store = store;
        _status = status;
        _stopping = lifetime.ApplicationStopping;
        _logger = logger;
        _checkpointInterval = TimeSpan.FromSeconds(storage.CheckpointEverySeconds);
        _durableFlush = storage.DurableFlush;
        _token = Encoding.UTF8.GetBytes(security.Token);
        _time = time;
        _lastCheckpointAt = time.GetTimestamp();
        _observeAbsoluteError = (value, times) => _metrics.PrequentialAbsoluteError.Observe(value, times);
    }

    public void Handle(StreamItem item)
    {
        if (_prepared.Count > 0 && !IsRecommend(item))
        {
            // Answers prepared for a run of recommend requests serve only that run: anything else may change the model.
            _prepared.Clear();
        }

        if (item.Kind == StreamItemKind.WindowClosed)
        {
            // Not a line: the window stage closed a window and the route has trained the windowed-batch learners on it.
            _metrics.WindowClosed(item.Window!.Trigger).Inc();
            if (item.Window.Trigger == WindowTrigger.Quiet && _sinceCheckpoint > 0 && _checkpointInterval > TimeSpan.Zero)
            {
                // The stream went quiet: do not leave what it taught waiting for the next event to be checkpointed.
                Checkpoint("stream quiet", durable: false);
            }

            return;
        }

        _counters.AddLine();
        var origin = item.Origin as LineOrigin;
        if (origin is { FlushWaiting: true } && (item.Kind == StreamItemKind.Request || item is { Kind: StreamItemKind.Rejected, WasRequest: true }))
        {
            // An origin's answers go out in the order of its lines: the flush answer it waits for comes first.
            AnswerFlushesNow();
        }

        _changed |= item.Kind is StreamItemKind.Event or StreamItemKind.Rejected;
        if (origin is ReplayOrigin)
        {
            _changed = true;
            // The position a checkpoint stores: a resumed replay starts after this line.
            _state.PositionLine = item.LineNumber;
        }

        switch (item.Kind)
        {
            case StreamItemKind.Event:
                CountReceived(origin);
                if (origin is not null)
                {
                    origin.Accepted++;
                }

                if (!double.IsNaN(item.Prediction) && _state.Learner.Objective == LearnerObjective.Regression)
                {
                    AddAbsoluteError(Math.Abs(item.Prediction - item.Label));
                }

                if (item.ArrivedAt != 0)
                {
                    CountArrival(item.ArrivedAt);
                }

                _counters.AddApplied();
                // Checkpoints do not overlap: one that falls due while the previous is still being written in the
                // background waits until that write is done (checked again at each event) instead of holding up ingest.
                if (++_sinceCheckpoint >= _checkpointEvery)
                {
                    if (!_checkpointer.WriteInFlight)
                    {
                        Checkpoint("every " + _checkpointEvery + " events", durable: false);
                    }
                }
                else if (_checkpointInterval > TimeSpan.Zero && (_sinceCheckpoint & 63) == 0 && !_checkpointer.WriteInFlight
                         && _time.GetElapsedTime(_lastCheckpointAt) >= _checkpointInterval)
                {
                    Checkpoint("every " + _checkpointInterval.TotalSeconds + " s", durable: false);
                }

                break;
            case StreamItemKind.Rejected:
                _metrics.Rejected(item.Reason).Inc();
                _counters.AddRejected();
                _rejections.Log(item);
                if (origin is not null)
                {
                    origin.Rejected++;
                }

                if (item.WasRequest)
                {
                    origin?.Reply(_format.Error(item.Message ?? "bad request", item.LineNumber), isError: true);
                }
                else
                {
                    CountReceived(origin);
                }

                break;
            case StreamItemKind.Request:
                if (!Answer(item, origin))
                {
                    return; // a flush waiting for a checkpoint: its line is done when it is answered
                }

                break;
            case StreamItemKind.Blank:
                break;
        }

        origin?.LineDone();
    }

    /// <summary>This run's arrival-to-update latencies.</summary>
    public LatencyRecorder Latency { get; } = new();

    /// <summary>
    /// The pipeline has handled every line of one batch from the queue: publishes the counts and latencies gathered over
    /// it. A source's batch is the lines of one read, which share their arrival time, so the clock is read and the
    /// latency histogram observed once per batch (the latency of a batch's events is taken when its last one is applied)
    /// and each counter incremented once, not per event.
    /// </summary>
    public void BatchDone()
    {
        PublishReceived();
        PublishArrivals();
        _absoluteErrors.Drain(_observeAbsoluteError);
        if (_flushes.Any)
        {
            ServeFlushes();
        }
    }

    /// <summary>
    /// The pipeline has nothing to do (the queue stayed empty while it spun): answers the flushes whose checkpoint is
    /// written and starts the one the later flushes wait for. True when it did, so the caller looks at the queue again
    /// before it sleeps; false when there is nothing to do until a line comes or the write in flight ends (which wakes
    /// the pipeline thread: <see cref="Checkpointer.Written"/>), so ingest never waits for that write.
    /// </summary>
    public bool InputIdle()
    {
        if (!_flushes.Any || _checkpointer.WriteInFlight)
        {
            return false;
        }

        ServeFlushes();
        return true;
    }

    /// <summary>
    /// Group commit of durable flushes, without stopping ingest: a flush applied after events gets its answer (with its
    /// origin's counts at the flush) once a checkpoint holding its lines is on disk. Its checkpoint is copied at the end
    /// of the batch and written in the background like a periodic one, while the pipeline goes on; flushes that come
    /// while a write is in flight share the next checkpoint, so many producers flushing at about the same time cost a few
    /// checkpoints (and syncs of the write-ahead log), not one each. The answers go out from the pipeline thread at the
    /// end of the first batch after the write (or, when the input pauses, as soon as it is done: the write's end wakes the
    /// pipeline thread); a request of an origin whose flush waits gets its answer after the flush's, by a durable
    /// checkpoint first.
    /// </summary>
    private void ServeFlushes()
    {
        if (_checkpointer.WriteInFlight)
        {
            return;
        }

        if (!SettleWrite())
        {
            // The write failed: it is retried, durably, before anything is answered.
            AnswerFlushesNow();
            return;
        }

        if (_flushes.AnyUncovered)
        {
            Checkpoint("flush", durable: false);
        }
    }

    /// <summary>
    /// Waits for the write in flight, if any, and answers the flushes it covers; false, answering none, when a copy failed
    /// to be written (it is written again by the next checkpoint).
    /// </summary>
    private bool SettleWrite()
    {
        if (!_flushes.AnyOnWrite)
        {
            return true;
        }

        try
        {
            _checkpointer.AwaitInFlight();
        }
        catch (Exception ex) when (ex is RocksDbSharp.RocksDbException or IOException)
        {
            return false;
        }

        if (!_checkpointer.AllWritten)
        {
            return false;
        }

        _flushes.Answer(all: false);
        return true;
    }

    /// <summary>Answers every waiting flush before the pipeline goes on: after a durable checkpoint if any still needs one.</summary>
    private void AnswerFlushesNow()
    {
        if (_flushes.AnyUncovered || !SettleWrite())
        {
            Checkpoint("flush", durable: true);
        }
    }

    /// <summary>Gathers a prediction's absolute error for the histogram, published once per batch (see <see cref="BatchDone"/>).</summary>
    private void AddAbsoluteError(double error)
    {
        if (double.IsFinite(error))
        {
            _absoluteErrors.Add(error);
        }
        else
        {
            _metrics.PrequentialAbsoluteError.Observe(error);
        }
    }

    private void CountReceived(LineOrigin? origin)
    {
        if (!ReferenceEquals(origin, _receivedFrom))
        {
            PublishReceived();
            _receivedFrom = origin;
        }

        _receivedCount++;
    }

    private void PublishReceived()
    {
        if (_receivedCount > 0)
        {
            _receivedFrom?.Received.Inc(_receivedCount);
            _receivedCount = 0;
        }
    }

    private void CountArrival(long arrivedAt)
    {
        if (arrivedAt != _arrivedAt)
        {
            PublishArrivals();
            _arrivedAt = arrivedAt;
        }

        _arrivedCount++;
    }

    private void PublishArrivals()
    {
        if (_arrivedCount > 0)
        {
            var latency = _time.GetElapsedTime(_arrivedAt).TotalSeconds;
            _metrics.PipelineLatency.Observe(latency, _arrivedCount);
            Latency.Record(latency, _arrivedCount);
            _arrivedCount = 0;
        }
    }

    /// <summary>Writes the checkpoint that ends a run (end of input or shutdown).</summary>
    public void WriteFinalCheckpoint(string trigger)
    {
        BatchDone();
        if (_changed || _flushes.Any)
        {
            // The run's last allocations follow (the write of everything changed since the last checkpoint, often the
            // largest), on top of a heap the collector has grown beyond what is live: a compacting collection that returns
            // the free memory first keeps the run's peak down (the 1,000,000-user replay with one checkpoint at the end
            // peaked at 551-557 instead of 585-601 MiB; docs/benchmarks.md). It pauses the process once, for a time that
            // grows with the live objects: 150-180 ms for that replay's 118 MiB of them.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            Checkpoint(trigger, durable: true, last: true);
        }
        else
        {
            LogNothingToCheckpoint(_logger, trigger);
            _checkpointer.AwaitInFlight();
        }
    }

    /// <summary>Checkpoints what is applied, then copies the store to the snapshot folder under the request's name.</summary>
    private void TakeSnapshot(StreamItem item, LineOrigin? origin)
    {
        var directory = Path.GetFullPath(Path.Combine(_storage.SnapshotPath, item.Request!.Name));
        if (Directory.Exists(directory) || File.Exists(directory))
        {
            origin?.Reply(_format.Error($"snapshot '{item.Request.Name}' already exists at {directory}", item.LineNumber), isError: true);
            return;
        }

        EnsureDurable("snapshot");

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(directory)!);
            _store.SaveCopy(directory);
        }
        catch (Exception ex) when (ex is RocksDbSharp.RocksDbException or IOException or UnauthorizedAccessException)
        {
            origin?.Reply(_format.Error($"snapshot '{item.Request.Name}' failed: {ex.Message}", item.LineNumber), isError: true);
            return;
        }

        origin?.Reply(_format.Snapshot(directory, _state.EventsApplied), isError: false);
    }

    /// <summary>
    /// Returns once everything applied so far is in a checkpoint on disk: writes one when events were applied since the
    /// last, else waits for the last one if it is still being written in the background (and redoes it if that failed).
    /// </summary>
    private void EnsureDurable(string trigger)
    {
        if (_sinceCheckpoint > 0)
        {
            Checkpoint(trigger, durable: true);
            return;
        }

        try
        {
            _checkpointer.AwaitInFlight();
        }
        catch (Exception ex) when (ex is RocksDbSharp.RocksDbException or IOException)
        {
            Checkpoint(trigger, durable: true);
        }
    }

    /// <summary>
    /// Writes a checkpoint. When the store cannot be written (disk full, I/O error) the pipeline stops here: /readyz turns
    /// unhealthy, no further line is taken (the bounded queue then holds producers back) and no flush is answered, and the
    /// write is retried every few seconds until it succeeds. At shutdown it gives up: the last durable checkpoint stands,
    /// and it holds everything a flush acknowledged.
    /// </summary>
    private void Checkpoint(string trigger, bool durable, bool last = false)
    {
        // The flushes the write in flight covers are answered once it is done (when it failed, this checkpoint writes its
        // copy again first and answers them when durable).
        durable |= !SettleWrite();
        while (true)
        {
            try
            {
                _checkpointer.Write(trigger, durable, last);
                break;
            }
            catch (Exception ex) when (ex is RocksDbSharp.RocksDbException or IOException && !_stopping.IsCancellationRequested)
            {
                // From here on the pipeline waits for a write that is known to have succeeded.
                durable = true;
                _status.StorageFailed(ex.Message);
                _stopping.WaitHandle.WaitOne(RetryStorageAfter);
            }
        }

        _sinceCheckpoint = 0;
        _changed = false;
        _lastCheckpointAt = _time.GetTimestamp();
        // This copy holds every line so far, so the flushes waiting for one are answered when it is on disk.
        _flushes.Covered();
        if (durable)
        {
            _flushes.Answer(all: true);
        }
    }

    [LoggerMessage(EventId = 402, Level = LogLevel.Information,
        Message = "No checkpoint at {Trigger}: nothing changed since the last one")]
    private static partial void LogNothingToCheckpoint(ILogger logger, string trigger);

    public void Dispose() => _format.Dispose();

    private static bool IsRecommend(StreamItem item) => item is { Kind: StreamItemKind.Request, Request.Op: RequestOp.Recommend };

    /// <summary>
    /// The answer to a recommend request. When the lines right after it (in this batch and the batches already queued) are
    /// recommend requests too, they are scored with it in one pass over the items and their answers kept until they
    /// arrive here: nothing can change the model in between, as only those requests pass through the pipeline, and the
    /// answers are dropped if anything else arrives, the model applied an event or a settings change, or the serving
    /// learner changed. Each answer is exactly what the request would get on its own.
    /// </summary>
    private Recommendation Recommend(StreamItem item)
    {
        var current = (_state.Learner, _state.EventsApplied, _state.ChangesApplied);
        if (_prepared.Remove(item, out var prepared) && _preparedFor == current)
        {
            return prepared;
        }

        _prepared.Clear();
        _run.Clear();
        _run.Add(item);
        _pending.Upcoming(_run, MaxRecommendRun, IsRecommend);
        if (_run.Count == 1)
        {
            return _recommender.Recommend(item.Request!.User, item.Request.K);
        }

        var answers = _recommender.Recommend(_run.Select(r => (r.Request!.User, r.Request.K)).ToList());
        for (var r = 1; r < _run.Count; r++)
        {
            _prepared[_run[r]] = answers[r];
        }

        _preparedFor = current;
        return answers[0];
    }

    /// <summary>Answers a request; false for a flush whose answer waits for a checkpoint (<see cref="ServeFlushes"/>).</summary>
    private bool Answer(StreamItem item, LineOrigin? origin)
    {
        // What the lines before a request did is visible on /metrics by the time its answer arrives.
        BatchDone();
        var request = item.Request!;
        _metrics.Request(request.Op).Inc();
        _counters.AddRequest();
        switch (request.Op)
        {
            case RequestOp.Recommend:
                var start = _time.GetTimestamp();
                var recommendation = Recommend(item);
                origin?.Reply(_format.Recommendation(recommendation), isError: false);
                _metrics.RecommendDuration.Observe(_time.GetElapsedTime(start).TotalSeconds);
                break;
            case RequestOp.Predict:
                origin?.Reply(_format.Prediction(request.User, request.Item, _state.Learner.ScoreItem(request.User, request.Item)), isError: false);
                break;
            case RequestOp.Flush:
                // Every earlier line of this origin has passed through the pipeline already: they are applied. With
                // DurableFlush they are also made durable first: a checkpoint answers every flush waiting for it.
                if (_durableFlush && origin is not null && (_sinceCheckpoint > 0 || _flushes.Any))
                {
                    // With no event since, the last copy (whose write its flushes wait for) holds this flush's lines too.
                    _flushes.Add(origin, _format.Flushed(origin.Accepted, origin.Rejected), covered: _sinceCheckpoint == 0 && !_flushes.AnyUncovered);
                    return false;
                }

                if (_durableFlush)
                {
                    EnsureDurable("flush");
                }

                origin?.Reply(_format.Flushed(origin.Accepted, origin.Rejected), isError: false);
                break;
            case RequestOp.Snapshot:
                TakeSnapshot(item, origin);
                break;
            case RequestOp.Auth:
                var valid = _token.Length == 0 || CryptographicOperations.FixedTimeEquals(_token, Encoding.UTF8.GetBytes(request.Token));
                origin?.Reply(valid ? _format.Ok() : _format.Error("invalid token", item.LineNumber), isError: !valid);
                break;
        }

        return true;
    }
}

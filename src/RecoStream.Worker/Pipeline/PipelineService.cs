using System.Reactive.Disposables;
using System.Reactive.Linq;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RecoStream.Core.Events;
using RecoStream.Core.Learners;
using RecoStream.Core.Routing;
using RecoStream.Worker.Serving;
using RecoStream.Worker.Sources;

namespace RecoStream.Worker.Pipeline;

/// <summary>
/// Runs the Rx pipeline over the ingest queue until the queue is closed and drained (every source done, or
/// SIGTERM, which closes the queue), then writes the final checkpoint and stops the host.
/// </summary>
internal sealed partial class PipelineService : BackgroundService
{
    private readonly IngestQueue _queue;
    private readonly PendingLines _pending;
    private readonly StreamPipeline _pipeline;
    private readonly OutcomeHandler _handler;
    private readonly ModelState _state;
    private readonly PipelineCounters _counters;
    private readonly WorkerStatus _status;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _time;
    private readonly ILogger<PipelineService> _logger;
    private readonly ReplayReport? _report;
    private readonly Checkpointer _checkpointer;

    public PipelineService(IngestQueue queue, PendingLines pending, StreamPipeline pipeline, OutcomeHandler handler, ModelState state,
        PipelineCounters counters, WorkerStatus status, IHostApplicationLifetime lifetime, TimeProvider time,
        ILogger<PipelineService> logger, Checkpointer checkpointer, ReplayReport? report = null)
    {
        // A background checkpoint write that flushes wait for wakes the pipeline thread when it ends, so that they are
        // answered even if no line comes meanwhile (see OutcomeHandler.InputIdle).
        checkpointer.Written = queue.WakeReader;
        _queue = queue;
        _pending = pending;
        _pipeline = pipeline;
        _handler = handler;
        _state = state;
        _counters = counters;
        _status = status;
        _lifetime = lifetime;
        _time = time;
        _logger = logger;
        _report = report;
        _checkpointer = checkpointer;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // SIGTERM: stop taking lines; what is already queued is still applied before the final checkpoint.
        using var stopping = stoppingToken.Register(_queue.Close);
        if (NativeHeap.Applied.Count > 0 && _logger.IsEnabled(LogLevel.Information))
        {
            var settings = NativeHeap.Describe();
            LogNativeHeap(_logger, settings);
        }

        var start = _time.GetTimestamp();
        var before = _state.Learners.Select(l => l.Evaluator.Snapshot()).ToArray();

        // The pipeline runs on a thread of its own, fed by blocking reads of the queue: no thread-pool hop between batches.
        var lines = Observable.Create<StreamItem>(observer =>
        {
            var stop = new CancellationDisposable();
            var thread = new Thread(() =>
            {
                try
                {
                    // When the input pauses, flushes waiting for a checkpoint get it (and their answers) at once.
                    foreach (var read in _queue.ReadAll(_handler.InputIdle))
                    {
                        var batch = read;
                        do
                        {
                            for (var i = 0; i < batch.Length; i++)
                            {
                                _pending.At(batch, i + 1);
                                observer.OnNext(batch[i]);
                            }

                            // The chain is synchronous: every line of the batch has been handled, so its items can
                            // be parsed into again.
                            _handler.BatchDone();
                            _queue.Recycled.Return(batch);
                            if (stop.IsDisposed)
                            {
                                return;
                            }

                            // Batches the end of the pipeline took from the queue while looking ahead come first.
                        }
                        while (_pending.TryTakeEarlyBatch(out batch));
                    }

                    observer.OnCompleted();
                }
                catch (Exception ex)
                {
                    observer.OnError(ex);
                }
            })
            { IsBackground = true, Name = "recostream-pipeline" };
            thread.Start();
            return stop;
        });

        try
        {
            _status.PipelineStarted();
            await _pipeline.Build(lines).ForEachAsync(_handler.Handle, CancellationToken.None).ConfigureAwait(false);
            _status.PipelineStopped();
            _handler.WriteFinalCheckpoint(_lifetime.ApplicationStopping.IsCancellationRequested ? "shutdown" : "end of input");

            var seconds = _time.GetElapsedTime(start).TotalSeconds;
            var learners = _state.Learners.Select((l, i) => LearnerRun.Between(l.Name, l.Learner is WindowedBatchLearner ? "windowed-batch" : "incremental", before[i], l.Evaluator.Snapshot(), l.Evaluator.Auc.Value())).ToList();
            var result = new RunResult(_counters.Lines, _counters.Applied, _counters.Rejected, _counters.Requests, seconds, learners, _state.Serving.Name)
            {
                LatencyP50Ms = _handler.Latency.QuantileMs(0.5),
                LatencyP99Ms = _handler.Latency.QuantileMs(0.99),
                Checkpoints = _checkpointer.WrittenCount,
                HeapCompactions = (_checkpointer.Compactions.Count, _checkpointer.Compactions.Paused.TotalMilliseconds),
                NativeTrims = _checkpointer.NativeTrims,
            };
            var rate = result.Applied / Math.Max(seconds, 1e-9);
            var quality = string.Join("; ", _state.Learners.Select(QualitySummary.Of));
            LogFinished(_logger, result.Lines, result.Applied, result.Rejected, result.Requests, seconds, rate, result.Serving, quality);
            _report?.Write(result, Console.OpenStandardOutput());
        }
        catch (Exception ex)
        {
            _status.PipelineStopped();
            LogFailed(_logger, ex);
            Environment.ExitCode = 1;
        }
        finally
        {
            _lifetime.StopApplication();
        }
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Information,
        Message = "Run finished: {Lines} lines, {Applied} events applied, {Rejected} rejected, {Requests} requests answered " +
                  "in {Seconds:F1} s ({Rate:F0} events/s); serving {Learner}; prequential since the store began: {Quality}")]
    private static partial void LogFinished(ILogger logger, long lines, long applied, long rejected, long requests,
        double seconds, double rate, string learner, string quality);

    [LoggerMessage(EventId = 501, Level = LogLevel.Critical, Message = "The pipeline failed; the worker stops without a final checkpoint")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 502, Level = LogLevel.Information,
        Message = "C allocator set for RocksDB's memory: {Settings} (an environment variable of the same name overrides its setting)")]
    private static partial void LogNativeHeap(ILogger logger, string settings);
}

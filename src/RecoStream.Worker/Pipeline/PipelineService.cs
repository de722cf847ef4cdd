using System.Reactive.Linq;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RecoStream.Core.Events;
using RecoStream.Core.Routing;
using RecoStream.Worker.Sources;

namespace RecoStream.Worker.Pipeline;

/// <summary>
/// Runs the Rx pipeline over the ingest queue until the queue is closed and drained (end of input, or
/// SIGTERM, which closes the queue), then writes the final checkpoint and stops the host.
/// </summary>
internal sealed partial class PipelineService : BackgroundService
{
    private readonly IngestQueue _queue;
    private readonly StreamPipeline _pipeline;
    private readonly OutcomeHandler _handler;
    private readonly ModelState _state;
    private readonly PipelineCounters _counters;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _time;
    private readonly ILogger<PipelineService> _logger;

    public PipelineService(IngestQueue queue, StreamPipeline pipeline, OutcomeHandler handler, ModelState state,
        PipelineCounters counters, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<PipelineService> logger)
    {
        _queue = queue;
        _pipeline = pipeline;
        _handler = handler;
        _state = state;
        _counters = counters;
        _lifetime = lifetime;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // SIGTERM: stop taking lines; what is already queued is still applied before the final checkpoint.
        using var stopping = stoppingToken.Register(_queue.Close);
        var start = _time.GetTimestamp();

        var lines = Observable.Create<InputLine>(async (observer, _) =>
        {
            await foreach (var line in _queue.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                observer.OnNext(line);
            }

            observer.OnCompleted();
        });

        try
        {
            await _pipeline.Build(lines).ForEachAsync(_handler.Handle, CancellationToken.None).ConfigureAwait(false);
            _handler.WriteFinalCheckpoint(stoppingToken.IsCancellationRequested ? "shutdown" : "end of input");
            var seconds = _time.GetElapsedTime(start).TotalSeconds;
            var rate = _counters.Applied / Math.Max(seconds, 1e-9);
            LogFinished(_logger, _counters.Lines, _counters.Applied, _counters.Rejected, _counters.Requests, seconds, rate, _state.Evaluator.Rmse);
        }
        catch (Exception ex)
        {
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
                  "in {Seconds:F1} s ({Rate:F0} events/s); prequential RMSE {Rmse:F4}")]
    private static partial void LogFinished(ILogger logger, long lines, long applied, long rejected, long requests,
        double seconds, double rate, double rmse);

    [LoggerMessage(EventId = 501, Level = LogLevel.Critical, Message = "The pipeline failed; the worker stops without a final checkpoint")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

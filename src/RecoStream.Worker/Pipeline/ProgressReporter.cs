using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RecoStream.Core.Routing;
using RecoStream.Worker.Configuration;

namespace RecoStream.Worker.Pipeline;

/// <summary>Logs a progress line on stderr every few seconds while lines are flowing.</summary>
internal sealed partial class ProgressReporter : BackgroundService
{
    private readonly PipelineCounters _counters;
    private readonly ModelState _state;
    private readonly DiagnosticsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ProgressReporter> _logger;

    public ProgressReporter(PipelineCounters counters, ModelState state, DiagnosticsOptions options, TimeProvider time,
        ILogger<ProgressReporter> logger)
    {
        _counters = counters;
        _state = state;
        _options = options;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.ProgressIntervalSeconds == 0)
        {
            return;
        }

        var interval = TimeSpan.FromSeconds(_options.ProgressIntervalSeconds);
        using var timer = new PeriodicTimer(interval, _time);
        long lastLines = 0, lastApplied = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var lines = _counters.Lines;
                var applied = _counters.Applied;
                if (lines == lastLines)
                {
                    continue;
                }

                LogProgress(_logger, lines, applied, _counters.Rejected, (applied - lastApplied) / interval.TotalSeconds,
                    _state.Evaluator.Rmse);
                lastLines = lines;
                lastApplied = applied;
            }
        }
        catch (OperationCanceledException)
        {
            // Shutdown.
        }
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Information,
        Message = "Progress: {Lines} lines, {Applied} events applied, {Rejected} rejected, {Rate:F0} events/s, prequential RMSE {Rmse:F4}")]
    private static partial void LogProgress(ILogger logger, long lines, long applied, long rejected, double rate, double rmse);
}

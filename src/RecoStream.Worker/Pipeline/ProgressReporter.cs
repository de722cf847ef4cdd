using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RecoStream.Core.Routing;
using RecoStream.Worker.Configuration;
using RecoStream.Worker.Sources;

namespace RecoStream.Worker.Pipeline;

/// <summary>
/// Logs a progress line on stderr every few seconds while lines are flowing; for a replay also the percentage
/// of the file read and the time left. A replay is silent unless stderr is a terminal or progress was asked for.
/// </summary>
internal sealed partial class ProgressReporter : BackgroundService
{
    private readonly PipelineCounters _counters;
    private readonly ModelState _state;
    private readonly DiagnosticsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ProgressReporter> _logger;
    private readonly ReplaySource? _replay;
    private readonly ReplayOptions? _replayOptions;

    public ProgressReporter(PipelineCounters counters, ModelState state, DiagnosticsOptions options, TimeProvider time,
        ILogger<ProgressReporter> logger, ReplaySource? replay = null, ReplayOptions? replayOptions = null)
    {
        _counters = counters;
        _state = state;
        _options = options;
        _time = time;
        _logger = logger;
        _replay = replay;
        _replayOptions = replayOptions;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var silent = _replayOptions is { ShowProgress: false } && Console.IsErrorRedirected;
        if (_options.ProgressIntervalSeconds == 0 || silent)
        {
            return;
        }

        var interval = TimeSpan.FromSeconds(_options.ProgressIntervalSeconds);
        using var timer = new PeriodicTimer(interval, _time);
        var start = _time.GetTimestamp();
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

                var rate = (applied - lastApplied) / interval.TotalSeconds;
                var quality = QualitySummary.Of(_state.Serving);
                if (_replay is { TotalBytes: > 0 })
                {
                    var fraction = Math.Min(1.0, (double)_replay.BytesRead / _replay.TotalBytes);
                    var elapsed = _time.GetElapsedTime(start).TotalSeconds;
                    double? eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : null;
                    LogReplayProgress(_logger, applied, rate, fraction * 100, eta, quality);
                }
                else
                {
                    LogProgress(_logger, lines, applied, _counters.Rejected, rate, quality);
                }

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
        Message = "Progress: {Lines} lines, {Applied} events applied, {Rejected} rejected, {Rate:F0} events/s, prequential {Quality}")]
    private static partial void LogProgress(ILogger logger, long lines, long applied, long rejected, double rate, string quality);

    [LoggerMessage(EventId = 601, Level = LogLevel.Information,
        Message = "Replay: {Applied} events, {Rate:F0} events/s, {Percent:F1}% read, ETA {Eta:F0} s, prequential {Quality}")]
    private static partial void LogReplayProgress(ILogger logger, long applied, double rate, double percent, double? eta, string quality);
}

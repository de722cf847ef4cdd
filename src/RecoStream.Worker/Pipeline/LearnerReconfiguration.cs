using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using RecoStream.Core.Routing;
using RecoStream.Worker.Configuration;

namespace RecoStream.Worker.Pipeline;

/// <summary>
/// Applies changes of the configuration file to the running worker: the serving learner switches at once, a
/// learner's mode switches on the pipeline thread before the next line, and nothing learned is lost. Other changes
/// (adding, removing, enabling or disabling learners, their options, ports) take a restart; an invalid file is ignored
/// with a warning.
/// </summary>
internal sealed partial class LearnerReconfiguration : IHostedService, IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly ModelState _state;
    private readonly ILogger<LearnerReconfiguration> _logger;
    private IDisposable? _subscription;

    public LearnerReconfiguration(IConfiguration configuration, ModelState state, ILogger<LearnerReconfiguration> logger)
    {
        _configuration = configuration;
        _state = state;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = ChangeToken.OnChange(_configuration.GetReloadToken, Apply);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _subscription?.Dispose();

    private void Apply()
    {
        var settings = WorkerSettings.Read(_configuration, out var errors);
        if (errors.Count > 0)
        {
            LogIgnored(_logger, string.Join("; ", errors));
            return;
        }

        if (settings.ServingLearner != _state.Serving.Name && _state.SwitchServing(settings.ServingLearner))
        {
            LogServing(_logger, settings.ServingLearner);
        }

        foreach (var learner in settings.Learners)
        {
            var slot = _state.Learners.FirstOrDefault(l => l.Name == learner.Name);
            if (slot is null)
            {
                LogNeedsRestart(_logger, learner.Name);
                continue;
            }

            var windowed = learner.Mode == LearnerMode.WindowedBatch;
            if (slot.WindowedBatch != windowed)
            {
                var window = windowed ? learner.Window : null;
                var mode = learner.Mode.ToString();
                _state.OnPipelineThread(() => slot.SwitchMode(window));
                LogMode(_logger, learner.Name, mode);
            }
        }

        foreach (var slot in _state.Learners)
        {
            if (!settings.Learners.Any(l => l.Name == slot.Name))
            {
                LogStillRunning(_logger, slot.Name);
            }
        }
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Warning, Message = "Configuration change ignored: {Errors}")]
    private static partial void LogIgnored(ILogger logger, string errors);

    [LoggerMessage(EventId = 901, Level = LogLevel.Information, Message = "Serving learner is now '{Learner}'")]
    private static partial void LogServing(ILogger logger, string learner);

    [LoggerMessage(EventId = 902, Level = LogLevel.Information, Message = "Learner '{Learner}' switches to {Mode} mode before the next line")]
    private static partial void LogMode(ILogger logger, string learner, string mode);

    [LoggerMessage(EventId = 903, Level = LogLevel.Warning, Message = "Learner '{Learner}' was added to (or enabled in) the configuration; adding a learner takes a restart")]
    private static partial void LogNeedsRestart(ILogger logger, string learner);

    [LoggerMessage(EventId = 904, Level = LogLevel.Warning,
        Message = "Learner '{Learner}' was removed from (or disabled in) the configuration; it goes on learning until a restart")]
    private static partial void LogStillRunning(ILogger logger, string learner);
}

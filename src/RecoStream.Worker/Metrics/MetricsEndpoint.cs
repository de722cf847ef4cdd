using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using RecoStream.Worker.Configuration;
using RecoStream.Worker.Sources;

namespace RecoStream.Worker.Metrics;

/// <summary>Serves <c>/metrics</c> in the Prometheus text format, on loopback unless configured otherwise.</summary>
internal sealed partial class MetricsEndpoint : IHostedService, IDisposable
{
    private readonly MetricsOptions _options;
    private readonly WorkerMetrics _metrics;
    private readonly IngestQueue _queue;
    private readonly Core.Routing.ModelState _state;
    private readonly ILogger<MetricsEndpoint> _logger;
    private MetricServer? _server;

    public MetricsEndpoint(MetricsOptions options, WorkerMetrics metrics, IngestQueue queue, Core.Routing.ModelState state,
        ILogger<MetricsEndpoint> logger)
    {
        _options = options;
        _metrics = metrics;
        _queue = queue;
        _state = state;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Port == 0)
        {
            LogDisabled(_logger);
            return Task.CompletedTask;
        }

        if (!IsLoopback(_options.Host))
        {
            LogNotLoopback(_logger, _options.Host);
        }

        // Gauges of sizes are read when Prometheus scrapes, not maintained on the hot path. The counts are
        // read from another thread without a lock: a scrape may see a value one event old, never a torn one.
        _metrics.Registry.AddBeforeCollectCallback(() =>
        {
            _metrics.QueueDepth.Set(_queue.Depth);
            _metrics.CatalogItems.Set(_state.Catalog.Count);
            _metrics.KnownUsers.Set(_state.History.UserCount);
            if (_state.Evaluator.Count > 0)
            {
                _metrics.PrequentialRmse.Set(_state.Evaluator.Rmse);
                _metrics.PrequentialMae.Set(_state.Evaluator.Mae);
            }
        });

        var host = _options.Host is "*" or "+" ? "+" : _options.Host;
        _server = new MetricServer(host, _options.Port, "metrics/", _metrics.Registry);
        try
        {
            _server.Start();
        }
        catch (HttpListenerException ex)
        {
            throw new InvalidOperationException(
                $"cannot serve metrics on {_options.Host}:{_options.Port} ({ex.Message}); " +
                "choose another RecoStream:Metrics:Port, or 0 to turn the endpoint off", ex);
        }

        LogListening(_logger, _options.Host, _options.Port);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            await _server.StopAsync().ConfigureAwait(false);
        }
    }

    public void Dispose() => _server?.Dispose();

    private static bool IsLoopback(string host) =>
        host == "localhost" || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Metrics on http://{Host}:{Port}/metrics")]
    private static partial void LogListening(ILogger logger, string host, int port);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Metrics endpoint off (RecoStream:Metrics:Port is 0)")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning,
        Message = "Metrics endpoint binds to {Host}, not loopback: anyone who can reach this address can read it")]
    private static partial void LogNotLoopback(ILogger logger, string host);
}

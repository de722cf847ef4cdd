using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using RecoStream.Core.Events;
using RecoStream.Core.Routing;
using RecoStream.Worker.Configuration;
using RecoStream.Worker.Metrics;
using RecoStream.Worker.Sources;

namespace RecoStream.Worker.Serving;

/// <summary>
/// The HTTP side (Kestrel, on the metrics port, loopback by default): <c>/metrics</c>, <c>GET /recommend/{user}?k=10</c>,
/// <c>/healthz</c> (alive) and <c>/readyz</c> (model restored and ingesting). A recommend request travels the
/// pipeline like a request line, so its answer reflects every event queued before it.
/// </summary>
internal sealed partial class HttpEndpoint : IHostedService, IAsyncDisposable
{
    /// <summary>The <c>source</c> metric label.</summary>
    public const string SourceName = "http";

    private readonly MetricsOptions _options;
    private readonly SecurityOptions _security;
    private readonly WorkerMetrics _metrics;
    private readonly IngestQueue _queue;
    private readonly ModelState _state;
    private readonly Storage.CheckpointStore _store;
    private readonly LogFormat _logFormat;
    private readonly WorkerStatus _status;
    private readonly ILogger<HttpEndpoint> _logger;
    private readonly Counter.Child _received;
    private readonly EventParser _parser;
    private WebApplication? _app;

    public HttpEndpoint(MetricsOptions options, SecurityOptions security, WorkerMetrics metrics, IngestQueue queue, ModelState state,
        Storage.CheckpointStore store, WorkerStatus status, DiagnosticsOptions diagnostics, EventParser parser, ILogger<HttpEndpoint> logger)
    {
        _parser = parser;
        _logFormat = diagnostics.LogFormat;
        _store = store;
        _options = options;
        _security = security;
        _metrics = metrics;
        _queue = queue;
        _state = state;
        _status = status;
        _logger = logger;
        _received = metrics.Received(SourceName);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Port == 0)
        {
            LogDisabled(_logger);
            return;
        }

        if (!Bind.IsLoopback(_options.Host))
        {
            LogNotLoopback(_logger, _options.Host);
        }

        // Sizes are read when Prometheus scrapes, not maintained on the hot path. They are read from another
        // thread without a lock: a scrape may see a value one event old, never a torn one.
        _metrics.Registry.AddBeforeCollectCallback(() =>
        {
            _metrics.QueueDepth.Set(_queue.Depth);
            _metrics.CatalogItems.Set(_state.Catalog.Count);
            _metrics.KnownUsers.Set(_state.History.UserCount);
            var lastEvent = _state.LastEventTimeMs;
            if (lastEvent > 0)
            {
                _metrics.Freshness.Set((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - lastEvent) / 1000.0);
            }

            _metrics.StoreSize.Set(StoreSize(_store.Path));
            var lastCheckpoint = _metrics.LastCheckpoint.Value;
            if (lastCheckpoint > 0)
            {
                _metrics.CheckpointAge.Set(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 - lastCheckpoint);
            }
            _metrics.UpdateLearners(_state);
            _metrics.UpdatePreprocessing(_state.Preprocessing);
        });

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        StderrLogging.Add(builder.Logging, _logFormat);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(Bind.Parse(_options.Host), _options.Port));
        var app = builder.Build();
        app.Run(HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException(
                $"cannot serve HTTP on {_options.Host}:{_options.Port} ({ex.Message}); " +
                "choose another RecoStream:Metrics:Port, or 0 to turn the endpoint off", ex);
        }

        _app = app;
        LogListening(_logger, _options.Host, _options.Port);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var path = request.Path.Value ?? "/";
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            await WriteJsonAsync(response, StatusCodes.Status405MethodNotAllowed, ErrorJson("only GET is supported")).ConfigureAwait(false);
            return;
        }

        switch (path)
        {
            case "/healthz":
                await WriteJsonAsync(response, StatusCodes.Status200OK, "{\"status\":\"alive\"}"u8.ToArray()).ConfigureAwait(false);
                return;
            case "/readyz":
                await WriteJsonAsync(response, _status.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable,
                    _status.Ready ? "{\"ready\":true}"u8.ToArray()
                    : _status.StorageProblem is { } problem ? System.Text.Encoding.UTF8.GetBytes(
                        "{\"ready\":false,\"storage\":" + System.Text.Json.JsonSerializer.Serialize(problem) + "}")
                    : "{\"ready\":false}"u8.ToArray()).ConfigureAwait(false);
                return;
        }

        if (!Authorized(request))
        {
            response.Headers.WWWAuthenticate = "Bearer";
            await WriteJsonAsync(response, StatusCodes.Status401Unauthorized, ErrorJson("missing or invalid bearer token")).ConfigureAwait(false);
            return;
        }

        if (path == "/metrics")
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await _metrics.Registry.CollectAndExportAsTextAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (path.StartsWith("/recommend/", StringComparison.Ordinal) && path.Length > "/recommend/".Length)
        {
            await RecommendAsync(context, path["/recommend/".Length..]).ConfigureAwait(false);
            return;
        }

        await WriteJsonAsync(response, StatusCodes.Status404NotFound,
            ErrorJson("not found; try /metrics, /recommend/{user}?k=10, /healthz or /readyz")).ConfigureAwait(false);
    }

    private async Task RecommendAsync(HttpContext context, string user)
    {
        var kText = context.Request.Query["k"].ToString();
        var buffer = new ArrayBufferWriter<byte>(128);
        await using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("op"u8, "recommend");
            json.WriteString("user"u8, user);
            if (kText.Length > 0)
            {
                if (!int.TryParse(kText, NumberStyles.None, CultureInfo.InvariantCulture, out var k))
                {
                    await WriteJsonAsync(context.Response, StatusCodes.Status400BadRequest, ErrorJson($"'k' must be a whole number, got '{kText}'"))
                        .ConfigureAwait(false);
                    return;
                }

                json.WriteNumber("k"u8, k);
            }

            json.WriteEndObject();
        }

        var origin = new HttpOrigin(_received);
        var queued = true;
        await _queue.EnqueueAsync([_parser.Parse(1, buffer.WrittenSpan, tooLong: false, origin, TimeProvider.System.GetTimestamp())], _ => queued = false, context.RequestAborted)
            .ConfigureAwait(false);
        if (!queued)
        {
            await WriteJsonAsync(context.Response, StatusCodes.Status503ServiceUnavailable, ErrorJson("the worker is shutting down")).ConfigureAwait(false);
            return;
        }

        var (answer, isError) = await origin.Answer.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(context.Response, isError ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK, answer).ConfigureAwait(false);
    }

    private bool Authorized(HttpRequest request)
    {
        if (_security.Token.Length == 0)
        {
            return true;
        }

        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()), Encoding.UTF8.GetBytes(_security.Token));
    }

    private static long StoreSize(string path)
    {
        try
        {
            return new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        }
        catch (IOException)
        {
            // A file vanished while RocksDB compacted; the next scrape counts again.
            return 0;
        }
    }

    private static byte[] ErrorJson(string message) =>
        JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["error"] = message }, ErrorJsonContext.Default.DictionaryStringString);

    private static async Task WriteJsonAsync(HttpResponse response, int status, byte[] body)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = body.Length + 1;
        await response.Body.WriteAsync(body).ConfigureAwait(false);
        await response.Body.WriteAsync("\n"u8.ToArray()).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "HTTP on http://{Host}:{Port} (/metrics, /recommend/{{user}}, /healthz, /readyz)")]
    private static partial void LogListening(ILogger logger, string host, int port);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "HTTP endpoint off (RecoStream:Metrics:Port is 0)")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning,
        Message = "HTTP endpoint binds to {Host}, not loopback: anyone who can reach this address can read metrics and recommendations")]
    private static partial void LogNotLoopback(ILogger logger, string host);
}

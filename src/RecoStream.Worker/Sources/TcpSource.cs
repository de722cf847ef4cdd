using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RecoStream.Core.Events;
using RecoStream.Worker.Configuration;
using RecoStream.Worker.Metrics;

namespace RecoStream.Worker.Sources;

/// <summary>
/// The TCP listener of the line protocol (events, and requests answered on the same connection), on
/// loopback unless configured otherwise. While it is enabled the run does not end at the end of stdin: it
/// holds a queue lease until the worker stops.
/// </summary>
internal sealed partial class TcpSource : BackgroundService
{
    /// <summary>The <c>source</c> metric label.</summary>
    public const string SourceName = "tcp";

    private readonly IngestQueue _queue;
    private readonly EventParser _parser;
    private readonly TcpOptions _options;
    private readonly InputLimits _limits;
    private readonly SecurityOptions _security;
    private readonly WorkerMetrics _metrics;
    private readonly ILogger<TcpSource> _logger;
    private readonly Socket _listener;
    private int _connections;

    public TcpSource(IngestQueue queue, EventParser parser, IngestOptions ingest, InputLimits limits, SecurityOptions security,
        WorkerMetrics metrics, ILogger<TcpSource> logger)
    {
        _queue = queue;
        _parser = parser;
        _options = ingest.Tcp;
        _limits = limits;
        _security = security;
        _metrics = metrics;
        _logger = logger;
        _listener = new Socket(Bind.Parse(_options.Host).AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        // Taken when the host builds the sources, before stdin can end (see StdinSource).
        _queue.TakeLease();
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var address = Bind.Parse(_options.Host);
        if (!Bind.IsLoopback(_options.Host))
        {
            LogNotLoopback(_logger, _options.Host);
        }

        try
        {
            _listener.Bind(new IPEndPoint(address, _options.Port));
            _listener.Listen(512);
        }
        catch (SocketException ex)
        {
            throw new InvalidOperationException(
                $"cannot listen for TCP on {_options.Host}:{_options.Port} ({ex.Message}); choose another RecoStream:Ingest:Tcp:Port, or 0 to turn TCP off", ex);
        }

        LogListening(_logger, _options.Host, _options.Port);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var running = new List<Task>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                socket.NoDelay = true;
                running.RemoveAll(t => t.IsCompleted);
                if (Volatile.Read(ref _connections) >= _options.MaxConnections)
                {
                    _metrics.TcpConnectionsRefused.WithLabels("max_connections").Inc();
                    running.Add(RefuseAsync(socket, $"too many connections (RecoStream:Ingest:Tcp:MaxConnections is {_options.MaxConnections})"));
                    continue;
                }

                running.Add(ServeAsync(socket, stoppingToken));
            }
        }
        finally
        {
            _listener.Dispose();
            // Stop reading; lines already queued are applied and answered before the connections close.
            _queue.EndLease();
            await Task.WhenAll(running).ConfigureAwait(false);
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken stoppingToken)
    {
        Interlocked.Increment(ref _connections);
        _metrics.TcpConnections.Inc();
        var connection = new TcpConnection(socket, _queue, _parser, _options, _limits.MaxLineBytes, _security.Token, _metrics, _logger);
        try
        {
            await connection.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogConnectionFailed(_logger, ex, connection.Remote);
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            _metrics.TcpConnections.Dec();
            Interlocked.Decrement(ref _connections);
        }
    }

    private static async Task RefuseAsync(Socket socket, string reason)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes($"{{\"error\":\"{reason}\"}}\n")).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The client left first.
        }
    }

    [LoggerMessage(EventId = 710, Level = LogLevel.Information, Message = "Listening for the line protocol on tcp://{Host}:{Port}")]
    private static partial void LogListening(ILogger logger, string host, int port);

    [LoggerMessage(EventId = 711, Level = LogLevel.Warning,
        Message = "TCP listener binds to {Host}, not loopback: anyone who can reach this address can send events and read recommendations")]
    private static partial void LogNotLoopback(ILogger logger, string host);

    [LoggerMessage(EventId = 712, Level = LogLevel.Error, Message = "TCP connection from {Remote} failed")]
    private static partial void LogConnectionFailed(ILogger logger, Exception exception, string remote);
}

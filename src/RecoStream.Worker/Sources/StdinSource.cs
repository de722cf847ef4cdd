using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RecoStream.Core.Events;

namespace RecoStream.Worker.Sources;

/// <summary>
/// Reads the line protocol from standard input on a dedicated thread into the ingest queue, blocking while the
/// queue is full; answers go to standard output. At end of input it returns its queue lease: with stdin the
/// only source that ends the run, with the TCP listener on the worker serves on until SIGTERM.
/// </summary>
/// <remarks>
/// A thread rather than async reads: reads from stdin cannot be cancelled, and a blocked read must not hold
/// the host's shutdown. On SIGTERM the queue is closed and this thread's next write fails, ending it.
/// </remarks>
internal sealed partial class StdinSource : IHostedService
{
    /// <summary>The <c>source</c> metric label.</summary>
    public const string SourceName = "stdin";

    private readonly IngestQueue _queue;
    private readonly InputLimits _limits;
    private readonly StdinOrigin _origin;
    private readonly EventParser _parser;
    private readonly ILogger<StdinSource> _logger;

    public StdinSource(IngestQueue queue, InputLimits limits, StdinOrigin origin, EventParser parser, ILogger<StdinSource> logger)
    {
        _parser = parser;
        _queue = queue;
        _limits = limits;
        _origin = origin;
        _logger = logger;
        // Every source takes its lease when the host builds it, before any source starts: stdin ending at
        // once must not close the queue before the TCP listener has taken its own.
        _queue.TakeLease();
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "recostream-stdin" };
        thread.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Run()
    {
        try
        {
            using var input = Console.OpenStandardInput();
            var framer = new LineFramer(input, _parser, _limits.MaxLineBytes, _origin, _queue.Recycled.NewRenter());
            if (framer.Run(_queue.Enqueue))
            {
                LogEndOfInput(_logger);
            }
        }
        catch (IOException ex)
        {
            LogReadFailed(_logger, ex);
        }
        finally
        {
            _queue.EndLease();
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "End of standard input")]
    private static partial void LogEndOfInput(ILogger logger);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "Reading standard input failed; ingest from stdin stops")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);
}

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RecoStream.Core.Events;

namespace RecoStream.Worker.Sources;

/// <summary>
/// Reads JSON lines from standard input on a dedicated thread into the ingest queue, blocking while the queue
/// is full. At end of input it closes the queue, which ends the run once the pipeline has drained it.
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
    private readonly ILogger<StdinSource> _logger;
    private readonly Func<Stream> _openInput;

    public StdinSource(IngestQueue queue, InputLimits limits, ILogger<StdinSource> logger)
        : this(queue, limits, logger, Console.OpenStandardInput)
    {
    }

    internal StdinSource(IngestQueue queue, InputLimits limits, ILogger<StdinSource> logger, Func<Stream> openInput)
    {
        _queue = queue;
        _limits = limits;
        _logger = logger;
        _openInput = openInput;
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
            using var input = _openInput();
            var framer = new LineFramer(input, _limits.MaxLineBytes);
            if (framer.Run(Enqueue))
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
            _queue.Close();
        }
    }

    private bool Enqueue(InputLine line)
    {
        var writer = _queue.Writer;
        while (!writer.TryWrite(line))
        {
            // Blocks this thread while the queue is full; false once the queue is closed (shutdown).
            if (!writer.WaitToWriteAsync().AsTask().GetAwaiter().GetResult())
            {
                return false;
            }
        }

        return true;
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "End of standard input")]
    private static partial void LogEndOfInput(ILogger logger);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "Reading standard input failed; ingest from stdin stops")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);
}

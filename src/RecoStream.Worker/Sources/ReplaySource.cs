using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RecoStream.Core.Events;

namespace RecoStream.Worker.Sources;

/// <summary>
/// Replays a file through the pipeline as fast as the pipeline takes it (the bounded queue paces the reader),
/// then ends the run.
/// </summary>
internal sealed partial class ReplaySource : IHostedService
{
    /// <summary>The <c>source</c> metric label.</summary>
    public const string SourceName = "replay";

    private readonly ReplayOptions _options;
    private readonly IngestQueue _queue;
    private readonly InputLimits _limits;
    private readonly ReplayOrigin _origin;
    private readonly LineParser _parser;
    private readonly ILogger<ReplaySource> _logger;
    private LineFramer? _framer;

    public ReplaySource(ReplayOptions options, IngestQueue queue, InputLimits limits, ReplayOrigin origin, LineParser parser, ILogger<ReplaySource> logger)
    {
        _parser = parser;
        _options = options;
        _queue = queue;
        _limits = limits;
        _origin = origin;
        _logger = logger;
        TotalBytes = new FileInfo(options.File).Length;
        _queue.TakeLease();
    }

    /// <summary>Size of the file.</summary>
    public long TotalBytes { get; }

    /// <summary>Bytes read so far.</summary>
    public long BytesRead => _framer?.BytesRead ?? 0;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "recostream-replay" };
        thread.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Run()
    {
        try
        {
            using var file = new FileStream(_options.File, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            _framer = new LineFramer(file, _parser, _limits.MaxLineBytes, _origin, _queue.Recycled.NewRenter(), _options.SkipLines);
            _framer.Run(_queue.Enqueue);
            if (_framer.LinesLeftToSkip > 0)
            {
                LogShorter(_logger, _options.File, _options.SkipLines - _framer.LinesLeftToSkip, _options.SkipLines);
            }
        }
        catch (IOException ex)
        {
            LogReadFailed(_logger, ex, _options.File);
        }
        finally
        {
            _queue.EndLease();
        }
    }

    [LoggerMessage(EventId = 801, Level = LogLevel.Warning,
        Message = "{File} has {Lines} lines but the store had consumed {Stored} of it: nothing new to replay (use --from-start to replay it again)")]
    private static partial void LogShorter(ILogger logger, string file, long lines, long stored);

    [LoggerMessage(EventId = 800, Level = LogLevel.Error, Message = "Reading {File} failed; the replay stops here")]
    private static partial void LogReadFailed(ILogger logger, Exception exception, string file);
}

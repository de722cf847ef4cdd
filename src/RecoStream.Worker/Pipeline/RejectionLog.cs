using Microsoft.Extensions.Logging;
using RecoStream.Core.Events;
using RecoStream.Worker.Configuration;

namespace RecoStream.Worker.Pipeline;

/// <summary>
/// Logs rejected lines at most N per second, so a flood of bad input cannot flood the log; the lines not
/// logged are counted and reported with the next one that is. Every rejection is counted in the metrics regardless.
/// </summary>
internal sealed partial class RejectionLog
{
    private readonly ILogger<RejectionLog> _logger;
    private readonly TimeProvider _time;
    private readonly int _perSecond;
    private long _windowStart;
    private int _inWindow;
    private long _suppressed;

    public RejectionLog(DiagnosticsOptions options, TimeProvider time, ILogger<RejectionLog> logger)
    {
        _perSecond = options.RejectionLogsPerSecond;
        _time = time;
        _logger = logger;
        _windowStart = time.GetTimestamp();
    }

    /// <summary>Logs a rejected item if the rate allows.</summary>
    public void Log(StreamItem item)
    {
        var now = _time.GetTimestamp();
        if (_time.GetElapsedTime(_windowStart, now) >= TimeSpan.FromSeconds(1))
        {
            _windowStart = now;
            _inWindow = 0;
        }

        if (_inWindow >= _perSecond)
        {
            _suppressed++;
            return;
        }

        _inWindow++;
        var suppressed = _suppressed;
        _suppressed = 0;
        if (suppressed == 0)
        {
            LogRejected(_logger, item.LineNumber, RejectReasons.Label(item.Reason), item.Message ?? "");
        }
        else
        {
            LogRejectedAfterSuppressed(_logger, item.LineNumber, RejectReasons.Label(item.Reason), item.Message ?? "", suppressed);
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "Line {Line} rejected ({Reason}): {Detail}")]
    private static partial void LogRejected(ILogger logger, long line, string reason, string detail);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning,
        Message = "Line {Line} rejected ({Reason}): {Detail} (and {Suppressed} rejections since the last one logged, not shown)")]
    private static partial void LogRejectedAfterSuppressed(ILogger logger, long line, string reason, string detail, long suppressed);
}

namespace RecoStream.Worker.Configuration;

/// <summary>Progress and rejection logging on stderr (section <c>RecoStream:Diagnostics</c>).</summary>
internal sealed class DiagnosticsOptions
{
    /// <summary>Seconds between progress lines; 0 turns them off. Default 5.</summary>
    public int ProgressIntervalSeconds { get; set; } = 5;

    /// <summary>Most rejected lines logged per second; the rest are counted and summarised. Default 10.</summary>
    public int RejectionLogsPerSecond { get; set; } = 10;

    /// <summary>Log line format on stderr: <c>Simple</c> (one readable line) or <c>Json</c> (one JSON object per line). Default Simple.</summary>
    public LogFormat LogFormat { get; set; } = LogFormat.Simple;
}

/// <summary>The format of log lines on stderr.</summary>
internal enum LogFormat
{
    /// <summary>One human-readable line per entry.</summary>
    Simple,
    /// <summary>One JSON object per entry.</summary>
    Json,
}

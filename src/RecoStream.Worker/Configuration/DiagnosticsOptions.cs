namespace RecoStream.Worker.Configuration;

/// <summary>Progress and rejection logging on stderr (section <c>RecoStream:Diagnostics</c>).</summary>
internal sealed class DiagnosticsOptions
{
    /// <summary>Seconds between progress lines; 0 turns them off. Default 5.</summary>
    public int ProgressIntervalSeconds { get; set; } = 5;

    /// <summary>Most rejected lines logged per second; the rest are counted and summarised. Default 10.</summary>
    public int RejectionLogsPerSecond { get; set; } = 10;
}

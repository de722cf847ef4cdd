namespace RecoStream.Worker.Configuration;

/// <summary>The Prometheus endpoint (section <c>RecoStream:Metrics</c>).</summary>
internal sealed class MetricsOptions
{
    /// <summary>Address to bind. Default <c>127.0.0.1</c> (loopback only); anything else logs a warning.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port of <c>/metrics</c>; 0 turns the endpoint off. Default 9464.</summary>
    public int Port { get; set; } = 9464;
}

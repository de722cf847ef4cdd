namespace RecoStream.Worker.Configuration;

/// <summary>The TCP line-protocol listener (section <c>RecoStream:Ingest:Tcp</c>).</summary>
internal sealed class TcpOptions
{
    /// <summary>Address to bind. Default <c>127.0.0.1</c> (loopback only); anything else logs a warning.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Port to listen on; 0 (the default) turns the listener off. The daemon configurations use 7464.</summary>
    public int Port { get; set; }

    /// <summary>Most concurrent connections; more are answered with an error and closed. Default 64.</summary>
    public int MaxConnections { get; set; } = 64;

    /// <summary>A connection that sends nothing for this long is closed; 0 never. Default 300.</summary>
    public int IdleTimeoutSeconds { get; set; } = 300;

    /// <summary>
    /// Most lines of one connection queued or awaiting their answer; the connection is not read further until
    /// some are done, which bounds the memory a client that does not read its answers can hold. Default 4096.
    /// </summary>
    public int MaxInFlightPerConnection { get; set; } = 4096;
}

namespace RecoStream.Core.Events;

/// <summary>
/// Where a line came from: stdin, one TCP connection, an HTTP request, a replayed file. The pipeline carries
/// it from the source to the end of the pipeline, where answers to requests are sent back to it.
/// </summary>
public interface ILineOrigin
{
    /// <summary>The kind of source (<c>stdin</c>, <c>tcp</c>, <c>http</c>, <c>replay</c>), used as a metric label.</summary>
    string Source { get; }
}

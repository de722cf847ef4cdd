namespace RecoStream.Worker.Configuration;

/// <summary>The queue between the sources and the pipeline (section <c>RecoStream:Ingest</c>).</summary>
internal sealed class IngestOptions
{
    /// <summary>Lines the bounded queue holds; a full queue makes the source wait. Default 8192.</summary>
    public int QueueCapacity { get; set; } = 8192;
}

namespace RecoStream.Core.Events;

/// <summary>Limits on input lines (configuration section <c>RecoStream:Ingest</c>).</summary>
public sealed class InputLimits
{
    /// <summary>Longest accepted line in bytes, terminator excluded. Default 65536 (64 KiB).</summary>
    public int MaxLineBytes { get; set; } = 64 * 1024;

    /// <summary>Longest accepted user or item id, in characters. Default 256.</summary>
    public int MaxIdLength { get; set; } = 256;

    /// <summary>Most numeric features on one event. Default 64.</summary>
    public int MaxFeaturesPerEvent { get; set; } = 64;

    /// <summary>The <c>k</c> of a recommend request that gives none. Default 10.</summary>
    public int DefaultK { get; set; } = 10;

    /// <summary>Largest <c>k</c> a recommend request may ask for. Default 1000.</summary>
    public int MaxK { get; set; } = 1000;
}

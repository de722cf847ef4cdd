using MessagePack;

namespace RecoStream.Storage;

// The MessagePack shapes of one checkpoint's values. Key 0 of every record is its schema version, so a
// reader can refuse a value written by a different layout instead of misreading it.

[MessagePackObject]
internal sealed class MetaRecord
{
    [Key(0)] public int SchemaVersion { get; set; }
    [Key(1)] public long LinesConsumed { get; set; }
    [Key(2)] public long EventsApplied { get; set; }
    [Key(3)] public long WrittenAtUnixMs { get; set; }
    [Key(4)] public long EvaluatedCount { get; set; }
    [Key(5)] public double SumSquaredError { get; set; }
    [Key(6)] public double SumAbsoluteError { get; set; }
    [Key(7)] public int ItemCount { get; set; }
    [Key(8)] public int UserCount { get; set; }
    [Key(9)] public int FeatureCount { get; set; }
}

[MessagePackObject]
internal sealed class LinearRecord
{
    [Key(0)] public int SchemaVersion { get; set; }
    [Key(1)] public int HashBits { get; set; }

    /// <summary>The weights as raw little-endian float32 bytes.</summary>
    [Key(2)] public byte[] Weights { get; set; } = [];
}

[MessagePackObject]
internal sealed class NormalizerRecord
{
    [Key(0)] public int SchemaVersion { get; set; }
    [Key(1)] public string[] Names { get; set; } = [];
    [Key(2)] public long[] Counts { get; set; } = [];
    [Key(3)] public double[] Means { get; set; } = [];
    [Key(4)] public double[] M2s { get; set; } = [];
    [Key(5)] public long IgnoredFeatures { get; set; }
}

[MessagePackObject]
internal sealed class CatalogRecord
{
    [Key(0)] public int SchemaVersion { get; set; }
    [Key(1)] public string[] Ids { get; set; } = [];
    [Key(2)] public long[] Counts { get; set; } = [];
}

[MessagePackObject]
internal sealed class HistoryRecord
{
    [Key(0)] public int SchemaVersion { get; set; }
    [Key(1)] public string[] Users { get; set; } = [];
    [Key(2)] public int[][] Items { get; set; } = [];
}

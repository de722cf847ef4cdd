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
    [Key(4)] public int ItemCount { get; set; }
    [Key(5)] public int UserCount { get; set; }
    [Key(6)] public int FeatureCount { get; set; }
    [Key(7)] public string[] Learners { get; set; } = [];
    [Key(8)] public bool HasStream { get; set; }

    /// <summary>True when the checkpoint has a source position (in the offsets column family).</summary>
    [Key(9)] public bool HasPosition { get; set; }

    /// <summary>
    /// True when the interaction history is stored as one row per user (<see cref="StoreLayout.HistoryRows"/>); false in
    /// checkpoints of the earlier layout, which hold it as one "history" record.
    /// </summary>
    [Key(10)] public bool HistoryInRows { get; set; }

    /// <summary>
    /// True when the behaviour statistics are stored as one row per user and item (<see cref="StoreLayout.BehaviourRows"/>);
    /// false in checkpoints of the earlier layout, which hold them in the "stream" record.
    /// </summary>
    [Key(11)] public bool BehaviourInRows { get; set; }

    /// <summary>Users with behaviour statistics (rows), checked against what is read.</summary>
    [Key(12)] public int BehaviourUsers { get; set; }

    /// <summary>Items with behaviour statistics (rows), checked against what is read.</summary>
    [Key(13)] public int BehaviourItems { get; set; }
}

/// <summary>A learner's scalars, settings and prequential totals; its arrays and rows are stored page by page and row by row.</summary>
[MessagePackObject]
internal sealed class LearnerRecord
{
    [Key(0)] public int SchemaVersion { get; set; }
    [Key(1)] public string Name { get; set; } = "";
    [Key(2)] public string Kind { get; set; } = "";
    [Key(3)] public int KindVersion { get; set; }

    /// <summary>The float arrays' lengths; their pages are in the dense or optimizer column family.</summary>
    [Key(4)] public Dictionary<string, int> ArrayLengths { get; set; } = [];
    [Key(5)] public Dictionary<string, double[]> Doubles { get; set; } = [];
    [Key(6)] public Dictionary<string, string[]> Strings { get; set; } = [];
    [Key(7)] public Dictionary<string, long[]> Longs { get; set; } = [];
    [Key(8)] public long EvaluatedCount { get; set; }
    [Key(9)] public double SumSquaredError { get; set; }
    [Key(10)] public double SumAbsoluteError { get; set; }
    [Key(11)] public long Ranked { get; set; }
    [Key(12)] public long Hits { get; set; }
    [Key(13)] public double DiscountedGain { get; set; }
    [Key(14)] public long Classified { get; set; }
    [Key(15)] public double SumLogLoss { get; set; }
    [Key(16)] public long Learned { get; set; }

    /// <summary>The arrays that are optimizer state (stored in the optimizer column family).</summary>
    [Key(17)] public string[] Optimizer { get; set; } = [];

    /// <summary>Rows per keyed table (user, item) and their width in floats.</summary>
    [Key(18)] public Dictionary<string, long> RowCounts { get; set; } = [];
    [Key(19)] public Dictionary<string, int> RowWidths { get; set; } = [];
}

/// <summary>The replayable source's position: source kind, file fingerprint, last line consumed.</summary>
[MessagePackObject]
internal sealed class PositionRecord
{
    [Key(0)] public int SchemaVersion { get; set; }
    [Key(1)] public string Source { get; set; } = "";
    [Key(2)] public string Fingerprint { get; set; } = "";
    [Key(3)] public long Line { get; set; }
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

    // Absent (empty) in stores written before normalization modes existed.
    [Key(6)] public double[] Mins { get; set; } = [];
    [Key(7)] public double[] Maxs { get; set; } = [];
    [Key(8)] public int[] Modes { get; set; } = [];
}

[MessagePackObject]
internal sealed class CatalogRecord
{
    [Key(0)] public int SchemaVersion { get; set; }
    [Key(1)] public string[] Ids { get; set; } = [];
    [Key(2)] public long[] Counts { get; set; } = [];
}

/// <summary>The interaction history as one record: the earlier layout, still read; checkpoints now store a row per user.</summary>
[MessagePackObject]
internal sealed class HistoryRecord
{
    [Key(0)] public int SchemaVersion { get; set; }
    [Key(1)] public string[] Users { get; set; } = [];
    [Key(2)] public int[][] Items { get; set; } = [];
}

[MessagePackObject]
internal sealed class StreamRecord
{
    [Key(0)] public int SchemaVersion { get; set; }
    [Key(1)] public long NewestEventMs { get; set; }
    [Key(2)] public long[] DedupWindows { get; set; } = [];
    [Key(3)] public ulong[][] DedupKeys { get; set; } = [];
    [Key(4)] public string[] QuarantineUsers { get; set; } = [];
    [Key(5)] public long[] QuarantineSeconds { get; set; } = [];
    [Key(6)] public int[] QuarantineCounts { get; set; } = [];
    [Key(7)] public long[] QuarantineUntils { get; set; } = [];
    [Key(8)] public string[] Users { get; set; } = [];
    [Key(9)] public long[] UserCounts { get; set; } = [];
    [Key(10)] public long[] UserFirstMs { get; set; } = [];
    [Key(11)] public long[] UserLastMs { get; set; } = [];
    [Key(12)] public long[] UserPurchases { get; set; } = [];
    [Key(13)] public double[] UserPurchaseTotals { get; set; } = [];
    [Key(14)] public string[] Items { get; set; } = [];
    [Key(15)] public long[] ItemCounts { get; set; } = [];
    [Key(16)] public long[] ItemLastMs { get; set; } = [];
    [Key(17)] public byte[] KeySketch { get; set; } = [];

    /// <summary>The open window: closed count, events, start, end, first and last event time.</summary>
    [Key(18)] public long[] Window { get; set; } = [];
}

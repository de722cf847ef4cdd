namespace RecoStream.Worker.Configuration;

/// <summary>Where and how often the model is checkpointed (section <c>RecoStream:Storage</c>).</summary>
internal sealed class StorageOptions
{
    /// <summary>Folder of the embedded RocksDB store, relative to the working directory. Default <c>data/recostream</c>.</summary>
    public string Path { get; set; } = "data/recostream";

    /// <summary>Write a checkpoint after this many applied events (and always at shutdown). Default 50000.</summary>
    public int CheckpointEveryEvents { get; set; } = 50_000;

    /// <summary>
    /// Also write a checkpoint when this many seconds have passed since the last one and events were applied since
    /// (checked as events arrive, and when the stream goes quiet); 0 off. Default 60.
    /// </summary>
    public int CheckpointEverySeconds { get; set; } = 60;

    /// <summary>Answer <c>flush</c> only once everything before it is in a checkpoint (durable). Default true.</summary>
    public bool DurableFlush { get; set; } = true;

    /// <summary>Folder where the <c>snapshot</c> op writes store copies, one subfolder per name. Default <c>data/snapshots</c>.</summary>
    public string SnapshotPath { get; set; } = "data/snapshots";

    /// <summary>Checkpoints kept; when the latest is damaged the worker starts from the newest consistent one. Default 2.</summary>
    public int KeepCheckpoints { get; set; } = 2;

    /// <summary>
    /// RocksDB's block cache, shared by the store's column families, in MiB: recently read blocks of its files, which
    /// serve rows read back into a learner's hot set (<c>Rows:HotRows</c>). Default 8.
    /// </summary>
    public int BlockCacheMiB { get; set; } = 8;

    /// <summary>Sync RocksDB's write-ahead log on every checkpoint. Default true.</summary>
    public bool SyncWrites { get; set; } = true;
}

namespace RecoStream.Worker.Configuration;

/// <summary>Where and how often the model is checkpointed (section <c>RecoStream:Storage</c>).</summary>
internal sealed class StorageOptions
{
    /// <summary>Folder of the embedded RocksDB store, relative to the working directory. Default <c>data/recostream</c>.</summary>
    public string Path { get; set; } = "data/recostream";

    /// <summary>Write a checkpoint after this many applied events (and always at shutdown). Default 50000.</summary>
    public int CheckpointEveryEvents { get; set; } = 50_000;

    /// <summary>Sync RocksDB's write-ahead log on every checkpoint. Default true.</summary>
    public bool SyncWrites { get; set; } = true;
}

namespace RecoStream.Core.Learners;

/// <summary>
/// Where the rows of a learner's tables live when they do not all fit in memory: the checkpoint store's row tables.
/// Called on the pipeline thread only.
/// </summary>
public interface IRowStore
{
    /// <summary>
    /// Reads the newest stored version of a row (packed as in <see cref="RowSet"/>) into the start of
    /// <paramref name="values"/>, at most its length; <paramref name="width"/> is how many values the stored row has (fewer
    /// for a row written before its table gained columns). False when there is none.
    /// </summary>
    bool TryRead(string table, string id, Span<float> values, out int width, out long lastActiveMs);

    /// <summary>
    /// Writes a row evicted from memory as part of the checkpoint being built, so it is read back before that checkpoint
    /// is written and is committed (or discarded after a crash) with it.
    /// </summary>
    void WriteEvicted(string table, string id, ReadOnlySpan<float> values, long lastActiveMs);

    /// <summary>
    /// Up to <paramref name="maxRows"/> stored rows, continuing from where the last call stopped (wrapping around), whose
    /// newest version was last active before <paramref name="cutoffMs"/>.
    /// </summary>
    IReadOnlyList<string> ScanExpired(string table, long cutoffMs, int maxRows);
}

namespace RecoStream.Core.Learners;

/// <summary>
/// How a factorization learner keeps its user and item rows (configuration <c>RecoStream:Learners:NAME:Rows</c>):
/// all in memory (the default), or a hot set in memory over the store's tables for tables larger than memory;
/// expiry of inactive rows; admission of a new id only after it has been seen several times.
/// </summary>
public sealed class RowTableOptions
{
    /// <summary>The smallest hot-set limit (CLOCK needs room to sweep).</summary>
    public const int MinHotRows = 16;

    /// <summary>
    /// Rows held in memory per table; 0 (the default) holds every row. With a limit the rest live in the store and are
    /// read back on use; the least recently used rows (CLOCK) are evicted, changed ones written to the store first.
    /// </summary>
    public int HotRows { get; set; }

    /// <summary>Rows not updated for longer than this (event time) are removed; 0 (the default) keeps them forever.</summary>
    public double TtlSeconds { get; set; }

    /// <summary>
    /// A new id gets a row once it has been seen this many times (a counting sketch remembers sightings before); until
    /// then it scores as unknown and its updates are dropped, as in Monolith. Default 1: rows are created at once.
    /// </summary>
    public int AdmitAfter { get; set; } = 1;

    /// <summary>Cold rows examined for expiry per checkpoint (the scan runs while ingest is paused). Default 10,000.</summary>
    public int ExpiryScanRows { get; set; } = 10_000;

    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate(string learner)
    {
        if (HotRows < 0 || (HotRows > 0 && HotRows < MinHotRows))
        {
            throw new ArgumentException($"RecoStream:Learners:{learner}:Rows:HotRows must be 0 (all in memory) or at least {MinHotRows}");
        }

        if (TtlSeconds < 0 || AdmitAfter < 1 || AdmitAfter > 255 || ExpiryScanRows < 1)
        {
            throw new ArgumentException(
                $"RecoStream:Learners:{learner}:Rows: TtlSeconds must be >= 0, AdmitAfter between 1 and 255, ExpiryScanRows >= 1");
        }
    }
}

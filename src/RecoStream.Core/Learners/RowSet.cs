namespace RecoStream.Core.Learners;

/// <summary>
/// The rows of one keyed table (a learner's users or items) in a snapshot: row r's values are
/// <c>Values[r * Width .. (r + 1) * Width]</c>, packed as bias, bias accumulator, factors, factor accumulators.
/// </summary>
/// <param name="Width">Floats per row.</param>
/// <param name="Ids">The rows' ids.</param>
/// <param name="Values">The rows' values, row after row.</param>
/// <param name="LastActiveMs">When each row was last updated (event time, Unix ms).</param>
/// <param name="Removed">Ids whose rows were removed (expired) since the last snapshot of changes.</param>
/// <param name="Total">Rows the table holds in all (in memory and in the store).</param>
/// <param name="ChangesOnly">
/// True when the set holds only the rows changed since the previous snapshot of changes (a checkpoint's increment);
/// false when it holds every row, or, with <see cref="InStore"/>, none because they stay in the store.
/// </param>
/// <param name="InStore">The rows were not read into memory: they stay in the store and are read on use.</param>
public sealed record RowSet(int Width, string[] Ids, float[] Values, long[] LastActiveMs, string[] Removed, long Total, bool ChangesOnly, bool InStore = false)
{
    /// <summary>
    /// Tells the table that the set is written and no longer read (a set with a <see cref="Source"/> reads rows from the
    /// table until then); call once.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Action? Release { get; init; }

    /// <summary>
    /// Packs a row from its table when called, for a set whose <see cref="Values"/> were not copied (empty): each call
    /// overwrites the span the previous one returned. It reads the row as it was when the set was taken (the table copies
    /// a row aside before changing it) until <see cref="Release"/>. One thread reads at a time.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Func<int, ReadOnlySpan<float>>? Source { get; init; }

    /// <summary>
    /// The values of row <paramref name="row"/> (of a set with a <see cref="Source"/>: valid until the next call).
    /// </summary>
    public ReadOnlySpan<float> Row(int row) => Source is { } source ? source(row) : Values.AsSpan(row * Width, Width);

    /// <summary>This set with its rows copied into <see cref="Values"/> (itself when they are).</summary>
    public RowSet Packed()
    {
        if (Source is null)
        {
            return this;
        }

        var values = new float[Ids.Length * Width];
        for (var r = 0; r < Ids.Length; r++)
        {
            Row(r).CopyTo(values.AsSpan(r * Width, Width));
        }

        return this with { Values = values, Source = null };
    }
}

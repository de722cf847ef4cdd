namespace RecoStream.Core.Learners;

/// <summary>
/// The rows of one keyed table (a learner's users or items) in a snapshot: row r's values are
/// <c>Values[r * Width .. (r + 1) * Width]</c>, packed as bias, bias accumulator, factors, factor accumulators.
/// </summary>
/// <param name="Width">Floats per row.</param>
/// <param name="Ids">The rows' ids (empty for a set with a <see cref="Source"/>; see <see cref="Read"/>).</param>
/// <param name="Values">The rows' values, row after row (empty for a set with a <see cref="Source"/>).</param>
/// <param name="LastActiveMs">When each row was last updated (event time, Unix ms; empty for a set with a <see cref="Source"/>).</param>
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
    /// Reads rows from their table when called, for a set whose <see cref="Ids"/>, <see cref="Values"/> and
    /// <see cref="LastActiveMs"/> were not copied (empty): each call overwrites the span the previous one returned. It
    /// reads a row as it was when the set was taken (the table copies a row aside before changing it or reusing its
    /// slot) until <see cref="Release"/>. One thread reads at a time.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IRowSource? Source { get; init; }

    /// <summary>How many rows the set holds.</summary>
    public int Count => Source?.Count ?? Ids.Length;

    /// <summary>
    /// For a set read from its table: where a writer resumes and tells the table which rows are stored; null for a set
    /// whose rows were copied (write them all).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IWriteProgress? Progress => Source as IWriteProgress;

    /// <summary>
    /// The values of row <paramref name="row"/> (of a set with a <see cref="Source"/>: valid until the next call).
    /// </summary>
    public ReadOnlySpan<float> Row(int row) => ReadRow(row, out _, out _);

    /// <summary>
    /// Row <paramref name="row"/>: its values (of a set with a <see cref="Source"/>: valid until the next call), its id and
    /// when it was last updated.
    /// </summary>
    public ReadOnlySpan<float> Read(int row, out string id, out long lastActiveMs)
    {
        var values = ReadRow(row, out var chars, out lastActiveMs);
        id = Source is null ? Ids[row] : chars.ToString();
        return values;
    }

    /// <summary>
    /// <see cref="Read(int, out string, out long)"/> without a string for the id: of a set with a <see cref="Source"/>, its
    /// characters are valid until the next call, like the values. For a writer that encodes each row at once (the tables
    /// keep ids as bytes: a string per row would be a million strings of garbage in a checkpoint of a million rows).
    /// </summary>
    public ReadOnlySpan<float> ReadRow(int row, out ReadOnlySpan<char> id, out long lastActiveMs)
    {
        if (Source is { } source)
        {
            return source.Read(row, out id, out lastActiveMs);
        }

        id = Ids[row];
        lastActiveMs = LastActiveMs[row];
        return Values.AsSpan(row * Width, Width);
    }

    /// <summary>This set with its rows copied into <see cref="Values"/> (itself when they are).</summary>
    public RowSet Packed()
    {
        if (Source is null)
        {
            return this;
        }

        var count = Count;
        var ids = new string[count];
        var values = new float[count * Width];
        var lastActive = new long[count];
        for (var r = 0; r < count; r++)
        {
            Read(r, out ids[r], out lastActive[r]).CopyTo(values.AsSpan(r * Width, Width));
        }

        return this with { Ids = ids, Values = values, LastActiveMs = lastActive, Source = null };
    }
}

/// <summary>The rows of a <see cref="RowSet"/> read from their table (<see cref="RowSet.Source"/>).</summary>
public interface IRowSource
{
    /// <summary>How many rows.</summary>
    int Count { get; }

    /// <summary>
    /// Row <paramref name="row"/>'s values and id (both valid until the next call) and last update (event time, Unix ms).
    /// </summary>
    ReadOnlySpan<float> Read(int row, out ReadOnlySpan<char> id, out long lastActiveMs);
}

/// <summary>
/// A snapshot's part that a checkpoint's writer reads in order from its table and stores a chunk at a time (see
/// <see cref="RowSet.Progress"/>, <see cref="Ranking.HistorySnapshot.Progress"/>).
/// </summary>
public interface IWriteProgress
{
    /// <summary>The index to start writing from: the first not in the store (rows before it were stored by a failed write).</summary>
    int ResumeAt();

    /// <summary>
    /// Every row read since <see cref="ResumeAt"/> or the last call, and every row taken ahead since the last call, is in the
    /// store: the table no longer keeps them.
    /// </summary>
    void Stored();

    /// <summary>Rows the table copied aside so far, as it changed them before they were stored.</summary>
    int Kept { get; }

    /// <summary>Copies the table holds now (made and not yet dropped once stored).</summary>
    int Holding { get; }

    /// <summary>The most copies the table held at once during the write.</summary>
    int MostHeld { get; }

    /// <summary>
    /// For the in-order pass, at <paramref name="index"/> (the next in order): true when that row was written ahead of order
    /// (<see cref="TakeAhead"/>), and is skipped.
    /// </summary>
    bool WrittenAhead(int index);

    /// <summary>
    /// Adds to <paramref name="into"/> the indices of the rows copied aside that the in-order pass has not reached: the
    /// writer writes them now, into the chunk being built, and their copies are dropped once it is stored
    /// (<see cref="Stored"/>). Called after each chunk stored.
    /// </summary>
    void TakeAhead(List<int> into);
}

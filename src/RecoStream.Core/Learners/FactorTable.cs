namespace RecoStream.Core.Learners;

/// <summary>
/// Rows of latent factors keyed by their real ids (no hashing, no collisions), added on the fly: a bias and
/// <c>rank</c> factors per row, with AdaGrad accumulators for both. Rows are contiguous, so a row is a span.
/// </summary>
internal sealed class FactorTable
{
    private readonly int _rank;
    private readonly Dictionary<string, int> _rows = new(StringComparer.Ordinal);
    private readonly List<string> _ids = [];
    private readonly List<int> _rowsOfCatalog = [];
    private float[] _factors;
    private float[] _factorSquares;
    private float[] _bias;
    private float[] _biasSquares;

    public FactorTable(int rank, int capacity = 1024)
    {
        _rank = rank;
        _factors = new float[capacity * rank];
        _factorSquares = new float[capacity * rank];
        _bias = new float[capacity];
        _biasSquares = new float[capacity];
    }

    public int Count => _ids.Count;

    public IReadOnlyList<string> Ids => _ids;

    public bool TryGetRow(string id, out int row) => _rows.TryGetValue(id, out row);

    /// <summary>The row of an id, added with <paramref name="initialise"/> filling its factors when new.</summary>
    public int GetOrAdd(string id, Action<string, Span<float>> initialise, float biasSquaresStart)
    {
        if (_rows.TryGetValue(id, out var row))
        {
            return row;
        }

        row = _ids.Count;
        if (row == _bias.Length)
        {
            var capacity = row * 2;
            Array.Resize(ref _factors, capacity * _rank);
            Array.Resize(ref _factorSquares, capacity * _rank);
            Array.Resize(ref _bias, capacity);
            Array.Resize(ref _biasSquares, capacity);
        }

        _rows.Add(id, row);
        _ids.Add(id);
        initialise(id, Factors(row));
        _biasSquares[row] = biasSquaresStart;
        return row;
    }

    /// <summary>
    /// The row of the item at <paramref name="index"/> of an append-only catalog, or -1 when the table has none;
    /// found rows are remembered, so scoring a catalog repeatedly costs no lookups.
    /// </summary>
    public int RowOfCatalogItem(IReadOnlyList<string> catalog, int index)
    {
        while (_rowsOfCatalog.Count < catalog.Count)
        {
            _rowsOfCatalog.Add(-1);
        }

        var row = _rowsOfCatalog[index];
        if (row < 0 && _rows.TryGetValue(catalog[index], out var found))
        {
            row = found;
            _rowsOfCatalog[index] = row;
        }

        return row;
    }

    public Span<float> Factors(int row) => _factors.AsSpan(row * _rank, _rank);

    public Span<float> FactorSquares(int row) => _factorSquares.AsSpan(row * _rank, _rank);

    public ref float Bias(int row) => ref _bias[row];

    public ref float BiasSquares(int row) => ref _biasSquares[row];

    /// <summary>Writes a learner's user and item tables and its rank into its snapshot.</summary>
    public static void WritePair(LearnerSnapshot snapshot, FactorTable users, FactorTable items)
    {
        snapshot.Longs["rank"] = [users._rank];
        users.WriteTo(snapshot, "user");
        items.WriteTo(snapshot, "item");
    }

    /// <summary>Reads a learner's user and item tables, refusing a snapshot of another rank.</summary>
    public static void ReadPair(LearnerSnapshot snapshot, FactorTable users, FactorTable items, string learnerName)
    {
        var rank = snapshot.Require(snapshot.Longs, "rank")[0];
        if (rank != users._rank)
        {
            throw new InvalidOperationException(
                $"the stored learner '{learnerName}' has rank {rank} but RecoStream:Learners:{learnerName}:Rank is {users._rank}; " +
                "use the stored value or start on a new store");
        }

        users.ReadFrom(snapshot, "user");
        items.ReadFrom(snapshot, "item");
    }

    public void WriteTo(LearnerSnapshot snapshot, string prefix)
    {
        snapshot.Strings[prefix + "Ids"] = [.. _ids];
        snapshot.Floats[prefix + "Factors"] = _factors[..(Count * _rank)];
        snapshot.Floats[prefix + "FactorSquares"] = _factorSquares[..(Count * _rank)];
        snapshot.Floats[prefix + "Bias"] = _bias[..Count];
        snapshot.Floats[prefix + "BiasSquares"] = _biasSquares[..Count];
    }

    public void ReadFrom(LearnerSnapshot snapshot, string prefix)
    {
        var ids = snapshot.Require(snapshot.Strings, prefix + "Ids");
        var factors = snapshot.Require(snapshot.Floats, prefix + "Factors");
        var squares = snapshot.Require(snapshot.Floats, prefix + "FactorSquares");
        var bias = snapshot.Require(snapshot.Floats, prefix + "Bias");
        var biasSquares = snapshot.Require(snapshot.Floats, prefix + "BiasSquares");
        if (factors.Length != ids.Length * _rank || squares.Length != factors.Length || bias.Length != ids.Length || biasSquares.Length != ids.Length)
        {
            throw new InvalidOperationException($"the stored {snapshot.Kind} learner's {prefix} table is inconsistent");
        }

        var capacity = Math.Max(1024, ids.Length * 2);
        _factors = new float[capacity * _rank];
        _factorSquares = new float[capacity * _rank];
        _bias = new float[capacity];
        _biasSquares = new float[capacity];
        factors.CopyTo(_factors, 0);
        squares.CopyTo(_factorSquares, 0);
        bias.CopyTo(_bias, 0);
        biasSquares.CopyTo(_biasSquares, 0);
        _rows.Clear();
        _ids.Clear();
        _rowsOfCatalog.Clear();
        foreach (var id in ids)
        {
            _rows.Add(id, _ids.Count);
            _ids.Add(id);
        }
    }
}

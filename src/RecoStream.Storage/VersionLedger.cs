namespace RecoStream.Storage;

/// <summary>
/// The rows and pages each generation wrote a version of. Once that generation is the oldest kept checkpoint or older,
/// the row's versions before it are read by no kept checkpoint: the store seeks to those rows and deletes them, instead
/// of scanning every row (a scan also walks the deletions it made earlier, so it cost more with every checkpoint). A
/// generation whose rows would take the ledger beyond its limit is marked for one whole scan instead.
/// Thread-safe: the pipeline thread notes evicted rows while a checkpoint is written on another thread.
/// </summary>
internal sealed class VersionLedger(int maxRows)
{
    /// <summary>Rows listed at most (tests lower it to take the whole-scan path).</summary>
    public int MaxRows { get; set; } = maxRows;

    private readonly Lock _lock = new();
    private readonly SortedDictionary<long, Written> _generations = [];
    private int _rows;

    /// <summary>Rows listed now, in every generation.</summary>
    public int Rows
    {
        get
        {
            lock (_lock)
            {
                return _rows;
            }
        }
    }

    /// <summary>
    /// Notes that <paramref name="generation"/> wrote a version of the row <paramref name="id"/> of <paramref name="family"/>
    /// under <paramref name="prefix"/>, the learner's key prefix: the same array for every row of the learner, as rows are
    /// compared by reference to it.
    /// </summary>
    public void Note(long generation, string family, byte[] prefix, string id)
    {
        lock (_lock)
        {
            var written = WrittenBy(generation);
            if (written.Rows is null)
            {
                return; // already marked for a whole scan
            }

            if (_rows >= MaxRows)
            {
                _rows -= written.Rows.Count;
                written.Rows = null;
                return;
            }

            written.Rows.Add(new RowRef(family, prefix, id));
            _rows++;
        }
    }

    /// <summary>
    /// Before <paramref name="generation"/> notes at most <paramref name="rows"/> more rows: marks it for a whole scan at once
    /// when they would take the ledger beyond its limit, else makes room for them. Listing a million rows up to the limit
    /// and then dropping the list left 12 MB of its arrays behind at the checkpoint's peak.
    /// </summary>
    public void Expect(long generation, int rows)
    {
        lock (_lock)
        {
            var written = WrittenBy(generation);
            if (written.Rows is null)
            {
                return;
            }

            if (_rows + rows > MaxRows)
            {
                _rows -= written.Rows.Count;
                written.Rows = null;
                return;
            }

            written.Rows.EnsureCapacity(written.Rows.Count + rows);
        }
    }

    /// <summary>
    /// The generations not newer than <paramref name="generation"/>: their rows (each row once), or null when one of them
    /// needs a whole scan; empty when none is due.
    /// </summary>
    public (long[] Generations, IReadOnlyCollection<RowRef>? Rows) Due(long generation)
    {
        lock (_lock)
        {
            var due = _generations.Keys.TakeWhile(g => g <= generation).ToArray();
            if (due.Any(g => _generations[g].Rows is null))
            {
                return (due, null);
            }

            var rows = new HashSet<RowRef>();
            foreach (var g in due)
            {
                rows.UnionWith(_generations[g].Rows!);
            }

            return (due, rows);
        }
    }

    /// <summary>How many generations not newer than <paramref name="generation"/> are listed (due for collection).</summary>
    public int DueCount(long generation)
    {
        lock (_lock)
        {
            return _generations.Keys.TakeWhile(g => g <= generation).Count();
        }
    }

    /// <summary>Forgets generations whose old versions have been deleted.</summary>
    public void Collected(IEnumerable<long> generations)
    {
        lock (_lock)
        {
            foreach (var g in generations)
            {
                if (_generations.Remove(g, out var written))
                {
                    _rows -= written.Rows?.Count ?? 0;
                }
            }
        }
    }

    /// <summary>Forgets every generation (before a store's checkpoints are read back).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _generations.Clear();
            _rows = 0;
        }
    }

    private Written WrittenBy(long generation)
    {
        if (!_generations.TryGetValue(generation, out var written))
        {
            written = new Written();
            _generations.Add(generation, written);
        }

        return written;
    }

    /// <summary>A row or page: its column family, its learner's key prefix and its id.</summary>
    public readonly record struct RowRef(string Family, byte[] Prefix, string Id);

    private sealed class Written
    {
        public List<RowRef>? Rows { get; set; } = [];
    }
}

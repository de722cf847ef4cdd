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
    /// grouped by reference to it. The id's characters are copied into its group's list (see <see cref="IdList"/>).
    /// </summary>
    public void Note(long generation, string family, byte[] prefix, ReadOnlySpan<char> id)
    {
        lock (_lock)
        {
            var written = WrittenBy(generation);
            if (written.Groups is null)
            {
                return; // already marked for a whole scan
            }

            if (_rows >= MaxRows)
            {
                WholeScan(written);
                return;
            }

            GroupOf(written, family, prefix).Add(id);
            _rows++;
        }
    }

    /// <summary>
    /// Before <paramref name="generation"/> notes at most <paramref name="rows"/> more rows of <paramref name="family"/>
    /// under <paramref name="prefix"/>: marks it for a whole scan at once when they would take the ledger beyond its limit,
    /// else makes room for them. Listing a million rows up to the limit and then dropping the list left 12 MB of its arrays
    /// behind at the checkpoint's peak.
    /// </summary>
    public void Expect(long generation, string family, byte[] prefix, int rows)
    {
        lock (_lock)
        {
            var written = WrittenBy(generation);
            if (written.Groups is null)
            {
                return;
            }

            if (_rows + rows > MaxRows)
            {
                WholeScan(written);
                return;
            }

            // Room for ids of 8 characters; longer ones grow the characters' array.
            var group = GroupOf(written, family, prefix);
            group.EnsureCapacity(group.Count + rows, group.Chars + (8 * rows));
        }
    }

    /// <summary>
    /// The generations not newer than <paramref name="generation"/>, and their rows by family and prefix (the groups in
    /// that order, each group's ids sorted, ordinal, each once), or null when one of them needs a whole scan; empty when
    /// none is due.
    /// </summary>
    public (long[] Generations, IReadOnlyList<RowGroup>? Groups) Due(long generation)
    {
        lock (_lock)
        {
            var due = _generations.Keys.TakeWhile(g => g <= generation).ToArray();
            if (due.Any(g => _generations[g].Groups is null))
            {
                return (due, null);
            }

            var groups = new List<RowGroup>();
            foreach (var key in due.SelectMany(g => _generations[g].Groups!.Keys).Distinct())
            {
                var lists = due.Select(g => _generations[g].Groups!.GetValueOrDefault(key)).OfType<IdList>().ToList();
                var ids = new IdList();
                ids.EnsureCapacity(lists.Sum(l => l.Count), lists.Sum(l => l.Chars));
                foreach (var list in lists)
                {
                    for (var i = 0; i < list.Count; i++)
                    {
                        ids.Add(list[i]);
                    }
                }

                var order = new int[ids.Count];
                for (var i = 0; i < order.Length; i++)
                {
                    order[i] = i;
                }

                Array.Sort(order, (a, b) => ids[a].SequenceCompareTo(ids[b]));
                var count = 0;
                for (var i = 0; i < order.Length; i++)
                {
                    if (count == 0 || !ids[order[i]].SequenceEqual(ids[order[count - 1]]))
                    {
                        order[count++] = order[i];
                    }
                }

                groups.Add(new RowGroup(key.Family, key.Prefix, ids, order, count));
            }

            groups.Sort(static (a, b) => a.Family != b.Family
                ? string.CompareOrdinal(a.Family, b.Family)
                : a.Prefix.AsSpan().SequenceCompareTo(b.Prefix));
            return (due, groups);
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
                    _rows -= written.Count;
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

    private static IdList GroupOf(Written written, string family, byte[] prefix)
    {
        if (!written.Groups!.TryGetValue((family, prefix), out var group))
        {
            group = new IdList();
            written.Groups.Add((family, prefix), group);
        }

        return group;
    }

    private void WholeScan(Written written)
    {
        _rows -= written.Count;
        written.Groups = null;
    }

    /// <summary>
    /// Rows of one family under one learner's key prefix: <see cref="Count"/> ids, each once, in ordinal order of their
    /// characters (<see cref="Id"/>).
    /// </summary>
    public sealed class RowGroup(string family, byte[] prefix, IdList ids, int[] order, int count)
    {
        public string Family => family;

        public byte[] Prefix => prefix;

        public int Count => count;

        /// <summary>The <paramref name="index"/>-th id in order (valid while the group is).</summary>
        public ReadOnlySpan<char> Id(int index) => ids[order[index]];
    }

    /// <summary>
    /// Ids one after another in one array of characters, with where each starts: about 2 bytes a character and 4 an id,
    /// where a string per id (kept until its generation was collected) was about 40 bytes and a reference 8.
    /// </summary>
    internal sealed class IdList
    {
        private char[] _chars = [];
        private int[] _starts = [0];

        /// <summary>How many ids.</summary>
        public int Count { get; private set; }

        /// <summary>How many characters they take.</summary>
        public int Chars => _starts[Count];

        public ReadOnlySpan<char> this[int index] => _chars.AsSpan(_starts[index], _starts[index + 1] - _starts[index]);

        /// <summary>Makes room for <paramref name="ids"/> ids in all, and at least <paramref name="chars"/> characters.</summary>
        public void EnsureCapacity(int ids, int chars)
        {
            if (_starts.Length < ids + 1)
            {
                Array.Resize(ref _starts, ids + 1);
            }

            if (_chars.Length < chars)
            {
                Array.Resize(ref _chars, chars);
            }
        }

        public void Add(ReadOnlySpan<char> id)
        {
            var end = Chars + id.Length;
            if (_chars.Length < end)
            {
                Array.Resize(ref _chars, Math.Max(end, 2 * _chars.Length));
            }

            if (_starts.Length < Count + 2)
            {
                Array.Resize(ref _starts, Math.Max(Count + 2, 2 * _starts.Length));
            }

            id.CopyTo(_chars.AsSpan(Chars));
            _starts[++Count] = end;
        }
    }

    /// <summary>
    /// A generation's rows, by family and prefix (the prefix compared by reference): only their ids (a record of family,
    /// prefix and id per row, and the set of them a collection made, had cost 87 MB over the 1,000,000-user replay with
    /// periodic checkpoints).
    /// </summary>
    private sealed class Written
    {
        public Dictionary<(string Family, byte[] Prefix), IdList>? Groups { get; set; } = [];

        public int Count => Groups?.Values.Sum(g => g.Count) ?? 0;
    }
}

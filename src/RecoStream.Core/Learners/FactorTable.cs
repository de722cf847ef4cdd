using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using RecoStream.Core.Ranking;

namespace RecoStream.Core.Learners;

/// <summary>
/// Rows of latent factors keyed by their real ids (no hashing, no collisions), added on the fly: a bias and
/// <c>rank</c> factors per row, with AdaGrad accumulators for both. Rows live in slots of contiguous arrays, so a row
/// is a span. A table may keep a few more floats per row for its learner (<see cref="Extras"/>: zero for a new row, and
/// for a row stored before the table had them). The table remembers which rows changed since the last snapshot of
/// changes (a checkpoint writes only those), expires rows inactive longer than a TTL, admits new ids after N sightings,
/// and, with a hot-set limit and a store, keeps only the most recently used rows in memory (CLOCK eviction; a changed
/// row is written before it goes). Slot 0 is scratch: the row a not-yet-admitted id is updated in and then forgotten.
/// A snapshot of changes does not copy the changed rows: they are read from the table when the snapshot is written, and
/// a row the pipeline is about to change before then is copied first (copy on write, <see cref="RowCopy"/>).
/// The rows' numbers are held outside the managed heap (<see cref="NativeArray{T}"/>): growing the table frees the old
/// arrays at once instead of leaving them, and their holes, on the large object heap.
/// </summary>
internal sealed class FactorTable
{
    private const byte Changed = 1;
    private const byte Referenced = 2;
    private const byte InLastCopy = 4;

    private readonly int _rank;
    private readonly int _extraCount;
    private readonly int _width;
    private readonly string _name;
    private readonly RowTableOptions _options;
    private readonly IdIndex _rows = new();
    private readonly Stack<int> _free = new();
    private readonly List<string> _removed = [];
    private readonly List<int> _rowsOfCatalog = [];
    private readonly AdmissionSketch? _admission;
    private readonly float[] _packed;
    private readonly float[] _loaded;
    private readonly IdColumn _ids;
    private readonly NativeArray<float> _factors;
    private readonly NativeArray<float> _factorSquares;
    private readonly NativeArray<float> _bias;
    private readonly NativeArray<float> _biasSquares;
    private readonly NativeArray<float> _extras;
    private readonly NativeArray<long> _lastActive;
    private byte[] _flags;
    // Per slot, the item's index in the catalog (-1: none); only for a table a catalog is scored over (an item table):
    // empty until the first catalog lookup, so a user table does not keep 4 bytes a user for nothing.
    private int[] _catalogIndex = [];
    private int _slots = 1;
    private int _hand = 1;
    private long _total;
    private long _newestMs;
    private readonly Dictionary<string, int> _catalogWithoutRow = new(StringComparer.Ordinal);
    private int _catalogChecked;
    private IRowStore? _store;
    private CatalogPanels? _panels;
    // Moves whenever an entry of _rowsOfCatalog does: the panels then compare their items' rows.
    private long _catalogRowsVersion;
    // Per slot: 1 while the row is in the unwritten snapshot of changes (_copy) and not kept aside yet; read by the
    // pipeline before it changes a row, cleared under the copy's lock.
    private byte[] _pending;
    private RowCopy? _copy;
    private KeptRows? _keptRows;
    private long _hits;
    private long _misses;
    private long _evictions;
    private long _expiries;
    private long _notAdmitted;

    public FactorTable(int rank, string name = "rows", RowTableOptions? options = null, int capacity = 1024, int extras = 0)
    {
        _rank = rank;
        _extraCount = extras;
        _width = 2 + 2 * rank + extras;
        _name = name;
        _options = options ?? new RowTableOptions();
        _admission = _options.AdmitAfter > 1 ? new AdmissionSketch(_options.AdmitAfter) : null;
        _packed = new float[_width];
        _loaded = new float[_width];
        capacity = Math.Max(capacity, 2);
        _ids = new IdColumn(capacity);
        _factors = new NativeArray<float>(capacity * rank);
        _factorSquares = new NativeArray<float>(capacity * rank);
        _bias = new NativeArray<float>(capacity);
        _biasSquares = new NativeArray<float>(capacity);
        _extras = new NativeArray<float>(capacity * extras);
        _lastActive = new NativeArray<long>(capacity);
        _flags = new byte[capacity];
        _pending = new byte[capacity];
    }

    /// <summary>The table's counts for the gauges.</summary>
    public RowTableStatistics Statistics => new(_name, _total, _rows.Count, _hits, _misses, _evictions, _expiries, _notAdmitted);

    /// <summary>Keeps rows beyond the hot set in <paramref name="store"/> and reads them back from it on use.</summary>
    public void AttachStore(IRowStore store)
    {
        if (_options.HotRows > 0)
        {
            _store = store;
            _panels = null;
        }
    }

    /// <summary>The row of an id in memory, read from the store when it is there; false when the table has none.</summary>
    public bool TryGetRow(string id, out int row)
    {
        if (_rows.TryGetValue(id, _ids, out row))
        {
            _flags[row] |= Referenced;
            _hits++;
            return true;
        }

        return _store is not null && TryLoad(id, out row);
    }

    /// <summary>The newest event time a row in memory was updated at (Unix ms; 0 before the first update).</summary>
    public long NewestMs => _newestMs;

    /// <summary>
    /// When a row was last updated (event time, Unix ms; the latest of its updates, so a late event does not move it back).
    /// </summary>
    public long LastActiveMs(int row) => _lastActive[row];

    /// <summary>Marks a row as updated at <paramref name="timeMs"/> (so the next checkpoint writes it); returns it.</summary>
    public int Update(int row, long timeMs)
    {
        if (row == 0)
        {
            return 0;
        }

        KeepForCopy(row);

        _flags[row] |= Changed | Referenced;
        if (_panels is not null && _catalogIndex.Length > 0 && _catalogIndex[row] >= 0)
        {
            _panels.Invalidate(_catalogIndex[row]);
        }

        _lastActive[row] = Math.Max(_lastActive[row], timeMs);
        _newestMs = Math.Max(_newestMs, timeMs);
        return row;
    }

    /// <summary>
    /// Adds the row of an id that <see cref="TryGetRow"/> just did not find (so the store is not asked twice), to update
    /// at <paramref name="timeMs"/>, with <paramref name="initialise"/> filling its factors; the scratch row 0 (freshly
    /// initialised, forgotten after the update) when the id is not admitted yet.
    /// </summary>
    public int Add(string id, Action<string, Span<float>> initialise, float biasSquaresStart, long timeMs)
    {
        if (_admission is not null && !_admission.Sighted(id))
        {
            _notAdmitted++;
            initialise(id, Factors(0));
            FactorSquares(0).Clear();
            Extras(0).Clear();
            _bias[0] = 0;
            _biasSquares[0] = biasSquaresStart;
            return 0;
        }

        var row = Allocate();
        Place(id, row);
        _total++;
        initialise(id, Factors(row));
        FactorSquares(row).Clear();
        Extras(row).Clear();
        _bias[row] = 0;
        _biasSquares[row] = biasSquaresStart;
        _lastActive[row] = 0;
        return Update(row, timeMs);
    }

    /// <summary>
    /// The row of the item at <paramref name="index"/> of an append-only catalog, or -1 when the table has none;
    /// found rows are remembered (until evicted), so scoring a catalog repeatedly costs no lookups.
    /// </summary>
    public int RowOfCatalogItem(IReadOnlyList<string> catalog, int index)
    {
        while (_rowsOfCatalog.Count < catalog.Count)
        {
            _rowsOfCatalog.Add(-1);
        }

        if (_catalogIndex.Length == 0)
        {
            // The first catalog lookup: every row so far is outside the catalog.
            _catalogIndex = new int[_ids.Capacity];
            Array.Fill(_catalogIndex, -1);
        }

        var row = _rowsOfCatalog[index];
        if (row < 0)
        {
            if (TryGetRow(catalog[index], out var found))
            {
                row = found;
                _rowsOfCatalog[index] = row;
                _catalogRowsVersion++;
                _catalogIndex[row] = index;
                _catalogWithoutRow.Remove(catalog[index]);
            }
            else
            {
                // Until the item gets a row (Place fills its entry in).
                _catalogWithoutRow[catalog[index]] = index;
            }
        }

        return row;
    }

    /// <summary>
    /// Scores every item of an append-only catalog against a user's factors <paramref name="p"/> (default for a score
    /// without factors): <c>scores[c] = baseScore + bias + p . q</c> of the item's row (bias only when
    /// <paramref name="withBias"/>), or <paramref name="missing"/> for an item the table has no row for. The catalog's
    /// rows are looked up once and remembered, so a request costs one pass over the factors. With every row in memory
    /// the pass goes over the catalog's panels (<see cref="CatalogPanels"/>).
    /// </summary>
    public void ScoreCatalog(IReadOnlyList<string> catalog, ReadOnlySpan<float> p, float baseScore, bool withBias, float missing, Span<float> scores)
    {
        var rows = CatalogRows(catalog);
        if (RefreshPanels(rows, p.Length) is { } panels)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(scores.Length, rows.Length);
            panels.ScorePair(p, p, baseScore, baseScore, missing, missing, withBias, 0, panels.Panels, scores, scores);
            return;
        }

        FactorKernels.ScoreRows(p, _factors.AsSpan(), withBias ? _bias.AsSpan() : default, baseScore, missing, rows, scores);
    }

    /// <summary>
    /// The k best items of the catalog for one user, as <see cref="TopKSelector.Select"/> picks them from the scores
    /// <see cref="ScoreCatalog(IReadOnlyList{string}, ReadOnlySpan{float}, float, bool, float, Span{float})"/> gives, without
    /// scoring every item exactly (<see cref="CatalogPanels.RankTop"/>). False, with nothing done, when the catalog is not
    /// scored from panels or the CPU lacks the byte multiply-adds the ranking uses: the caller scores the catalog instead.
    /// </summary>
    public bool TryRankCatalog(IReadOnlyList<string> catalog, ReadOnlySpan<float> p, float baseScore, bool withBias, float missing, int k,
        IReadOnlySet<int> excluded, [NotNullWhen(true)] out List<(int Index, float Score)>? top)
    {
        top = null;
        if (!CatalogPanels.CanRank || p.Length != _rank)
        {
            return false;
        }

        var rows = CatalogRows(catalog);
        if (RefreshPanels(rows, p.Length) is not { } panels)
        {
            return false;
        }

        top = panels.RankTop(p, baseScore, missing, withBias, k, excluded);
        return true;
    }

    /// <summary>
    /// <see cref="TryRankCatalog(IReadOnlyList{string}, ReadOnlySpan{float}, float, bool, float, int, IReadOnlySet{int}, out List{ValueTuple{int, float}}?)"/>
    /// for the user at <paramref name="userRow"/> of <paramref name="users"/>, whose factors are copied first: over a
    /// store, looking up the catalog's rows could evict the user's.
    /// </summary>
    public bool TryRankCatalog(IReadOnlyList<string> catalog, FactorTable users, int userRow, float baseScore, bool withBias, float missing,
        int k, IReadOnlySet<int> excluded, [NotNullWhen(true)] out List<(int Index, float Score)>? top)
    {
        Span<float> p = stackalloc float[users._rank];
        users.Factors(userRow).CopyTo(p);
        return TryRankCatalog(catalog, p, baseScore, withBias, missing, k, excluded, out top);
    }

    /// <summary>
    /// <see cref="ScoreCatalog(IReadOnlyList{string}, ReadOnlySpan{float}, float, bool, float, Span{float})"/> for several
    /// users, each with factors: user u's factors are <c>userFactors[(u * rank)..]</c>, its base score
    /// <c>baseScores[u]</c>, the score of an item without a row <c>missing[u]</c>, its scores
    /// <c>scores[(outputs[u] * catalog.Count)..]</c>. The catalog is scored a block of rows at a
    /// time for every user in turn, so a block is read from memory once and then from the cache.
    /// </summary>
    public void ScoreCatalog(IReadOnlyList<string> catalog, ReadOnlySpan<float> userFactors, ReadOnlySpan<float> baseScores, bool withBias,
        ReadOnlySpan<float> missing, ReadOnlySpan<int> outputs, Span<float> scores)
    {
        var n = catalog.Count;
        var users = baseScores.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(userFactors.Length, users * _rank);
        ArgumentOutOfRangeException.ThrowIfLessThan(missing.Length, users);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs.Length, users);
        foreach (var output in outputs[..users])
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(scores.Length, (output + 1) * n);
        }

        var rows = CatalogRows(catalog);
        if (RefreshPanels(rows, _rank) is { } panels)
        {
            // A block of panels at a time for every pair of users in turn (so that a block is read from memory once); an odd
            // user out is paired with itself.
            for (var first = 0; first < panels.Panels; first += ScoringBlockPanels)
            {
                var length = Math.Min(ScoringBlockPanels, panels.Panels - first);
                for (var u = 0; u < users; u += 2)
                {
                    var v = Math.Min(u + 1, users - 1);
                    panels.ScorePair(userFactors.Slice(u * _rank, _rank), userFactors.Slice(v * _rank, _rank), baseScores[u], baseScores[v],
                        missing[u], missing[v], withBias, first, length, scores.Slice(outputs[u] * n, n), scores.Slice(outputs[v] * n, n));
                }
            }

            return;
        }

        ReadOnlySpan<float> factors = _factors.AsSpan();
        ReadOnlySpan<float> bias = withBias ? _bias.AsSpan() : default;
        for (var start = 0; start < n; start += ScoringBlockRows)
        {
            var length = Math.Min(ScoringBlockRows, n - start);
            var u = 0;
            for (; u + 1 < users; u += 2)
            {
                FactorKernels.ScoreRowsPair(userFactors.Slice(u * _rank, _rank), userFactors.Slice((u + 1) * _rank, _rank), factors, bias,
                    baseScores[u], baseScores[u + 1], missing[u], missing[u + 1], rows.Slice(start, length),
                    scores.Slice((outputs[u] * n) + start, length), scores.Slice((outputs[u + 1] * n) + start, length));
            }

            if (u < users)
            {
                FactorKernels.ScoreRows(userFactors.Slice(u * _rank, _rank), factors, bias, baseScores[u], missing[u], rows.Slice(start, length),
                    scores.Slice((outputs[u] * n) + start, length));
            }
        }
    }

    /// <summary>Item rows per block when scoring for several users (16 KB of factors at rank 32).</summary>
    private const int ScoringBlockRows = 128;

    /// <summary>Panels per block when scoring for several users (128 items, 17 KB at rank 32).</summary>
    private const int ScoringBlockPanels = 8;

    /// <summary>
    /// The largest catalog scored from panels (262,144 items: 36 MB of panels at rank 32). Beyond it a pass over the
    /// catalog is bound by memory either way (1,000,000 items: 7.4 ms with panels, 7.5 ms without), so the rows are read
    /// in place instead of holding a copy of them. Tests lower it.
    /// </summary>
    internal int PanelItemLimit { get; set; } = 262_144;

    /// <summary>
    /// The catalog's panels brought up to date with its rows, or null where they do not serve: over a store (a row read
    /// back from it is not an update), for a user without factors (<paramref name="userRank"/> 0: base and bias only),
    /// or without 256-bit vectors.
    /// </summary>
    private CatalogPanels? RefreshPanels(ReadOnlySpan<int> rows, int userRank)
    {
        if (rows.Length > PanelItemLimit)
        {
            // A catalog this large is read from memory at the speed of memory with or without the copy: not worth its bytes.
            _panels = null;
            return null;
        }

        if (_store is not null || userRank != _rank || _rank == 0 || !Vector256.IsHardwareAccelerated)
        {
            return null;
        }

        _panels ??= new CatalogPanels(_rank);
        _panels.Refresh(rows, _catalogRowsVersion, _factors.AsSpan(), _bias.AsSpan());
        return _panels;
    }

    /// <summary>
    /// The rows of an append-only catalog's items (-1 for an item without one), looked up once and remembered: a request
    /// costs one pass over the factors.
    /// </summary>
    private Span<int> CatalogRows(IReadOnlyList<string> catalog)
    {
        var n = catalog.Count;
        while (_rowsOfCatalog.Count < n)
        {
            _rowsOfCatalog.Add(-1);
        }

        var rows = CollectionsMarshal.AsSpan(_rowsOfCatalog)[..n];
        // In memory only the catalog's new items are looked up: an item without a row gets its entry when the row is
        // placed, and loses it when the row goes. Over a store every pass looks again, as the row may be in the store.
        var from = _store is null ? _catalogChecked : 0;
        for (var c = from; c < rows.Length; c++)
        {
            if (rows[c] < 0)
            {
                // Looked up now (remembered when found); a lookup may read a row back from the store and so evict
                // another, which clears that one's entry: the dot products read the entries afresh.
                RowOfCatalogItem(catalog, c);
            }
        }

        _catalogChecked = n;
        return rows;
    }

    public Span<float> Factors(int row) => _factors.AsSpan(row * _rank, _rank);

    public Span<float> FactorSquares(int row) => _factorSquares.AsSpan(row * _rank, _rank);

    public ref float Bias(int row) => ref _bias[row];

    public ref float BiasSquares(int row) => ref _biasSquares[row];

    /// <summary>The learner's own floats of a row (as many as the table was created with), kept and checkpointed with it.</summary>
    public Span<float> Extras(int row) => _extras.AsSpan(row * _extraCount, _extraCount);

    /// <summary>
    /// Writes a learner's user and item tables and its rank into its snapshot: every row, copied, or the changes, read
    /// from the tables when written (<see cref="Changes"/>).
    /// </summary>
    public static void WritePair(LearnerSnapshot snapshot, FactorTable users, FactorTable items, bool changesOnly)
    {
        snapshot.Longs["rank"] = [users._rank];
        snapshot.Rows["user"] = changesOnly ? users.Changes() : users.All();
        snapshot.Rows["item"] = changesOnly ? items.Changes() : items.All();
        if (users._admission is not null)
        {
            snapshot.Floats["userAdmission"] = users._admission.Save();
        }

        if (items._admission is not null)
        {
            snapshot.Floats["itemAdmission"] = items._admission.Save();
        }
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

        users.Restore(snapshot.Rows.TryGetValue("user", out var u) ? u : throw new InvalidOperationException($"the stored learner '{learnerName}' has no user rows"));
        items.Restore(snapshot.Rows.TryGetValue("item", out var i) ? i : throw new InvalidOperationException($"the stored learner '{learnerName}' has no item rows"));
        if (snapshot.Floats.TryGetValue("userAdmission", out var userSightings))
        {
            users._admission?.Load(userSightings);
        }

        if (snapshot.Floats.TryGetValue("itemAdmission", out var itemSightings))
        {
            items._admission?.Load(itemSightings);
        }
    }

    /// <summary>Every row in memory; refused when rows live in the store (only changes can be written then).</summary>
    private RowSet All()
    {
        if (_store is not null)
        {
            throw new InvalidOperationException($"the {_name} rows live in the store beyond the hot set: only the changed rows can be copied");
        }

        var slots = _rows.Slots().Order().ToArray();
        // Every element is written below: skip zeroing what can be hundreds of megabytes.
        var values = GC.AllocateUninitializedArray<float>(slots.Length * _width);
        var ids = new string[slots.Length];
        var lastActive = GC.AllocateUninitializedArray<long>(slots.Length);
        for (var r = 0; r < slots.Length; r++)
        {
            PackRow(slots[r], values.AsSpan(r * _width, _width));
            ids[r] = _ids.Get(slots[r])!;
            lastActive[r] = _lastActive[slots[r]];
        }

        return new RowSet(_width, ids, values, lastActive, [], _total, ChangesOnly: false);
    }

    /// <summary>
    /// The rows changed since the last call and the ids removed since, after expiring rows inactive longer than the TTL.
    /// Their values are not copied: <see cref="RowSet.Row"/> reads each from the table, or the copy kept when the row
    /// changed since (<see cref="RowCopy"/>), until the set is released. Where a million users changed, the copy took
    /// about 270 MB at rank 32 while a checkpoint was written. The returned rows count as copied: until the next call,
    /// evicting one writes it to the store (its checkpoint may still be in flight).
    /// </summary>
    private RowSet Changes()
    {
        Expire();
        // The changed rows are found by their flags, not kept in a list as they change: a list of a million changed users
        // and its copy for the snapshot were 8 MB, the list's kept for good.
        var flags = _flags;
        var slots = new SlotSet(_slots);
        for (var slot = 1; slot < _slots; slot++)
        {
            ref var f = ref flags[slot];
            if ((f & Changed) != 0)
            {
                f = (byte)((f & ~Changed) | InLastCopy);
                slots.Add(slot);
            }
            else
            {
                f = (byte)(f & ~InLastCopy);
            }
        }

        slots.Seal();

        var removed = _removed.ToArray();
        _removed.Clear();
        // A snapshot of changes not released yet (one taken but never written) gets its rows copied now: from here on only
        // the new one is read in place.
        _copy?.Detach();
        var copy = new RowCopy(this, slots);
        foreach (var slot in slots)
        {
            _pending[slot] = 1;
        }

        // Published after the marks: a thread that sees the copy sees them (Volatile.Write is a release).
        Volatile.Write(ref _copy, copy);
        return new RowSet(_width, [], [], [], removed, _total, ChangesOnly: true) { Source = copy, Release = copy.Release };
    }

    /// <summary>
    /// Keeps a copy of a row of the unwritten snapshot of changes before the pipeline changes it (or reuses its slot);
    /// nothing to do for a row not marked (one look at a byte, on every update).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void KeepForCopy(int slot) => CopyOnWrite.KeepFor(ref _copy, _pending, slot);

    /// <summary>
    /// The rows of a snapshot of changes (<see cref="CopyOnWrite"/>), with their ids and last updates: a row is read from
    /// the table while marked, or from the copy the pipeline kept before changing it or reusing its slot. Only the rows
    /// changed during the write are copied (a million changed users' ids and times, copied up front, were 16 MB).
    /// </summary>
    private sealed class RowCopy(FactorTable table, SlotSet slots) : CopyOnWrite(slots), IRowSource
    {
        private readonly float[] _buffer = new float[table._width];
        private readonly char[] _id = new char[IdColumn.MaxInline];
        // The rows kept aside (handed on from copy to copy with its chunks, ids and times; found by KeptAt).
        private readonly KeptRows _keptRows = Interlocked.Exchange(ref table._keptRows, null) ?? new KeptRows(table._width);
        // Every row, once detached.
        private float[]? _values;
        private string[]? _ids;
        private long[]? _lastActive;

        protected override byte[] Marks => table._pending;

        public int Count => Slots.Length;

        /// <summary>Row r of the snapshot, in a buffer that the next call overwrites.</summary>
        public ReadOnlySpan<float> Read(int r, out ReadOnlySpan<char> id, out long lastActiveMs)
        {
            var width = table._width;
            lock (Gate)
            {
                if (_values is not null)
                {
                    id = _ids![r];
                    lastActiveMs = _lastActive![r];
                    return _values.AsSpan(r * width, width);
                }

                var slot = Slots[r];
                NoteRead(r, slot);
                if (KeptAt(r) is var at and >= 0)
                {
                    return _keptRows.Row(at, out id, out lastActiveMs);
                }

                id = table._ids.Chars(slot, _id);
                lastActiveMs = table._lastActive[slot];
                table.PackRow(slot, _buffer);
                return _buffer;
            }
        }

        protected override int KeepAside(int slot)
        {
            table.PackRow(slot, _keptRows.Add(slot, table._ids, table._lastActive[slot], out var at));
            return at;
        }

        protected override void Drop(int position) => _keptRows.Free(position);

        protected override void CopyAll()
        {
            var width = table._width;
            var values = GC.AllocateUninitializedArray<float>(Slots.Length * width);
            var ids = new string[Slots.Length];
            var lastActive = new long[Slots.Length];
            for (var r = 0; r < Slots.Length; r++)
            {
                Read(r, out var id, out lastActive[r]).CopyTo(values.AsSpan(r * width, width));
                ids[r] = id.ToString();
            }

            (_values, _ids, _lastActive) = (values, ids, lastActive);
        }

        protected override void Done()
        {
            _keptRows.Clear();
            Interlocked.Exchange(ref table._keptRows, _keptRows);
            Interlocked.CompareExchange(ref table._copy, null, this);
        }
    }

    /// <summary>
    /// Rows kept aside by a snapshot of changes, in chunks of 256 KB outside the managed heap, reused from one snapshot to
    /// the next up to 8 MB of them; those beyond are freed as soon as the snapshot is released. One growing array, dropped
    /// when over 4 MB, had left the array and its copies on the large object heap in every checkpoint whose write saw
    /// every item change (417 MB allocated over the 1,000,000-user replay with periodic checkpoints); chunks on the managed
    /// heap outlived a long write (161,000 users' rows kept in one, 44 MB) and stayed as garbage in the oldest generation.
    /// The ids and times are reused alike, outside the managed heap too; the snapshot finds a row by its position
    /// (<see cref="CopyOnWrite.KeptAt"/>), where an index by slot had held 9.5 MB of dictionary arrays at the peak. A row's
    /// room is reused as soon as its copy is stored (<see cref="Free"/>), so the rows kept take the room of those kept at
    /// once, not of all kept during the write.
    /// </summary>
    private sealed class KeptRows(int width)
    {
        private const int ChunkFloats = 64 * 1024;
        private const int SpareChunks = 32;
        private const int InitialRows = 64;
        private readonly int _rowsPerChunk = Math.Max(1, ChunkFloats / width);
        private readonly List<NativeArray<float>> _chunks = [];
        private readonly Stack<NativeArray<float>> _spare = new();
        private readonly char[] _id = new char[IdColumn.MaxInline];
        private readonly IdColumn _ids = new(InitialRows);
        private readonly NativeArray<long> _lastActive = new(InitialRows);
        // Positions whose rows were dropped (stored, or written ahead of order), reused before new ones.
        private readonly Stack<int> _free = new();
        private int _count;

        /// <summary>
        /// Room for the row of <paramref name="slot"/>, whose id is at that slot of <paramref name="ids"/>, kept once per
        /// snapshot; <paramref name="at"/> is its position.
        /// </summary>
        public Span<float> Add(int slot, IdColumn ids, long lastActiveMs, out int at)
        {
            if (!_free.TryPop(out at))
            {
                at = _count++;
                if (at == _ids.Capacity)
                {
                    _ids.Resize(2 * at);
                    _lastActive.Resize(2 * at);
                }

                if (at / _rowsPerChunk == _chunks.Count)
                {
                    _chunks.Add(_spare.TryPop(out var spare) ? spare : new NativeArray<float>(_rowsPerChunk * width));
                }
            }

            _ids.CopyFrom(ids, slot, at);
            _lastActive[at] = lastActiveMs;
            var (chunk, offset) = Math.DivRem(at, _rowsPerChunk);
            return _chunks[chunk].AsSpan(offset * width, width);
        }

        /// <summary>The row at <paramref name="at"/> is read no more: its room goes to the next row kept.</summary>
        public void Free(int at) => _free.Push(at);

        /// <summary>The row kept at <paramref name="at"/>, its id and last update.</summary>
        public Span<float> Row(int at, out ReadOnlySpan<char> id, out long lastActiveMs)
        {
            id = _ids.Chars(at, _id);
            lastActiveMs = _lastActive[at];
            var (chunk, offset) = Math.DivRem(at, _rowsPerChunk);
            return _chunks[chunk].AsSpan(offset * width, width);
        }

        /// <summary>Forgets the rows; their chunks, ids and times are kept for the next rows, up to the limit.</summary>
        public void Clear()
        {
            foreach (var chunk in _chunks)
            {
                if (_spare.Count < SpareChunks)
                {
                    _spare.Push(chunk);
                }
                else
                {
                    chunk.Free();
                }
            }

            _chunks.Clear();
            _free.Clear();
            _ids.ClearAll();
            if (_count > SpareChunks * _rowsPerChunk)
            {
                _ids.Resize(InitialRows);
                _lastActive.Resize(InitialRows);
            }

            _count = 0;
        }
    }

    private void Restore(RowSet set)
    {
        if (set.ChangesOnly || !Readable(set.Width) || set.Ids.Length * set.Width != set.Values.Length || set.LastActiveMs.Length != set.Ids.Length)
        {
            throw new InvalidOperationException($"the stored {_name} table is inconsistent (width {set.Width}, {set.Ids.Length} rows)");
        }

        _copy?.Detach();
        _ids.ClearAll();
        Array.Clear(_flags);
        _rows.Clear();
        _free.Clear();
        _removed.Clear();
        _rowsOfCatalog.Clear();
        _catalogRowsVersion++;
        _panels?.InvalidateAll();
        _catalogWithoutRow.Clear();
        _catalogChecked = 0;
        _slots = 1;
        _hand = 1;
        _newestMs = 0;
        for (var r = 0; r < set.Ids.Length; r++)
        {
            var slot = Allocate(evict: false);
            Place(set.Ids[r], slot);
            UnpackRow(set.Row(r), slot);
            _lastActive[slot] = set.LastActiveMs[r];
            _newestMs = Math.Max(_newestMs, set.LastActiveMs[r]);
        }

        _total = set.InStore ? set.Total : set.Ids.Length;
    }

    private bool TryLoad(string id, out int row)
    {
        _misses++;
        // Read into its own buffer: making room for the row may evict another, which is packed into _packed.
        if (!_store!.TryRead(_name, id, _loaded, out var width, out var lastActive))
        {
            row = -1;
            return false;
        }

        if (!Readable(width))
        {
            throw new InvalidOperationException($"the stored {_name} row '{id}' has {width} values where this table has {_width}");
        }

        row = Allocate();
        Place(id, row);
        UnpackRow(_loaded.AsSpan(0, width), row);
        _lastActive[row] = lastActive;
        _flags[row] = Referenced;
        return true;
    }

    private void Place(string id, int row)
    {
        _rows.Add(id, row, _ids);
        if (_ids.Widens(id))
        {
            // The unwritten snapshot's reader reads the ids on the checkpoint's thread: not while they move.
            CopyOnWrite.Moving(Volatile.Read(ref _copy), _ids, static ids => ids.Widen());
        }

        _ids.Set(row, id);
        if (_catalogIndex.Length > 0)
        {
            _catalogIndex[row] = -1;
        }

        if (_catalogWithoutRow.Count > 0 && _catalogWithoutRow.Remove(id, out var index))
        {
            _rowsOfCatalog[index] = row;
            _catalogRowsVersion++;
            _catalogIndex[row] = index;
        }
    }

    /// <summary>
    /// A free slot: a released one, a new one while under the hot-set limit, else the CLOCK victim's (a released row was
    /// kept aside for the unwritten snapshot when released).
    /// </summary>
    private int Allocate(bool evict = true)
    {
        if (_free.Count > 0)
        {
            return _free.Pop();
        }

        // Without a store (or below the limit) the table grows: only a store can take an evicted row.
        if (!evict || _store is null || _rows.Count < _options.HotRows)
        {
            if (_slots == _ids.Capacity)
            {
                Grow(_slots * 2);
            }

            return _slots++;
        }

        return Victim();
    }

    /// <summary>The slot CLOCK evicts to make room (its row written to the store first when changed).</summary>
    private int Victim()
    {
        while (true)
        {
            var slot = _hand;
            _hand = _hand + 1 >= _slots ? 1 : _hand + 1;
            if (!_ids.Has(slot))
            {
                continue;
            }

            if ((_flags[slot] & Referenced) != 0)
            {
                _flags[slot] = (byte)(_flags[slot] & ~Referenced);
                continue;
            }

            Evict(slot);
            return slot;
        }
    }

    private void Evict(int slot)
    {
        var id = _ids.Get(slot)!;
        if ((_flags[slot] & (Changed | InLastCopy)) != 0)
        {
            PackRow(slot, _packed);
            _store!.WriteEvicted(_name, id, _packed, _lastActive[slot]);
        }

        Release(slot, id);
        _evictions++;
    }

    private void Release(int slot, string id)
    {
        // The unwritten snapshot reads the row's id and values until its slot is reused: it keeps them now.
        KeepForCopy(slot);
        _rows.Remove(id, _ids);
        _ids.Clear(slot);
        _flags[slot] = 0;
        if (_catalogIndex.Length > 0 && _catalogIndex[slot] >= 0)
        {
            _rowsOfCatalog[_catalogIndex[slot]] = -1;
            _catalogRowsVersion++;
            _catalogWithoutRow[id] = _catalogIndex[slot];
            _catalogIndex[slot] = -1;
        }
    }

    /// <summary>Removes rows not updated for longer than the TTL, in memory and (a bounded scan per call) in the store.</summary>
    private void Expire()
    {
        if (_options.TtlSeconds <= 0 || _newestMs == 0)
        {
            return;
        }

        var cutoff = _newestMs - (long)(_options.TtlSeconds * 1000);
        for (var slot = 1; slot < _slots; slot++)
        {
            if (_ids.Has(slot) && _lastActive[slot] < cutoff)
            {
                var id = _ids.Get(slot)!;
                Release(slot, id);
                _free.Push(slot);
                Removed(id);
            }
        }

        if (_store is not null)
        {
            var removedHere = _removed.ToHashSet(StringComparer.Ordinal);
            foreach (var id in _store.ScanExpired(_name, cutoff, _options.ExpiryScanRows))
            {
                // A row in memory is newer than the store's copy and was checked above.
                if (!_rows.TryGetValue(id, _ids, out _) && removedHere.Add(id))
                {
                    Removed(id);
                }
            }
        }
    }

    private void Removed(string id)
    {
        _removed.Add(id);
        _total--;
        _expiries++;
    }

    /// <summary>A stored row of this width can be read: this table's, or one written before the table had its extras.</summary>
    private bool Readable(int width) => width == _width || (_extraCount > 0 && width == _width - _extraCount);

    private void PackRow(int slot, Span<float> packed)
    {
        packed[0] = _bias[slot];
        packed[1] = _biasSquares[slot];
        Factors(slot).CopyTo(packed[2..]);
        FactorSquares(slot).CopyTo(packed[(2 + _rank)..]);
        Extras(slot).CopyTo(packed[(2 + (2 * _rank))..]);
    }

    /// <summary>Unpacks a row of this table's width, or of the width before its extras (which then start at zero).</summary>
    private void UnpackRow(ReadOnlySpan<float> packed, int slot)
    {
        _bias[slot] = packed[0];
        _biasSquares[slot] = packed[1];
        packed.Slice(2, _rank).CopyTo(Factors(slot));
        packed.Slice(2 + _rank, _rank).CopyTo(FactorSquares(slot));
        var extras = packed[(2 + (2 * _rank))..];
        if (extras.Length == _extraCount)
        {
            extras.CopyTo(Extras(slot));
        }
        else
        {
            Extras(slot).Clear();
        }
    }

    // The unwritten snapshot of changes reads rows on the checkpoint's thread: not while they move.
    private void Grow(int capacity) =>
        CopyOnWrite.Moving(Volatile.Read(ref _copy), (Table: this, Capacity: capacity), static s => s.Table.Resize(s.Capacity));

    private void Resize(int capacity)
    {
        _ids.Resize(capacity);
        _factors.Resize(capacity * _rank);
        _factorSquares.Resize(capacity * _rank);
        _bias.Resize(capacity);
        _biasSquares.Resize(capacity);
        _extras.Resize(capacity * _extraCount);
        _lastActive.Resize(capacity);
        Array.Resize(ref _flags, capacity);
        if (_catalogIndex.Length > 0)
        {
            Array.Resize(ref _catalogIndex, capacity);
        }
        Array.Resize(ref _pending, capacity);
    }

    /// <summary>
    /// A counting sketch of sightings (count-min with conservative update, four rows of 2^18 byte counters): an id is
    /// admitted once its estimated count reaches the threshold. It can overestimate (admit early), never underestimate.
    /// </summary>
    private sealed class AdmissionSketch(int threshold)
    {
        private const int Bits = 18;
        private const int Depth = 4;
        private readonly byte[] _counts = new byte[Depth << Bits];

        /// <summary>Counts one sighting; true when the id has now been seen <c>threshold</c> times.</summary>
        public bool Sighted(string id)
        {
            var hash = KeyHashOf(id);
            var h1 = (uint)hash;
            var h2 = (uint)(hash >> 32) | 1;
            Span<int> cells = stackalloc int[Depth];
            var min = byte.MaxValue;
            for (var d = 0; d < Depth; d++)
            {
                cells[d] = (d << Bits) | (int)((h1 + (uint)d * h2) & ((1u << Bits) - 1));
                min = Math.Min(min, _counts[cells[d]]);
            }

            if (min < byte.MaxValue)
            {
                foreach (var cell in cells)
                {
                    if (_counts[cell] == min)
                    {
                        _counts[cell]++;
                    }
                }

                min++;
            }

            return min >= threshold;
        }

        public float[] Save() => MemoryMarshal.Cast<byte, float>(_counts).ToArray();

        public void Load(float[] saved)
        {
            var bytes = MemoryMarshal.AsBytes(saved.AsSpan());
            if (bytes.Length == _counts.Length)
            {
                bytes.CopyTo(_counts);
            }
        }

        private static ulong KeyHashOf(string id) => Processing.KeyHash.Of('a', id);
    }
}

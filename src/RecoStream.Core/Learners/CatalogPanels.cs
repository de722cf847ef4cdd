using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RecoStream.Core.Learners;

/// <summary>
/// A copy of an item table's factors laid out for scoring a catalog: panels of <see cref="Items"/> items in catalog
/// order, each holding its items' factors dimension by dimension (the first factor of all 16 items, then the second,
/// ...), then their biases, then which of them has a row. Scoring a panel multiplies one factor of a user into 16 items
/// at once: no sums across a vector's lanes, no gathering of biases, no lookup of rows per item, and runs of
/// multiply-adds that the CPU overlaps across items and users. Two users are scored in one pass, sharing each load.
/// <para>
/// The copy is kept fresh by its table: an update of a row marks that row's panel stale (<see cref="Invalidate"/>), a
/// restore marks all of them (<see cref="InvalidateAll"/>), and <see cref="Refresh"/> rebuilds a stale panel, or one
/// whose items' rows moved, before a pass. Every item's score is formed in one order, whichever users are scored
/// together and whichever panels were rebuilt: the same scores to the bit.
/// </para>
/// </summary>
internal sealed class CatalogPanels
{
    /// <summary>Items per panel.</summary>
    public const int Items = 16;

    private readonly int _rank;
    private readonly int _stride;
    private float[] _data = [];
    private int[] _rows = [];
    private bool[] _fresh = [];
    private int _items;
    private long _rowsVersion = -1;

    /// <param name="rank">Factors per row.</param>
    public CatalogPanels(int rank)
    {
        _rank = rank;
        // rank rows of 16 factors, one of 16 biases, one of 16 presence masks.
        _stride = (rank + 2) * Items;
    }

    /// <summary>Panels that cover the catalog as of the last <see cref="Refresh"/>.</summary>
    public int Panels => (_items + Items - 1) / Items;

    /// <summary>Marks the panel of the catalog item at <paramref name="catalogIndex"/> stale (its row changed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Invalidate(int catalogIndex)
    {
        var panel = catalogIndex / Items;
        if ((uint)panel < (uint)_fresh.Length)
        {
            _fresh[panel] = false;
        }
    }

    /// <summary>Marks every panel stale (the table's rows were replaced).</summary>
    public void InvalidateAll() => Array.Clear(_fresh);

    /// <summary>
    /// Brings the panels up to date with the catalog's rows (<paramref name="rows"/>, -1 for an item without one):
    /// rebuilds the stale panels, and, when <paramref name="rowsVersion"/> moved since the last call, those whose items'
    /// rows changed.
    /// </summary>
    public void Refresh(ReadOnlySpan<int> rows, long rowsVersion, float[] factors, float[] bias)
    {
        var n = rows.Length;
        var panels = (n + Items - 1) / Items;
        if (panels > _fresh.Length)
        {
            var capacity = Math.Max(panels, _fresh.Length * 2);
            Array.Resize(ref _data, capacity * _stride);
            Array.Resize(ref _fresh, capacity);
            var grown = _rows.Length;
            Array.Resize(ref _rows, capacity * Items);
            _rows.AsSpan(grown).Fill(-1);
        }

        // A panel the catalog grew into holds new items (and after a restore to a shorter catalog, the last panel fewer).
        if (n != _items)
        {
            for (var p = Math.Min(_items, n) / Items; p < panels; p++)
            {
                _fresh[p] = false;
            }

            _items = n;
        }

        var moved = rowsVersion != _rowsVersion;
        _rowsVersion = rowsVersion;
        for (var p = 0; p < panels; p++)
        {
            var start = p * Items;
            var length = Math.Min(Items, n - start);
            if (!_fresh[p] || (moved && !rows.Slice(start, length).SequenceEqual(_rows.AsSpan(start, length))))
            {
                Build(p, rows.Slice(start, length), factors, bias);
            }
        }
    }

    private void Build(int panel, ReadOnlySpan<int> rows, float[] factors, float[] bias)
    {
        var data = _data.AsSpan(panel * _stride, _stride);
        data.Clear();
        var present = MemoryMarshal.Cast<float, int>(data[((_rank + 1) * Items)..]);
        for (var j = 0; j < rows.Length; j++)
        {
            var row = rows[j];
            _rows[(panel * Items) + j] = row;
            if (row < 0)
            {
                continue;
            }

            var q = factors.AsSpan(row * _rank, _rank);
            for (var f = 0; f < _rank; f++)
            {
                data[(f * Items) + j] = q[f];
            }

            data[(_rank * Items) + j] = bias[row];
            present[j] = -1;
        }

        for (var j = rows.Length; j < Items; j++)
        {
            _rows[(panel * Items) + j] = -1;
        }

        _fresh[panel] = true;
    }

    /// <summary>
    /// Scores the items of panels <c>[firstPanel, firstPanel + panels)</c> for two users of the same rank:
    /// <c>scores[i] = baseScore + bias + p . q</c> (the bias only when <paramref name="withBias"/>), or the user's
    /// <c>missing</c> for an item without a row. <paramref name="scores1"/> and <paramref name="scores2"/> hold the users'
    /// scores of the whole catalog (as many as at the last <see cref="Refresh"/>). The two users may be the same (a user
    /// scored alone): each score is formed the same way either way.
    /// </summary>
    public void ScorePair(ReadOnlySpan<float> p1, ReadOnlySpan<float> p2, float baseScore1, float baseScore2, float missing1, float missing2,
        bool withBias, int firstPanel, int panels, Span<float> scores1, Span<float> scores2)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(p1.Length, _rank);
        ArgumentOutOfRangeException.ThrowIfNotEqual(p2.Length, _rank);
        ArgumentOutOfRangeException.ThrowIfLessThan(scores1.Length, _items);
        ArgumentOutOfRangeException.ThrowIfLessThan(scores2.Length, _items);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstPanel + panels, Panels);
        Span<float> tail1 = stackalloc float[Items];
        Span<float> tail2 = stackalloc float[Items];
        ref var user1 = ref MemoryMarshal.GetReference(p1);
        ref var user2 = ref MemoryMarshal.GetReference(p2);
        for (var panel = firstPanel; panel < firstPanel + panels; panel++)
        {
            var start = panel * Items;
            var whole = start + Items <= _items;
            ScorePanel(ref _data[panel * _stride], ref user1, ref user2, baseScore1, baseScore2, missing1, missing2, withBias,
                whole ? scores1[start..] : tail1, whole ? scores2[start..] : tail2);
            if (!whole)
            {
                tail1[..(_items - start)].CopyTo(scores1[start..]);
                tail2[..(_items - start)].CopyTo(scores2[start..]);
            }
        }
    }

    /// <summary>
    /// One panel for two users: per user and half panel, the even and the odd factors in two running sums (eight
    /// independent multiply-add chains, enough to keep two multiply-add units busy; each factor row of the panel is
    /// loaded once for both users), added at the end.
    /// </summary>
    private void ScorePanel(ref float panel, ref float user1, ref float user2, float baseScore1, float baseScore2, float missing1, float missing2,
        bool withBias, Span<float> scores1, Span<float> scores2)
    {
        Vector256<float> even1Low = Vector256<float>.Zero, even1High = even1Low, odd1Low = even1Low, odd1High = even1Low;
        Vector256<float> even2Low = even1Low, even2High = even1Low, odd2Low = even1Low, odd2High = even1Low;
        var f = 0;
        for (; f + 1 < _rank; f += 2)
        {
            Step(ref panel, ref user1, ref user2, f, ref even1Low, ref even1High, ref even2Low, ref even2High);
            Step(ref panel, ref user1, ref user2, f + 1, ref odd1Low, ref odd1High, ref odd2Low, ref odd2High);
        }

        // An odd rank: the last factor goes to the even sums.
        if (f < _rank)
        {
            Step(ref panel, ref user1, ref user2, f, ref even1Low, ref even1High, ref even2Low, ref even2High);
        }

        var biasOffset = (nuint)(_rank * Items);
        var biasLow = withBias ? Vector256.LoadUnsafe(ref panel, biasOffset) : Vector256<float>.Zero;
        var biasHigh = withBias ? Vector256.LoadUnsafe(ref panel, biasOffset + 8) : Vector256<float>.Zero;
        var presentLow = Vector256.LoadUnsafe(ref panel, biasOffset + Items);
        var presentHigh = Vector256.LoadUnsafe(ref panel, biasOffset + Items + 8);
        Finish(presentLow, presentHigh, biasLow, biasHigh, baseScore1, missing1, even1Low + odd1Low, even1High + odd1High, scores1);
        Finish(presentLow, presentHigh, biasLow, biasHigh, baseScore2, missing2, even2Low + odd2Low, even2High + odd2High, scores2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(ref float panel, ref float user1, ref float user2, int f, ref Vector256<float> low1, ref Vector256<float> high1,
        ref Vector256<float> low2, ref Vector256<float> high2)
    {
        var low = Vector256.LoadUnsafe(ref panel, (nuint)(f * Items));
        var high = Vector256.LoadUnsafe(ref panel, (nuint)((f * Items) + 8));
        var u = Vector256.Create(Unsafe.Add(ref user1, f));
        var v = Vector256.Create(Unsafe.Add(ref user2, f));
        low1 = FactorKernels.MultiplyAdd(u, low, low1);
        high1 = FactorKernels.MultiplyAdd(u, high, high1);
        low2 = FactorKernels.MultiplyAdd(v, low, low2);
        high2 = FactorKernels.MultiplyAdd(v, high, high2);
    }

    /// <summary>Stores base + bias + dot for the items with a row and the missing score for the others.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(Vector256<float> presentLow, Vector256<float> presentHigh, Vector256<float> biasLow, Vector256<float> biasHigh,
        float baseScore, float missing, Vector256<float> dotLow, Vector256<float> dotHigh, Span<float> scores)
    {
        var baseScores = Vector256.Create(baseScore);
        var missingScores = Vector256.Create(missing);
        ref var output = ref MemoryMarshal.GetReference(scores);
        Vector256.ConditionalSelect(presentLow, baseScores + biasLow + dotLow, missingScores).StoreUnsafe(ref output);
        Vector256.ConditionalSelect(presentHigh, baseScores + biasHigh + dotHigh, missingScores).StoreUnsafe(ref output, 8);
    }
}

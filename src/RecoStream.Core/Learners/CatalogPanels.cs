using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using RecoStream.Core.Ranking;

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
/// <para>
/// Where the CPU multiplies bytes (AVX-VNNI), the panels also hold an 8-bit copy of the factors, from which
/// <see cref="RankTop"/> picks a user's best items while scoring only a few of them exactly.
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

    // Whether a panel may be stale since the last Refresh (set by Invalidate): a Refresh with nothing stale, the same
    // catalog and rows that have not moved has nothing to look at.
    private bool _anyStale = true;

    // The 8-bit copy for ranking (RankTop), kept when the CPU multiplies bytes into sums of four (VNNI): per panel,
    // groups of four factors; group g holds 16 items of 4 bytes, item j's factors 4g..4g+3 each divided by the item's
    // scale, rounded (-127..127) and offset by 128. Per item: the scale (its largest |factor| / 127), the norm of what the
    // rounding left, that plus the norm of the codes times the scale (both for the error bound, see Upper), its bias
    // raised by 1e-5 of its size, and whether it is ranked exactly whatever its bound (factors or bias not finite, or a
    // scale too small or too large for the bound's arithmetic).
    private readonly int _groups;
    private readonly int _codeStride;
    private byte[] _codes = [];
    private float[] _scales = [];
    private float[] _residual = [];
    private float[] _reach = [];
    private float[] _biasUp = [];
    private bool[] _exact = [];
    private bool[] _excludedMark = [];
    private float[] _scratch = [];

    // Per panel: whether any of its items is ranked exactly, and whether its 8-bit copy is up to date.
    private bool[] _panelExact = [];
    private bool[] _coded = [];
    private bool _anyUncoded;

    /// <param name="rank">Factors per row.</param>
    public CatalogPanels(int rank)
    {
        _rank = rank;
        // rank rows of 16 factors, one of 16 biases, one of 16 presence masks.
        _stride = (rank + 2) * Items;
        _groups = (rank + 3) / 4;
        _codeStride = _groups * 4 * Items;
    }

    /// <summary>
    /// Whether <see cref="RankTop"/> is available: the CPU has the byte multiply-adds (AVX-VNNI) its pass uses.
    /// </summary>
    public static bool CanRank => AvxVnni.IsSupported && Avx2.IsSupported;

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
            _anyStale = true;
        }
    }

    /// <summary>Marks every panel stale (the table's rows were replaced).</summary>
    public void InvalidateAll()
    {
        Array.Clear(_fresh);
        _anyStale = true;
    }

    /// <summary>
    /// Brings the panels up to date with the catalog's rows (<paramref name="rows"/>, -1 for an item without one):
    /// rebuilds the stale panels, and, when <paramref name="rowsVersion"/> moved since the last call, those whose items'
    /// rows changed.
    /// </summary>
    public void Refresh(ReadOnlySpan<int> rows, long rowsVersion, ReadOnlySpan<float> factors, ReadOnlySpan<float> bias)
    {
        var n = rows.Length;
        var moved = rowsVersion != _rowsVersion;
        if (!_anyStale && !moved && n == _items)
        {
            return;
        }

        var panels = (n + Items - 1) / Items;
        if (panels > _fresh.Length)
        {
            var capacity = Math.Max(panels, _fresh.Length * 2);
            Array.Resize(ref _data, capacity * _stride);
            Array.Resize(ref _fresh, capacity);
            if (CanRank)
            {
                Array.Resize(ref _codes, capacity * _codeStride);
                Array.Resize(ref _scales, capacity * Items);
                Array.Resize(ref _residual, capacity * Items);
                Array.Resize(ref _reach, capacity * Items);
                Array.Resize(ref _biasUp, capacity * Items);
                Array.Resize(ref _exact, capacity * Items);
                Array.Resize(ref _scratch, capacity * Items);
                Array.Resize(ref _excludedMark, capacity * Items);
                Array.Resize(ref _panelExact, capacity);
                Array.Resize(ref _coded, capacity);
            }

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

        _anyStale = false;
    }

    private void Build(int panel, ReadOnlySpan<int> rows, ReadOnlySpan<float> factors, ReadOnlySpan<float> bias)
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

            var q = factors.Slice(row * _rank, _rank);
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

        if (CanRank)
        {
            // Its 8-bit copy is made when a ranking first needs it (scoring alone never does).
            _coded[panel] = false;
            _anyUncoded = true;
        }

        _fresh[panel] = true;
    }

    /// <summary>
    /// Makes the 8-bit copy of the panels built since the last ranking: from each panel's factors and biases, the items'
    /// codes, scales and bounds (an item without a row: codes of 0, scale 0).
    /// </summary>
    private void Code()
    {
        if (!_anyUncoded)
        {
            return;
        }

        for (var panel = 0; panel < Panels; panel++)
        {
            if (!_coded[panel])
            {
                Code(panel);
            }
        }

        _anyUncoded = false;
    }

    private void Code(int panel)
    {
        var data = _data.AsSpan(panel * _stride, _stride);
        var present = MemoryMarshal.Cast<float, int>(data[((_rank + 1) * Items)..]);
        var codes = _codes.AsSpan(panel * _codeStride, _codeStride);
        codes.Fill(128);
        _panelExact[panel] = false;
        for (var j = 0; j < Items; j++)
        {
            var item = (panel * Items) + j;
            _scales[item] = 0f;
            _residual[item] = 0f;
            _reach[item] = 0f;
            _biasUp[item] = 0f;
            _exact[item] = false;
            if (present[j] == 0)
            {
                continue;
            }

            var largest = 0f;
            for (var f = 0; f < _rank; f++)
            {
                largest = MathF.Max(largest, MathF.Abs(data[(f * Items) + j]));
            }

            var bias = data[(_rank * Items) + j];
            if (!float.IsFinite(largest) || !float.IsFinite(bias) || (largest != 0f && (largest < MinScaled || largest > MaxScaled)))
            {
                _exact[item] = true;
                _panelExact[panel] = true;
                continue;
            }

            _biasUp[item] = bias + (1e-5f * MathF.Abs(bias));
            if (largest == 0f)
            {
                // Every code 0 (offset 128, as filled): the approximate score is the exact one.
                continue;
            }

            var scale = largest / 127f;
            double squaredCodes = 0, squaredResiduals = 0;
            for (var f = 0; f < _rank; f++)
            {
                var value = data[(f * Items) + j];
                var code = Math.Clamp((int)MathF.Round(value / scale), -127, 127);
                squaredCodes += code * code;
                var residual = value - ((double)scale * code);
                squaredResiduals += residual * residual;
                codes[((f / 4) * 4 * Items) + (j * 4) + (f % 4)] = (byte)(code + 128);
            }

            // Norms rounded up (by far more than the roundings of the double sums).
            var residualNorm = Math.Sqrt(squaredResiduals) * (1 + 1e-6);
            _scales[item] = scale;
            _residual[item] = (float)residualNorm * (1 + 1e-6f);
            _reach[item] = (float)((scale * Math.Sqrt(squaredCodes) * (1 + 1e-6)) + residualNorm) * (1 + 1e-6f);
        }

        _coded[panel] = true;
    }

    /// <summary>The smallest and largest |factor| ranked from the 8-bit copy; beyond them an item or user is scored exactly.</summary>
    private const float MinScaled = 1e-15f;

    private const float MaxScaled = 1e15f;

    /// <summary>
    /// The k best items of the catalog for one user, as <see cref="TopKSelector.Select"/> picks them from the scores
    /// <see cref="ScorePair"/> gives (the same items, scores to the bit and order; <paramref name="excluded"/> left out),
    /// without scoring every item exactly. One pass over the panels scores each item from the 8-bit copy (four factors
    /// per multiply-add), with a bound on how far that approximate score can be from the exact one (from the roundings of
    /// the user's and the item's factors, with a margin for the float arithmetic of both). An item is scored exactly, in
    /// the order <see cref="ScorePanel"/> uses, and offered to the k best so far only when its approximate score plus
    /// bound reaches the k-th best exact score so far: an item that falls short scores below k items already found.
    /// Needs <see cref="CanRank"/> and panels fresh as of the last <see cref="Refresh"/>.
    /// </summary>
    public List<(int Index, float Score)> RankTop(ReadOnlySpan<float> p, float baseScore, float missing, bool withBias, int k,
        IReadOnlySet<int> excluded)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(p.Length, _rank);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (!CanRank)
        {
            throw new PlatformNotSupportedException("ranking from the 8-bit copy needs AVX-VNNI");
        }

        var n = _items;
        var largest = 0f;
        foreach (var value in p)
        {
            largest = MathF.Max(largest, MathF.Abs(value));
        }

        Code();
        if (!float.IsFinite(largest) || !float.IsFinite(baseScore) || largest < MinScaled || largest > MaxScaled)
        {
            // A user the bound's arithmetic does not cover (or all zeros): every item scored exactly.
            var scores = _scratch.AsSpan(0, n);
            ScorePair(p, p, baseScore, baseScore, missing, missing, withBias, 0, Panels, scores, scores);
            return TopKSelector.Select(scores, k, excluded);
        }

        // The user's codes, four to an int (as the items' groups), their sum, the norm of the codes (times the scale) and
        // the norm of what the rounding left (both rounded up).
        var userScale = largest / 127f;
        Span<int> packed = stackalloc int[_groups];
        packed.Clear();
        var sumOfCodes = 0;
        double squaredCodes = 0, squaredResiduals = 0;
        for (var f = 0; f < _rank; f++)
        {
            var code = Math.Clamp((int)MathF.Round(p[f] / userScale), -127, 127);
            sumOfCodes += code;
            squaredCodes += code * code;
            var residual = p[f] - ((double)userScale * code);
            squaredResiduals += residual * residual;
            packed[f / 4] |= (code & 0xFF) << (8 * (f % 4));
        }

        var codedNorm = (float)(userScale * Math.Sqrt(squaredCodes) * (1 + 1e-6)) * (1 + 1e-6f);
        var residualNorm = (float)(Math.Sqrt(squaredResiduals) * (1 + 1e-6)) * (1 + 1e-6f);

        var excludedIndices = TopKSelector.Indices(excluded);
        foreach (var index in excludedIndices)
        {
            if ((uint)index < (uint)n)
            {
                _excludedMark[index] = true;
            }
        }

        var best = new TopKSelector.Heap(k);
        try
        {
            Rank(packed, sumOfCodes, new UpperTerms(baseScore, missing, userScale, codedNorm, residualNorm, _rank), p, baseScore, missing, withBias, ref best);
        }
        finally
        {
            foreach (var index in excludedIndices)
            {
                if ((uint)index < (uint)n)
                {
                    _excludedMark[index] = false;
                }
            }
        }

        return best.Drain();
    }

    /// <summary>The pass of <see cref="RankTop"/>.</summary>
    private void Rank(ReadOnlySpan<int> packed, int sumOfCodes, in UpperTerms terms, ReadOnlySpan<float> p, float baseScore, float missing,
        bool withBias, ref TopKSelector.Heap best)
    {
        var n = _items;
        var offset = Vector256.Create(128 * sumOfCodes);
        ref var codes = ref MemoryMarshal.GetArrayDataReference(_codes);
        ref var scales = ref MemoryMarshal.GetArrayDataReference(_scales);
        ref var residuals = ref MemoryMarshal.GetArrayDataReference(_residual);
        ref var reaches = ref MemoryMarshal.GetArrayDataReference(_reach);
        ref var biases = ref MemoryMarshal.GetArrayDataReference(_biasUp);
        var reached = float.NegativeInfinity;
        for (var panel = 0; panel < Panels; panel++)
        {
            var start = panel * Items;
            if (_panelExact[panel])
            {
                // A panel with an item ranked exactly whatever its bound: all of its items scored exactly, in order.
                for (var i = start; i < Math.Min(n, start + Items); i++)
                {
                    Offer(i, p, baseScore, missing, withBias, ref best, ref reached);
                }

                continue;
            }

            ref var group = ref Unsafe.Add(ref codes, panel * _codeStride);
            Vector256<int> low = Vector256<int>.Zero, high = low, oddLow = low, oddHigh = low;
            var g = 0;
            for (; g + 1 < packed.Length; g += 2)
            {
                var user = Vector256.Create(packed[g]).AsSByte();
                var next = Vector256.Create(packed[g + 1]).AsSByte();
                low = AvxVnni.MultiplyWideningAndAdd(low, Vector256.LoadUnsafe(ref group, (nuint)(g * 64)), user);
                high = AvxVnni.MultiplyWideningAndAdd(high, Vector256.LoadUnsafe(ref group, (nuint)((g * 64) + 32)), user);
                oddLow = AvxVnni.MultiplyWideningAndAdd(oddLow, Vector256.LoadUnsafe(ref group, (nuint)((g * 64) + 64)), next);
                oddHigh = AvxVnni.MultiplyWideningAndAdd(oddHigh, Vector256.LoadUnsafe(ref group, (nuint)((g * 64) + 96)), next);
            }

            if (g < packed.Length)
            {
                var user = Vector256.Create(packed[g]).AsSByte();
                low = AvxVnni.MultiplyWideningAndAdd(low, Vector256.LoadUnsafe(ref group, (nuint)(g * 64)), user);
                high = AvxVnni.MultiplyWideningAndAdd(high, Vector256.LoadUnsafe(ref group, (nuint)((g * 64) + 32)), user);
            }

            ref var data = ref _data[panel * _stride];
            var presentOffset = (nuint)((_rank + 1) * Items);
            var at = (nuint)start;
            var biasLow = withBias ? Vector256.LoadUnsafe(ref biases, at) : Vector256<float>.Zero;
            var biasHigh = withBias ? Vector256.LoadUnsafe(ref biases, at + 8) : Vector256<float>.Zero;
            var upperLow = Upper(low + oddLow - offset, Vector256.LoadUnsafe(ref scales, at), Vector256.LoadUnsafe(ref residuals, at),
                Vector256.LoadUnsafe(ref reaches, at), biasLow,
                Vector256.LoadUnsafe(ref data, presentOffset), terms);
            var upperHigh = Upper(high + oddHigh - offset, Vector256.LoadUnsafe(ref scales, at + 8), Vector256.LoadUnsafe(ref residuals, at + 8),
                Vector256.LoadUnsafe(ref reaches, at + 8), biasHigh,
                Vector256.LoadUnsafe(ref data, presentOffset + 8), terms);

            // NaN fails the comparisons.
            var limit = Vector256.Create(reached);
            var reaching = Vector256.GreaterThanOrEqual(upperLow, limit).ExtractMostSignificantBits()
                | (Vector256.GreaterThanOrEqual(upperHigh, limit).ExtractMostSignificantBits() << 8);
            while (reaching != 0)
            {
                var i = start + BitOperations.TrailingZeroCount(reaching);
                reaching &= reaching - 1;
                if (i >= n)
                {
                    break;
                }

                Offer(i, p, baseScore, missing, withBias, ref best, ref reached);
            }
        }
    }

    /// <summary>
    /// Base + bias + the approximate dot, plus the bound; the missing score for an item without a row. With p = sp P + dp
    /// and q = sq Q + e (codes times scales, and what the rounding left), p.q - sp sq P.Q = sp P.e + sq dp.Q + dp.e, so by
    /// Cauchy-Schwarz the dot is off by at most <c>|sp P| |e| + |dp| (|sq Q| + |e|)</c>. The bound of item i is that widened
    /// by 1%, plus max(1e-5, 4e-7 rank) (|sp P| + |dp|) (|sq Q| + |e|) for the float arithmetic on the dot products (more
    /// than five times what the rank's roundings can add up to) and 1e-5 (|base| + |bias_i|) for that on base and bias.
    /// Laid out as
    /// <c>(base + 1e-5 |base|) + biasUp_i + scale_i * userScale * dot + a * residual_i + b * reach_i</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Upper(Vector256<int> dot, Vector256<float> scale, Vector256<float> residual, Vector256<float> reach,
        Vector256<float> biasUp, Vector256<float> present, in UpperTerms terms)
    {
        var upper = FactorKernels.MultiplyAdd(scale, Vector256.ConvertToSingle(dot) * terms.UserScales, biasUp + terms.BaseUp);
        upper = FactorKernels.MultiplyAdd(terms.ResidualWeight, residual, upper);
        upper = FactorKernels.MultiplyAdd(terms.ReachWeight, reach, upper);
        return Vector256.ConditionalSelect(present, upper, terms.MissingScores);
    }

    /// <summary>A user's constants of <see cref="Upper"/>: <paramref name="codedNorm"/> |sp P|, <paramref name="residualNorm"/> |dp|.</summary>
    private readonly struct UpperTerms(float baseScore, float missing, float userScale, float codedNorm, float residualNorm, int rank)
    {
        public readonly Vector256<float> BaseUp = Vector256.Create(baseScore + (1e-5f * MathF.Abs(baseScore)));
        public readonly Vector256<float> MissingScores = Vector256.Create(missing);
        public readonly Vector256<float> UserScales = Vector256.Create(userScale);
        public readonly Vector256<float> ResidualWeight = Vector256.Create(1.01f * codedNorm);
        public readonly Vector256<float> ReachWeight = Vector256.Create((1.01f * residualNorm) + (Math.Max(1e-5f, rank * 4e-7f) * (codedNorm + residualNorm)));
    }

    /// <summary>Scores item i exactly and offers it to the best so far (not when excluded or NaN).</summary>
    private void Offer(int item, ReadOnlySpan<float> p, float baseScore, float missing, bool withBias, ref TopKSelector.Heap best, ref float reached)
    {
        if (_excludedMark[item])
        {
            return;
        }

        var score = Exact(item, p, baseScore, missing, withBias);
        if (!float.IsNaN(score))
        {
            best.Offer(score, item);
            reached = best.Full ? best.Worst : float.NegativeInfinity;
        }
    }

    /// <summary>
    /// Item i's score exactly as <see cref="ScorePanel"/> forms it: the even and the odd factors in two multiply-add chains
    /// (an odd rank's last factor in the even one), added, then added to base + bias.
    /// </summary>
    private float Exact(int item, ReadOnlySpan<float> p, float baseScore, float missing, bool withBias)
    {
        var panel = item / Items;
        var j = item % Items;
        ref var data = ref _data[panel * _stride];
        if (Unsafe.As<float, int>(ref Unsafe.Add(ref data, ((_rank + 1) * Items) + j)) == 0)
        {
            return missing;
        }

        float even = 0f, odd = 0f;
        var f = 0;
        for (; f + 1 < _rank; f += 2)
        {
            even = FactorKernels.MultiplyAdd(p[f], Unsafe.Add(ref data, (f * Items) + j), even);
            odd = FactorKernels.MultiplyAdd(p[f + 1], Unsafe.Add(ref data, ((f + 1) * Items) + j), odd);
        }

        if (f < _rank)
        {
            even = FactorKernels.MultiplyAdd(p[f], Unsafe.Add(ref data, (f * Items) + j), even);
        }

        var bias = withBias ? Unsafe.Add(ref data, (_rank * Items) + j) : 0f;
        return baseScore + bias + (even + odd);
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

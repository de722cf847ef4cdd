using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RecoStream.Core.Learners;

/// <summary>
/// The scoring loop of top-k: one user's factors against many item rows of a factor array. At a rank that is a
/// multiple of 8 with 256-bit vectors it keeps the running sums in registers and reads each row once (a call to a
/// general dot product per row costs more than the row's arithmetic at rank 32); otherwise it falls back to
/// <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>.
/// </summary>
internal static class FactorKernels
{
    /// <summary>
    /// <c>scores[c] = baseScore + bias[rows[c]] + p . factors[rows[c] * rank ..]</c> with rank = <c>p.Length</c> (no bias
    /// term when <paramref name="bias"/> is empty), and <paramref name="missing"/> where the row is negative: one pass
    /// over the rows, writing each score once. An empty <paramref name="p"/> (an unknown user) scores base and bias only.
    /// </summary>
    public static void ScoreRows(ReadOnlySpan<float> p, ReadOnlySpan<float> factors, ReadOnlySpan<float> bias, float baseScore, float missing, ReadOnlySpan<int> rows,
        Span<float> scores)
    {
        var rank = p.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(scores.Length, rows.Length);
        if (!Vector256.IsHardwareAccelerated || rank % Vector256<float>.Count != 0)
        {
            for (var r = 0; r < rows.Length; r++)
            {
                var row = rows[r];
                scores[r] = row < 0 ? missing : baseScore + (bias.IsEmpty ? 0f : bias[row]) + TensorPrimitives.Dot(p, factors.Slice(row * rank, rank));
            }

            return;
        }

        ref var user = ref MemoryMarshal.GetReference(p);
        var c = 0;
        while (c < rows.Length)
        {
            if (Avx.IsSupported)
            {
                // Groups of four present rows; the common ranks with the user's factors held in registers.
                c += rank switch
                {
                    32 => ScoreFours<Vectors4>(ref user, rank, factors, bias, baseScore, rows[c..], scores[c..]),
                    64 => ScoreFours<Vectors8>(ref user, rank, factors, bias, baseScore, rows[c..], scores[c..]),
                    _ => ScoreFours<AnyWidth>(ref user, rank, factors, bias, baseScore, rows[c..], scores[c..]),
                };
            }

            // Where the groups stopped: a group with a missing row, or the last few rows (all of them without AVX).
            var end = Avx.IsSupported ? Math.Min(c + 4, rows.Length) : rows.Length;
            for (; c < end; c++)
            {
                scores[c] = Score(ref user, factors, bias, baseScore, missing, rows[c], rank);
            }
        }
    }

    /// <summary>
    /// <see cref="ScoreRows"/> for two users over the same rows (the same rank): each group of rows is read once for both,
    /// and the two users' eight running sums keep the multiply-add units busy where one user's four wait on each other.
    /// Each user's sums are formed in the same order as alone: the same scores to the bit.
    /// </summary>
    public static void ScoreRowsPair(ReadOnlySpan<float> p1, ReadOnlySpan<float> p2, ReadOnlySpan<float> factors, ReadOnlySpan<float> bias, float baseScore1, float baseScore2,
        float missing1, float missing2, ReadOnlySpan<int> rows, Span<float> scores1, Span<float> scores2)
    {
        var rank = p1.Length;
        ArgumentOutOfRangeException.ThrowIfNotEqual(p2.Length, rank);
        ArgumentOutOfRangeException.ThrowIfLessThan(scores1.Length, rows.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(scores2.Length, rows.Length);
        if (!Avx.IsSupported || rank is not (32 or 64))
        {
            ScoreRows(p1, factors, bias, baseScore1, missing1, rows, scores1);
            ScoreRows(p2, factors, bias, baseScore2, missing2, rows, scores2);
            return;
        }

        ref var user1 = ref MemoryMarshal.GetReference(p1);
        ref var user2 = ref MemoryMarshal.GetReference(p2);
        var c = 0;
        while (c < rows.Length)
        {
            c += rank == 32
                ? ScorePairFours<Vectors4>(ref user1, ref user2, factors, bias, baseScore1, baseScore2, rows[c..], scores1[c..], scores2[c..])
                : ScorePairFours<Vectors8>(ref user1, ref user2, factors, bias, baseScore1, baseScore2, rows[c..], scores1[c..], scores2[c..]);
            for (var end = Math.Min(c + 4, rows.Length); c < end; c++)
            {
                scores1[c] = Score(ref user1, factors, bias, baseScore1, missing1, rows[c], rank);
                scores2[c] = Score(ref user2, factors, bias, baseScore2, missing2, rows[c], rank);
            }
        }
    }

    /// <summary><see cref="ScoreFours{TWidth}"/> for two users at a rank fixed by <typeparamref name="TWidth"/> (32 or 64).</summary>
    private static int ScorePairFours<TWidth>(ref float user1, ref float user2, ReadOnlySpan<float> factors, ReadOnlySpan<float> bias, float baseScore1, float baseScore2,
        ReadOnlySpan<int> rows, Span<float> scores1, Span<float> scores2)
        where TWidth : struct, IRowWidth
    {
        var n = TWidth.Vectors;
        var rank = n * Vector256<float>.Count;
        var c = 0;
        for (; c + 4 <= rows.Length; c += 4)
        {
            int r0 = rows[c], r1 = rows[c + 1], r2 = rows[c + 2], r3 = rows[c + 3];
            if ((r0 | r1 | r2 | r3) < 0)
            {
                break;
            }

            ref var q0 = ref RowOf(factors, r0, rank);
            ref var q1 = ref RowOf(factors, r1, rank);
            ref var q2 = ref RowOf(factors, r2, rank);
            ref var q3 = ref RowOf(factors, r3, rank);
            Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (var f = 0; f < rank; f += Vector256<float>.Count)
            {
                var x0 = Vector256.LoadUnsafe(ref q0, (nuint)f);
                var x1 = Vector256.LoadUnsafe(ref q1, (nuint)f);
                var x2 = Vector256.LoadUnsafe(ref q2, (nuint)f);
                var x3 = Vector256.LoadUnsafe(ref q3, (nuint)f);
                var u = Vector256.LoadUnsafe(ref user1, (nuint)f);
                var v = Vector256.LoadUnsafe(ref user2, (nuint)f);
                a0 = MultiplyAdd(u, x0, a0);
                a1 = MultiplyAdd(u, x1, a1);
                a2 = MultiplyAdd(u, x2, a2);
                a3 = MultiplyAdd(u, x3, a3);
                b0 = MultiplyAdd(v, x0, b0);
                b1 = MultiplyAdd(v, x1, b1);
                b2 = MultiplyAdd(v, x2, b2);
                b3 = MultiplyAdd(v, x3, b3);
            }

            StoreFour(a0, a1, a2, a3, bias, baseScore1, r0, r1, r2, r3, scores1, c);
            StoreFour(b0, b1, b2, b3, bias, baseScore2, r0, r1, r2, r3, scores2, c);
        }

        return c;
    }

    /// <summary>
    /// Scores rows four at a time while the next four are all present (stops at the first group with a missing row, or
    /// fewer than four left; returns where it stopped). Four independent sums, reduced together with three horizontal adds
    /// instead of a full reduction per row. When <typeparamref name="TWidth"/> fixes the rank (a struct type argument, so
    /// the JIT compiles a copy per rank) the user's vectors are loaded once into registers and the loop over the factors
    /// is unrolled; <see cref="AnyWidth"/> takes <paramref name="rank"/> as it comes. Either way the same sums in the same
    /// order: the same scores to the bit.
    /// </summary>
    private static int ScoreFours<TWidth>(ref float user, int rank, ReadOnlySpan<float> factors, ReadOnlySpan<float> bias, float baseScore, ReadOnlySpan<int> rows,
        Span<float> scores)
        where TWidth : struct, IRowWidth
    {
        var n = TWidth.Vectors;
        Vector256<float> u0 = default, u1 = default, u2 = default, u3 = default, u4 = default, u5 = default, u6 = default, u7 = default;
        if (n != 0)
        {
            rank = n * Vector256<float>.Count;
            u0 = Vector256.LoadUnsafe(ref user, 0);
            u1 = Vector256.LoadUnsafe(ref user, 8);
            u2 = Vector256.LoadUnsafe(ref user, 16);
            u3 = Vector256.LoadUnsafe(ref user, 24);
        }

        if (n == 8)
        {
            u4 = Vector256.LoadUnsafe(ref user, 32);
            u5 = Vector256.LoadUnsafe(ref user, 40);
            u6 = Vector256.LoadUnsafe(ref user, 48);
            u7 = Vector256.LoadUnsafe(ref user, 56);
        }

        var c = 0;
        for (; c + 4 <= rows.Length; c += 4)
        {
            int r0 = rows[c], r1 = rows[c + 1], r2 = rows[c + 2], r3 = rows[c + 3];
            if ((r0 | r1 | r2 | r3) < 0)
            {
                break;
            }

            ref var q0 = ref RowOf(factors, r0, rank);
            ref var q1 = ref RowOf(factors, r1, rank);
            ref var q2 = ref RowOf(factors, r2, rank);
            ref var q3 = ref RowOf(factors, r3, rank);
            Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
            if (n == 0)
            {
                for (var f = 0; f < rank; f += Vector256<float>.Count)
                {
                    Step(Vector256.LoadUnsafe(ref user, (nuint)f), (nuint)f, ref q0, ref q1, ref q2, ref q3, ref a0, ref a1, ref a2, ref a3);
                }
            }
            else
            {
                Step(u0, 0, ref q0, ref q1, ref q2, ref q3, ref a0, ref a1, ref a2, ref a3);
                Step(u1, 8, ref q0, ref q1, ref q2, ref q3, ref a0, ref a1, ref a2, ref a3);
                Step(u2, 16, ref q0, ref q1, ref q2, ref q3, ref a0, ref a1, ref a2, ref a3);
                Step(u3, 24, ref q0, ref q1, ref q2, ref q3, ref a0, ref a1, ref a2, ref a3);
            }

            if (n == 8)
            {
                Step(u4, 32, ref q0, ref q1, ref q2, ref q3, ref a0, ref a1, ref a2, ref a3);
                Step(u5, 40, ref q0, ref q1, ref q2, ref q3, ref a0, ref a1, ref a2, ref a3);
                Step(u6, 48, ref q0, ref q1, ref q2, ref q3, ref a0, ref a1, ref a2, ref a3);
                Step(u7, 56, ref q0, ref q1, ref q2, ref q3, ref a0, ref a1, ref a2, ref a3);
            }

            StoreFour(a0, a1, a2, a3, bias, baseScore, r0, r1, r2, r3, scores, c);
        }

        return c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(Vector256<float> u, nuint f, ref float q0, ref float q1, ref float q2, ref float q3,
        ref Vector256<float> a0, ref Vector256<float> a1, ref Vector256<float> a2, ref Vector256<float> a3)
    {
        a0 = MultiplyAdd(u, Vector256.LoadUnsafe(ref q0, f), a0);
        a1 = MultiplyAdd(u, Vector256.LoadUnsafe(ref q1, f), a1);
        a2 = MultiplyAdd(u, Vector256.LoadUnsafe(ref q2, f), a2);
        a3 = MultiplyAdd(u, Vector256.LoadUnsafe(ref q3, f), a3);
    }

    /// <summary>Reduces four rows' sums with three horizontal adds and stores base + bias + sum for each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFour(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3, ReadOnlySpan<float> bias, float baseScore,
        int r0, int r1, int r2, int r3, Span<float> scores, int c)
    {
        var sums = Avx.HorizontalAdd(Avx.HorizontalAdd(a0, a1), Avx.HorizontalAdd(a2, a3));
        var offsets = bias.IsEmpty ? Vector128.Create(baseScore) : Vector128.Create(baseScore) + Vector128.Create(bias[r0], bias[r1], bias[r2], bias[r3]);
        (offsets + sums.GetLower() + sums.GetUpper()).StoreUnsafe(ref MemoryMarshal.GetReference(scores), (nuint)c);
    }

    /// <summary>A rank known at compile time, in 256-bit vectors (a struct type argument makes the JIT specialise for it).</summary>
    private interface IRowWidth
    {
        static abstract int Vectors { get; }
    }

    /// <summary>Any rank (a multiple of 8), known at run time.</summary>
    private struct AnyWidth : IRowWidth
    {
        public static int Vectors => 0;
    }

    private struct Vectors4 : IRowWidth
    {
        public static int Vectors => 4;
    }

    private struct Vectors8 : IRowWidth
    {
        public static int Vectors => 8;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Score(ref float user, ReadOnlySpan<float> factors, ReadOnlySpan<float> bias, float baseScore, float missing, int row, int rank) =>
        row < 0 ? missing : baseScore + (bias.IsEmpty ? 0f : bias[row]) + Dot(ref user, ref RowOf(factors, row, rank), rank);

    /// <summary>The first factor of a row; a row of the table is inside the array by construction, checked once per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float RowOf(ReadOnlySpan<float> factors, int row, int rank)
    {
        if ((uint)((row + 1) * rank) > (uint)factors.Length)
        {
            ThrowOutside(row);
        }

        return ref Unsafe.Add(ref MemoryMarshal.GetReference(factors), row * rank);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(ref float user, ref float item, int rank)
    {
        var even = Vector256<float>.Zero;
        var odd = Vector256<float>.Zero;
        var f = 0;
        for (; f + (2 * Vector256<float>.Count) <= rank; f += 2 * Vector256<float>.Count)
        {
            even = MultiplyAdd(Vector256.LoadUnsafe(ref user, (nuint)f), Vector256.LoadUnsafe(ref item, (nuint)f), even);
            odd = MultiplyAdd(Vector256.LoadUnsafe(ref user, (nuint)(f + 8)), Vector256.LoadUnsafe(ref item, (nuint)(f + 8)), odd);
        }

        if (f < rank)
        {
            even = MultiplyAdd(Vector256.LoadUnsafe(ref user, (nuint)f), Vector256.LoadUnsafe(ref item, (nuint)f), even);
        }

        return Vector256.Sum(even + odd);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> sum) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, sum) : sum + (a * b);

    /// <summary>One lane of <see cref="MultiplyAdd(Vector256{float}, Vector256{float}, Vector256{float})"/>: the same bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float MultiplyAdd(float a, float b, float sum) => Fma.IsSupported ? MathF.FusedMultiplyAdd(a, b, sum) : sum + (a * b);

    private static void ThrowOutside(int row) => throw new InvalidOperationException($"row {row} is outside the factor table");
}

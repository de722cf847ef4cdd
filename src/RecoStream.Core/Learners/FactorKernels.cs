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
    /// term when <paramref name="bias"/> is null), and <paramref name="missing"/> where the row is negative: one pass
    /// over the rows, writing each score once. An empty <paramref name="p"/> (an unknown user) scores base and bias only.
    /// </summary>
    public static void ScoreRows(ReadOnlySpan<float> p, float[] factors, float[]? bias, float baseScore, float missing, ReadOnlySpan<int> rows,
        Span<float> scores)
    {
        var rank = p.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(scores.Length, rows.Length);
        if (!Vector256.IsHardwareAccelerated || rank % Vector256<float>.Count != 0)
        {
            for (var r = 0; r < rows.Length; r++)
            {
                var row = rows[r];
                scores[r] = row < 0 ? missing : baseScore + (bias is null ? 0f : bias[row]) + TensorPrimitives.Dot(p, factors.AsSpan(row * rank, rank));
            }

            return;
        }

        ref var user = ref MemoryMarshal.GetReference(p);
        var c = 0;
        if (Avx.IsSupported)
        {
            // Four rows at a time: four independent sums, reduced together with three horizontal adds instead of a
            // full reduction per row.
            for (; c + 4 <= rows.Length; c += 4)
            {
                int r0 = rows[c], r1 = rows[c + 1], r2 = rows[c + 2], r3 = rows[c + 3];
                if ((r0 | r1 | r2 | r3) < 0)
                {
                    for (var one = c; one < c + 4; one++)
                    {
                        scores[one] = Score(ref user, factors, bias, baseScore, missing, rows[one], rank);
                    }

                    continue;
                }

                ref var q0 = ref RowOf(factors, r0, rank);
                ref var q1 = ref RowOf(factors, r1, rank);
                ref var q2 = ref RowOf(factors, r2, rank);
                ref var q3 = ref RowOf(factors, r3, rank);
                Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
                for (var f = 0; f < rank; f += Vector256<float>.Count)
                {
                    var u = Vector256.LoadUnsafe(ref user, (nuint)f);
                    a0 = MultiplyAdd(u, Vector256.LoadUnsafe(ref q0, (nuint)f), a0);
                    a1 = MultiplyAdd(u, Vector256.LoadUnsafe(ref q1, (nuint)f), a1);
                    a2 = MultiplyAdd(u, Vector256.LoadUnsafe(ref q2, (nuint)f), a2);
                    a3 = MultiplyAdd(u, Vector256.LoadUnsafe(ref q3, (nuint)f), a3);
                }

                var sums = Avx.HorizontalAdd(Avx.HorizontalAdd(a0, a1), Avx.HorizontalAdd(a2, a3));
                var offsets = bias is null ? Vector128.Create(baseScore) : Vector128.Create(baseScore) + Vector128.Create(bias[r0], bias[r1], bias[r2], bias[r3]);
                (offsets + sums.GetLower() + sums.GetUpper()).StoreUnsafe(ref MemoryMarshal.GetReference(scores), (nuint)c);
            }
        }

        for (; c < rows.Length; c++)
        {
            scores[c] = Score(ref user, factors, bias, baseScore, missing, rows[c], rank);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Score(ref float user, float[] factors, float[]? bias, float baseScore, float missing, int row, int rank) =>
        row < 0 ? missing : baseScore + (bias is null ? 0f : bias[row]) + Dot(ref user, ref RowOf(factors, row, rank), rank);

    /// <summary>The first factor of a row; a row of the table is inside the array by construction, checked once per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float RowOf(float[] factors, int row, int rank)
    {
        if ((uint)((row + 1) * rank) > (uint)factors.Length)
        {
            ThrowOutside(row);
        }

        return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(factors), row * rank);
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
    private static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> sum) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, sum) : sum + (a * b);

    private static void ThrowOutside(int row) => throw new InvalidOperationException($"row {row} is outside the factor table");
}

using System.Numerics;

namespace RecoStream.Core.Processing;

/// <summary>
/// A HyperLogLog sketch (Flajolet et al. 2007, with the small-range correction) of the distinct 64-bit keys added:
/// 2^14 one-byte registers, about 0.8% standard error, constant memory, nothing allocated per key.
/// </summary>
public sealed class KeySketch
{
    /// <summary>Register index bits.</summary>
    public const int Precision = 14;

    private const int RegisterCount = 1 << Precision;
    private readonly byte[] _registers = new byte[RegisterCount];

    /// <summary>Adds a key (already well mixed, such as a <see cref="KeyHash"/>).</summary>
    public void Add(ulong key)
    {
        var index = (int)(key >> (64 - Precision));
        var rest = (key << Precision) | (1UL << (Precision - 1));
        var rank = (byte)(BitOperations.LeadingZeroCount(rest) + 1);
        if (rank > _registers[index])
        {
            _registers[index] = rank;
        }
    }

    /// <summary>The estimated number of distinct keys added.</summary>
    public double Estimate()
    {
        var sum = 0.0;
        var zeros = 0;
        foreach (var r in _registers)
        {
            sum += Math.ScaleB(1.0, -r);
            zeros += r == 0 ? 1 : 0;
        }

        const double M = RegisterCount;
        var alpha = 0.7213 / (1.0 + 1.079 / M);
        var raw = alpha * M * M / sum;
        return raw <= 2.5 * M && zeros > 0 ? M * Math.Log(M / zeros) : raw;
    }

    /// <summary>
    /// The expected number of keys that share their slot with another key when <paramref name="distinct"/> keys are
    /// hashed into 2^<paramref name="bits"/> slots: n - m (1 - (1 - 1/m)^n).
    /// </summary>
    public static double ExpectedCollisions(double distinct, int bits)
    {
        var m = Math.ScaleB(1.0, bits);
        var occupied = m * -double.ExpM1(distinct * Math.Log(1.0 - 1.0 / m));
        return Math.Max(0.0, distinct - occupied);
    }

    /// <summary>The registers, for a checkpoint.</summary>
    public byte[] Snapshot() => (byte[])_registers.Clone();

    /// <summary>Restores the registers from a checkpoint (ignored unless it has the right size).</summary>
    public void Restore(byte[] registers)
    {
        if (registers.Length == RegisterCount)
        {
            registers.CopyTo(_registers, 0);
        }
    }
}

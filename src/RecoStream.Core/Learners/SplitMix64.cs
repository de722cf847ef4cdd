namespace RecoStream.Core.Learners;

/// <summary>
/// SplitMix64: a tiny generator whose whole state is one ulong, so it can be derived from an id or checkpointed
/// (System.Random's state can be neither).
/// </summary>
internal static class SplitMix64
{
    public static ulong Next(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A double in [0, 1).</summary>
    public static double NextUnit(ref ulong state) => (Next(ref state) >> 11) * (1.0 / (1UL << 53));
}

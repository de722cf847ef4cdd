namespace RecoStream.Core.Learners;

/// <summary>
/// Initial latent factors drawn from N(0, std^2) by a generator seeded with the seed and the id, so a row gets the
/// same start whenever it is created (before or after a restart, in any order of arrival).
/// </summary>
internal static class FactorInitializer
{
    /// <summary>An initializer for the rows of one table (users or items).</summary>
    public static Action<string, Span<float>> For(char ns, int seed, double std) => (id, factors) => Fill(ns, id, seed, std, factors);

    public static void Fill(char ns, string id, int seed, double std, Span<float> factors)
    {
        var state = ((ulong)FeatureHasher.Hash(ns, id) << 32) ^ (uint)seed;
        for (var f = 0; f < factors.Length; f++)
        {
            var u1 = 1.0 - SplitMix64.NextUnit(ref state);
            var u2 = SplitMix64.NextUnit(ref state);
            factors[f] = (float)(std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
        }
    }
}

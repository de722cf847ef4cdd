namespace RecoStream.Core.Learners;

/// <summary>
/// The hashing trick: maps a (namespace, name) pair to a slot of a 2^bits weight table.
/// FNV-1a over the UTF-16 code units, seeded by the namespace, then MurmurHash3's finalizer so that
/// the low bits used by the mask are well mixed. Stable across processes and platforms (checkpoints rely on it).
/// </summary>
public static class FeatureHasher
{
    /// <summary>Namespace of user-id features.</summary>
    public const char UserNamespace = 'u';

    /// <summary>Namespace of item-id features.</summary>
    public const char ItemNamespace = 'i';

    /// <summary>Namespace of numeric event features.</summary>
    public const char FeatureNamespace = 'f';

    /// <summary>Namespace of categorical (string-valued) features, hashed as <c>name=value</c>.</summary>
    public const char CategoryNamespace = 'c';

    /// <summary>Namespace of the bias feature.</summary>
    public const char BiasNamespace = 'b';

    /// <summary>The 32-bit hash of a name within a namespace.</summary>
    public static uint Hash(char ns, ReadOnlySpan<char> name)
    {
        const uint Prime = 16777619;
        var h = 2166136261u;
        h = (h ^ ns) * Prime;
        h = (h ^ 0x1F) * Prime;
        foreach (var c in name)
        {
            h = (h ^ (byte)c) * Prime;
            h = (h ^ (uint)(c >> 8)) * Prime;
        }

        h ^= h >> 16;
        h *= 0x85EBCA6B;
        h ^= h >> 13;
        h *= 0xC2B2AE35;
        h ^= h >> 16;
        return h;
    }

    /// <summary>The slot of a name in a table of 2^bits weights.</summary>
    public static int Slot(char ns, ReadOnlySpan<char> name, int bits) => (int)(Hash(ns, name) & ((1u << bits) - 1));
}

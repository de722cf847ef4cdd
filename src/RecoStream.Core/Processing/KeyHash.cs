namespace RecoStream.Core.Processing;

/// <summary>
/// Stable 64-bit hashes of ids and event keys: FNV-1a over the UTF-16 code units, then MurmurHash3's 64-bit finalizer.
/// Deterministic across processes (deduplication keys and key sketches are checkpointed).
/// </summary>
public static class KeyHash
{
    /// <summary>The hash of an id within a namespace.</summary>
    public static ulong Of(char ns, ReadOnlySpan<char> id)
    {
        const ulong Prime = 1099511628211UL;
        var h = 14695981039346656037UL;
        h = (h ^ ns) * Prime;
        foreach (var c in id)
        {
            h = (h ^ c) * Prime;
        }

        return Mix(h);
    }

    /// <summary>Combines hashes and numbers into one key.</summary>
    public static ulong Combine(ulong a, ulong b) => Mix(a ^ (b + 0x9E3779B97F4A7C15UL + (a << 6) + (a >> 2)));

    /// <summary>MurmurHash3's fmix64.</summary>
    public static ulong Mix(ulong h)
    {
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53UL;
        h ^= h >> 33;
        return h;
    }
}

using System.Runtime.CompilerServices;

namespace RecoStream.Core.Learners;

/// <summary>
/// A map from ids to the slots that hold them, for a table that keeps each slot's id itself (<c>ids[slot]</c>): open
/// addressing with linear probing over buckets of 8 bytes (the id's hash and its slot), so an entry costs about 11 bytes
/// at the usual load instead of a dictionary's 28 (an entry of 24 bytes and a bucket of 4, at a prime capacity above
/// the count). The ids are not stored: a probe whose hash matches compares with <c>ids[slot]</c>. Removal shifts the
/// entries that follow back, so there are no tombstones.
/// </summary>
internal sealed class IdIndex
{
    // Bucket: the id's hash in the high 32 bits, slot + 1 in the low 32 (0: empty).
    private ulong[] _buckets = new ulong[16];
    private int _mask = 15;

    /// <summary>How many ids the index holds.</summary>
    public int Count { get; private set; }

    /// <summary>The slot of <paramref name="id"/>, or false when the index has none.</summary>
    public bool TryGetValue(string id, string?[] ids, out int slot)
    {
        var hash = Hash(id);
        for (var b = (int)hash & _mask; ; b = (b + 1) & _mask)
        {
            var bucket = _buckets[b];
            if (bucket == 0)
            {
                slot = -1;
                return false;
            }

            if ((uint)(bucket >> 32) == hash)
            {
                var candidate = (int)(uint)bucket - 1;
                if (string.Equals(ids[candidate], id, StringComparison.Ordinal))
                {
                    slot = candidate;
                    return true;
                }
            }
        }
    }

    /// <summary>Adds <paramref name="id"/> at <paramref name="slot"/>; the id must not be in the index yet.</summary>
    public void Add(string id, int slot)
    {
        if (Count + 1 > (_buckets.Length >> 2) * 3)
        {
            Resize(_buckets.Length * 2);
        }

        Insert(Hash(id), slot);
        Count++;
    }

    /// <summary>Removes <paramref name="id"/> (still at its slot in <paramref name="ids"/>); false when it is not there.</summary>
    public bool Remove(string id, string?[] ids)
    {
        var hash = Hash(id);
        var b = (int)hash & _mask;
        while (true)
        {
            var bucket = _buckets[b];
            if (bucket == 0)
            {
                return false;
            }

            if ((uint)(bucket >> 32) == hash && string.Equals(ids[(int)(uint)bucket - 1], id, StringComparison.Ordinal))
            {
                break;
            }

            b = (b + 1) & _mask;
        }

        // Backward shift: each entry after the hole that probed past it moves into it.
        var hole = b;
        for (var next = (hole + 1) & _mask; _buckets[next] != 0; next = (next + 1) & _mask)
        {
            var home = (int)(uint)(_buckets[next] >> 32) & _mask;
            // The entry at next may fill the hole when its home is not in (hole, next] cyclically.
            var stays = hole <= next ? home > hole && home <= next : home > hole || home <= next;
            if (!stays)
            {
                _buckets[hole] = _buckets[next];
                hole = next;
            }
        }

        _buckets[hole] = 0;
        Count--;
        return true;
    }

    /// <summary>Every slot in the index, in no particular order.</summary>
    public IEnumerable<int> Slots()
    {
        foreach (var bucket in _buckets)
        {
            if (bucket != 0)
            {
                yield return (int)(uint)bucket - 1;
            }
        }
    }

    public void Clear()
    {
        _buckets = new ulong[16];
        _mask = 15;
        Count = 0;
    }

    private void Insert(uint hash, int slot)
    {
        var b = (int)hash & _mask;
        while (_buckets[b] != 0)
        {
            b = (b + 1) & _mask;
        }

        _buckets[b] = ((ulong)hash << 32) | (uint)(slot + 1);
    }

    private void Resize(int capacity)
    {
        var old = _buckets;
        _buckets = new ulong[capacity];
        _mask = capacity - 1;
        foreach (var bucket in old)
        {
            if (bucket != 0)
            {
                Insert((uint)(bucket >> 32), (int)(uint)bucket - 1);
            }
        }
    }

    // The runtime's string hash: well mixed in every bit (the low ones pick the bucket), and randomized per process, so
    // that crafted ids cannot aim at one probe chain.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Hash(string id) => (uint)id.GetHashCode();
}

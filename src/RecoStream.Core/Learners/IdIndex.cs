using System.Runtime.CompilerServices;

namespace RecoStream.Core.Learners;

/// <summary>
/// A map from ids to the slots that hold them, for a table that keeps each slot's id itself (in an <see cref="IdColumn"/>): open
/// addressing with linear probing over buckets of 4 bytes, each the slot and 5 bits of the id's hash, so an entry costs
/// about 5.5 bytes at the usual load (a dictionary's cost 28: an entry of 24 bytes and a bucket of 4). The ids are not
/// stored: a probe compares with the slot's id only where the 5 bits match (one in 32 of the buckets holding other
/// ids), and growing or removing rehashes the ids it moves. Removal shifts the entries that follow back, so there are no
/// tombstones. Slots go up to <see cref="MaxSlot"/>.
/// </summary>
internal sealed class IdIndex
{
    /// <summary>The largest slot the index holds (a bucket keeps the slot in 27 bits).</summary>
    public const int MaxSlot = (1 << SlotBits) - 2;

    private const int SlotBits = 27;
    private const uint SlotMask = (1u << SlotBits) - 1;

    // Bucket: the hash's top 5 bits, then slot + 1 in the low 27 bits (0: empty).
    // Outside the managed heap: a grown index frees its old buckets at once (arrays of 8 MB for a million ids had stayed
    // on the large object heap until a full collection).
    private NativeArray<uint> _buckets = new(16);
    private int _mask = 15;

    /// <summary>How many ids the index holds.</summary>
    public int Count { get; private set; }

    /// <summary>The slot of <paramref name="id"/>, or false when the index has none.</summary>
    public bool TryGetValue(ReadOnlySpan<char> id, IdColumn ids, out int slot)
    {
        var hash = Hash(id);
        var tag = Tag(hash);
        for (var b = (int)hash & _mask; ; b = (b + 1) & _mask)
        {
            var bucket = _buckets[b];
            if (bucket == 0)
            {
                slot = -1;
                return false;
            }

            if ((bucket & ~SlotMask) == tag)
            {
                var candidate = (int)(bucket & SlotMask) - 1;
                if (ids.Is(candidate, id))
                {
                    slot = candidate;
                    return true;
                }
            }
        }
    }

    /// <summary>
    /// Adds <paramref name="id"/> at <paramref name="slot"/>; the id must not be in the index yet. <paramref name="ids"/>
    /// holds the ids of the slots already in the index (growing rehashes them).
    /// </summary>
    public void Add(ReadOnlySpan<char> id, int slot, IdColumn ids)
    {
        if ((uint)slot > MaxSlot)
        {
            throw new InvalidOperationException($"an id index holds slots up to {MaxSlot}: slot {slot} is beyond");
        }

        if (Count + 1 > (_buckets.Length >> 2) * 3)
        {
            Resize(_buckets.Length * 2, ids);
        }

        Insert(Hash(id), slot);
        Count++;
    }

    /// <summary>Removes <paramref name="id"/> (still at its slot in <paramref name="ids"/>); false when it is not there.</summary>
    public bool Remove(ReadOnlySpan<char> id, IdColumn ids)
    {
        var hash = Hash(id);
        var tag = Tag(hash);
        var b = (int)hash & _mask;
        while (true)
        {
            var bucket = _buckets[b];
            if (bucket == 0)
            {
                return false;
            }

            if ((bucket & ~SlotMask) == tag && ids.Is((int)(bucket & SlotMask) - 1, id))
            {
                break;
            }

            b = (b + 1) & _mask;
        }

        // Backward shift: each entry after the hole that probed past it moves into it.
        var hole = b;
        for (var next = (hole + 1) & _mask; _buckets[next] != 0; next = (next + 1) & _mask)
        {
            var home = (int)ids.HashOf((int)(_buckets[next] & SlotMask) - 1) & _mask;
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
        for (var b = 0; b < _buckets.Length; b++)
        {
            var bucket = _buckets[b];
            if (bucket != 0)
            {
                yield return (int)(bucket & SlotMask) - 1;
            }
        }
    }

    public void Clear()
    {
        _buckets.Free();
        _buckets = new NativeArray<uint>(16);
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

        _buckets[b] = Tag(hash) | (uint)(slot + 1);
    }

    private void Resize(int capacity, IdColumn ids)
    {
        var old = _buckets;
        _buckets = new NativeArray<uint>(capacity);
        _mask = capacity - 1;
        foreach (var bucket in old.AsSpan())
        {
            if (bucket != 0)
            {
                var slot = (int)(bucket & SlotMask) - 1;
                Insert(ids.HashOf(slot), slot);
            }
        }

        old.Free();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Tag(uint hash) => hash & ~SlotMask;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Hash(ReadOnlySpan<char> id) => IdColumn.Hash(id);
}

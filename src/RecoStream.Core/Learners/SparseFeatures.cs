namespace RecoStream.Core.Learners;

/// <summary>A reusable sparse feature vector (slot, value) pairs. Owned by one learner; not thread-safe.</summary>
public sealed class SparseFeatures
{
    private int[] _slots = new int[16];
    private float[] _values = new float[16];

    /// <summary>How many pairs are set.</summary>
    public int Count { get; private set; }

    /// <summary>The slots of the set pairs.</summary>
    public ReadOnlySpan<int> Slots => _slots.AsSpan(0, Count);

    /// <summary>The values of the set pairs.</summary>
    public ReadOnlySpan<float> Values => _values.AsSpan(0, Count);

    /// <summary>Empties the vector, keeping its buffers.</summary>
    public void Clear() => Count = 0;

    /// <summary>Appends one pair.</summary>
    public void Add(int slot, float value)
    {
        if (Count == _slots.Length)
        {
            Array.Resize(ref _slots, Count * 2);
            Array.Resize(ref _values, Count * 2);
        }

        _slots[Count] = slot;
        _values[Count] = value;
        Count++;
    }
}

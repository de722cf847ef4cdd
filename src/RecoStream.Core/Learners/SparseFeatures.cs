using RecoStream.Core.Events;

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

    /// <summary>
    /// Sets the hashed features of an event: a bias, the user id, the item id, each categorical feature (each 1), the numeric event features and
    /// the behaviour features at their normalized values; features the normalizer ignored (NaN) are left out.
    /// </summary>
    /// <param name="e">The event.</param>
    /// <param name="bits">The weight table's size in bits.</param>
    /// <param name="biasSlot">The bias feature's slot.</param>
    /// <param name="behaviourSlots">The behaviour features' slots (<see cref="BehaviourSlots"/>).</param>
    public void SetHashed(UserEvent e, int bits, int biasSlot, ReadOnlySpan<int> behaviourSlots)
    {
        Clear();
        Add(biasSlot, 1f);
        Add(FeatureHasher.Slot(FeatureHasher.UserNamespace, e.User, bits), 1f);
        Add(FeatureHasher.Slot(FeatureHasher.ItemNamespace, e.Item, bits), 1f);
        for (var i = 0; i < e.FeatureNames.Length; i++)
        {
            var v = e.FeatureValues[i];
            if (!double.IsNaN(v))
            {
                Add(FeatureHasher.Slot(FeatureHasher.FeatureNamespace, e.FeatureNames[i], bits), (float)v);
            }
        }

        foreach (var category in e.Categories)
        {
            Add(FeatureHasher.Slot(FeatureHasher.CategoryNamespace, category, bits), 1f);
        }

        if (e.HasBehaviour)
        {
            var behaviour = e.Behaviour;
            for (var i = 0; i < behaviourSlots.Length; i++)
            {
                var v = behaviour[i];
                if (!double.IsNaN(v))
                {
                    Add(behaviourSlots[i], (float)v);
                }
            }
        }
    }

    /// <summary>The slots of the behaviour features in a table of 2^bits weights.</summary>
    public static int[] BehaviourSlots(int bits) =>
        [.. BehaviourVector.Names.Select(name => FeatureHasher.Slot(FeatureHasher.FeatureNamespace, name, bits))];

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

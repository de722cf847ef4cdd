namespace RecoStream.Core.Learners;

/// <summary>
/// The arrays learners copy their dense weights into for a snapshot, reused. A checkpoint store keeps the last
/// checkpoint's arrays (to write only the pages that changed) and hands each one back here when a newer checkpoint
/// replaces it; the next snapshot copies into it instead of into fresh memory. A fresh array of a few megabytes costs
/// the pipeline thread more than the copy itself (the first touch of every page, and the collector's work on the large
/// object heap), and the copy is taken while ingest waits. At most <see cref="MaxKept"/> arrays wait here.
/// </summary>
public static class SnapshotArrays
{
    /// <summary>Most arrays kept for reuse.</summary>
    public const int MaxKept = 8;

    private static readonly List<float[]> Free = [];

    // The arrays CopyOf made: only those are taken back (an array from anywhere else, such as a test's own or one a
    // learner still uses, must never be overwritten).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<float[], object> Issued = [];

    /// <summary>A copy of <paramref name="source"/>, in a handed-back array of its length when there is one.</summary>
    public static float[] CopyOf(float[] source)
    {
        float[]? copy = null;
        lock (Free)
        {
            for (var i = 0; i < Free.Count; i++)
            {
                if (Free[i].Length == source.Length)
                {
                    copy = Free[i];
                    Free[i] = Free[^1];
                    Free.RemoveAt(Free.Count - 1);
                    break;
                }
            }
        }

        if (copy is null)
        {
            copy = GC.AllocateUninitializedArray<float>(source.Length);
            Issued.AddOrUpdate(copy, Issued);
        }

        source.AsSpan().CopyTo(copy);
        return copy;
    }

    /// <summary>
    /// Hands back an array from <see cref="CopyOf"/> that nothing reads any more (its snapshot is written and a newer
    /// checkpoint replaced it); it may be overwritten by the next copy. Arrays that <see cref="CopyOf"/> did not make
    /// are ignored.
    /// </summary>
    public static void Return(float[] array)
    {
        if (!Issued.TryGetValue(array, out _))
        {
            return;
        }

        lock (Free)
        {
            if (Free.Count < MaxKept && !Free.Exists(kept => ReferenceEquals(kept, array)))
            {
                Free.Add(array);
            }
        }
    }
}

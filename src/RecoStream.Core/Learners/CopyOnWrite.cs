using System.Runtime.CompilerServices;

namespace RecoStream.Core.Learners;

/// <summary>
/// A snapshot of changes read in place by the thread that writes a checkpoint while its owner (a table of slots: the
/// factor rows, the users' recent items) goes on changing. The slots it holds are marked, one byte per slot in the
/// owner's array (<see cref="Marks"/>). Before the owner changes a marked slot or reuses it, it calls
/// <see cref="KeepFor{T}"/>, which copies the slot's values aside and clears the mark under the lock the reader reads
/// with: a slot is read either before any change or from its copy. <see cref="Release"/>, once the snapshot is written,
/// clears the marks; <see cref="Detach"/> copies every slot, for a snapshot never released when the owner takes a newer one.
/// </summary>
internal abstract class CopyOnWrite(SlotSet slots)
{
    private bool _done;

    /// <summary>
    /// Held while a slot is read, kept aside, or the snapshot detached or released; and by an owner while it moves its
    /// values (<see cref="NativeArray{T}.Resize"/>), where the reader would otherwise read freed memory.
    /// </summary>
    public Lock Gate { get; } = new();

    /// <summary>The owner's slots the snapshot holds, in its order.</summary>
    protected SlotSet Slots => slots;

    /// <summary>The owner's marks, one per slot: the current array (the owner may have grown it since).</summary>
    protected abstract byte[] Marks { get; }

    /// <summary>
    /// On the owner, before it changes or reuses <paramref name="slot"/>, marked in <paramref name="marks"/>: keeps its
    /// values for the unwritten snapshot <paramref name="copy"/>, or only clears the mark when there is none (a mark left in
    /// an array grown while a released snapshot cleared its marks). Nothing to do for a slot not marked: one look at a
    /// byte, inlined into each of the owner's changes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void KeepFor<T>(ref T? copy, byte[] marks, int slot)
        where T : CopyOnWrite
    {
        if (marks[slot] != 0)
        {
            KeepMarked(ref copy, marks, slot);
        }
    }

    private static void KeepMarked<T>(ref T? copy, byte[] marks, int slot)
        where T : CopyOnWrite
    {
        if (Volatile.Read(ref copy) is { } current)
        {
            current.Keep(slot);
        }
        else
        {
            marks[slot] = 0;
        }
    }

    /// <summary>
    /// On the owner, for a change that moves or frees what the snapshot reads (growing its native arrays): runs
    /// <paramref name="move"/> with <paramref name="state"/> under the lock of the unwritten snapshot <paramref name="copy"/>,
    /// so that its reader never reads freed memory; at once when there is none. The state is passed rather than captured
    /// so that a caller's static lambda allocates nothing: a capturing lambda would make a closure object every time the
    /// caller's scope is entered, growing or not.
    /// </summary>
    public static void Moving<TState>(CopyOnWrite? copy, TState state, Action<TState> move)
    {
        if (copy is null)
        {
            move(state);
            return;
        }

        lock (copy.Gate)
        {
            move(state);
        }
    }

    /// <summary>Once the snapshot is written (on the thread that wrote it): the slots are no longer read.</summary>
    public void Release()
    {
        lock (Gate)
        {
            if (!_done)
            {
                Finish();
            }
        }
    }

    /// <summary>On the owner, when a newer snapshot is taken before this one was released: copies every slot now.</summary>
    public void Detach()
    {
        lock (Gate)
        {
            if (!_done)
            {
                CopyAll();
                Finish();
            }
        }
    }

    /// <summary>Under the lock, for a marked slot: copies its values aside.</summary>
    protected abstract void KeepAside(int slot);

    /// <summary>Under the lock: copies every slot's values (from the copy kept aside, or from the owner).</summary>
    protected abstract void CopyAll();

    /// <summary>
    /// Under the lock, once released or detached: drops what was kept aside, and stops being the owner's unwritten
    /// snapshot.
    /// </summary>
    protected abstract void Done();

    private void Keep(int slot)
    {
        lock (Gate)
        {
            var marks = Marks;
            if (marks[slot] != 0)
            {
                KeepAside(slot);
                marks[slot] = 0;
            }
        }
    }

    private void Finish()
    {
        // Where the marks are now: a mark left in an array copied before it was cleared only costs the owner a look.
        var marks = Marks;
        foreach (var slot in slots)
        {
            marks[slot] = 0;
        }

        Done();
        _done = true;
    }
}

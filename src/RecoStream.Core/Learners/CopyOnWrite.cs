using System.Runtime.CompilerServices;

namespace RecoStream.Core.Learners;

/// <summary>
/// A snapshot of changes read in place by the thread that writes a checkpoint while its owner (a table of slots: the
/// factor rows, the users' recent items) goes on changing. The slots it holds are marked, one byte per slot in the
/// owner's array (<see cref="Marks"/>). Before the owner changes a marked slot or reuses it, it calls
/// <see cref="KeepFor{T}"/>, which copies the slot's values aside and clears the mark under the lock the reader reads
/// with: a slot is read either before any change or from its copy. <see cref="Release"/>, once the snapshot is written,
/// clears the marks; <see cref="Detach"/> copies every slot, for a snapshot never released when the owner takes a newer one.
/// A writer that stores the slots in order, a chunk at a time, calls <see cref="Stored"/> once a chunk is in the store:
/// the slots it read so far are unmarked, so the owner changes them without a copy (a long write had kept a copy of every
/// row changed before its end, 270,000 rows of the 1,000,000-user replay in one write). After each chunk it also takes
/// the slots copied aside that it has not reached (<see cref="TakeAhead"/>) and writes them at once, ahead of order; once
/// their chunk is stored their copies are dropped (<see cref="Forget"/>) and the in-order pass skips them
/// (<see cref="WrittenAhead"/>). So a copy lives for about one chunk instead of until the end of the write: the writes
/// of the 1,000,000-user replay that fell behind had kept up to 290,000 copies at once.
/// </summary>
internal abstract class CopyOnWrite(SlotSet slots) : IWriteProgress
{
    // A _keptAt entry for a slot written ahead of order whose chunk is stored: skipped, its copy dropped.
    private const int StoredAhead = int.MinValue;

    // The slots read in order since the last chunk stored, and how far in order reads have gone and were stored.
    private readonly List<int> _unstored = [];
    private int _readUpTo;
    private int _stored;
    private bool _done;
    // By index in the snapshot (made when the first slot is kept): 0 when not kept; 1 + the position of the copy; minus
    // that while the copy is written ahead into the chunk being built; StoredAhead once that chunk is stored.
    private NativeArray<int>? _keptAt;
    // Indices kept aside and not yet taken ahead or stored; and those taken ahead into the chunk being built.
    private readonly List<int> _kept = [];
    private readonly List<int> _ahead = [];
    // After a detach: the indices that were stored ahead of order (the in-order pass still skips them).
    private HashSet<int>? _storedAheadWhenDetached;

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
                if (_keptAt is not null)
                {
                    for (var index = 0; index < slots.Length; index++)
                    {
                        if (_keptAt[index] == StoredAhead)
                        {
                            (_storedAheadWhenDetached ??= []).Add(index);
                        }
                    }
                }

                Finish();
            }
        }
    }

    /// <summary>
    /// Where a write of the snapshot starts: the first index not yet in the store (0 at first; after a failed write, the
    /// first of the chunk that failed). Reads from there on are tracked for <see cref="Stored"/> again, and slots taken
    /// ahead into the chunk that failed are kept aside as before, to be taken again. Called before the write stores any
    /// chunk.
    /// </summary>
    public int ResumeAt()
    {
        lock (Gate)
        {
            _unstored.Clear();
            _readUpTo = _stored;
            if (!_done)
            {
                foreach (var index in _ahead)
                {
                    _keptAt![index] = -_keptAt[index];
                    _kept.Add(index);
                }
            }

            _ahead.Clear();
            return _stored;
        }
    }

    /// <summary>
    /// The rows read in order so far, and those taken ahead since the last call, are in the store: their slots are
    /// unmarked or their copies dropped, and a retried write resumes after them (<see cref="ResumeAt"/>). A row changed
    /// after it was read and before this was kept aside until now. Once every row is stored, the snapshot releases itself.
    /// </summary>
    public void Stored()
    {
        lock (Gate)
        {
            _stored = _readUpTo;
            if (!_done)
            {
                var marks = Marks;
                foreach (var slot in _unstored)
                {
                    marks[slot] = 0;
                }

                foreach (var index in _ahead)
                {
                    Forget(-_keptAt![index] - 1);
                    _keptAt[index] = StoredAhead;
                }

                // Copies of rows read (from the copy or before the change) and now stored are read no more.
                var left = 0;
                for (var k = 0; k < _kept.Count; k++)
                {
                    var index = _kept[k];
                    if (index < _stored)
                    {
                        Forget(_keptAt![index] - 1);
                        _keptAt[index] = 0;
                    }
                    else
                    {
                        _kept[left++] = index;
                    }
                }

                _kept.RemoveRange(left, _kept.Count - left);
            }

            _unstored.Clear();
            _ahead.Clear();
            if (_stored == slots.Length && !_done)
            {
                // Every row is stored: none is read again, even by a retry (it resumes at the end), so what was kept goes now
                // rather than once the whole checkpoint is committed and its old versions collected.
                Finish();
            }
        }
    }

    /// <summary>
    /// For the in-order pass, at <paramref name="index"/>: true when that row was written ahead of order (stored, or in the
    /// chunk being built), and is skipped.
    /// </summary>
    public bool WrittenAhead(int index)
    {
        lock (Gate)
        {
            var ahead = _keptAt is not null ? _keptAt[index] < 0 : _storedAheadWhenDetached?.Contains(index) == true;
            if (ahead && index == _readUpTo)
            {
                _readUpTo++;
            }

            return ahead;
        }
    }

    /// <summary>
    /// Adds to <paramref name="into"/> the indices of rows kept aside that the in-order pass has not reached, for the writer
    /// to write now from their copies (<see cref="IRowSource.Read"/> reads them so) into the chunk being built.
    /// </summary>
    public void TakeAhead(List<int> into)
    {
        lock (Gate)
        {
            if (_done)
            {
                return;
            }

            // Not the next in order: the in-order pass reads that one from its copy next anyway.
            var left = 0;
            for (var k = 0; k < _kept.Count; k++)
            {
                var index = _kept[k];
                if (index > _readUpTo)
                {
                    _keptAt![index] = -_keptAt[index];
                    _ahead.Add(index);
                    into.Add(index);
                }
                else
                {
                    _kept[left++] = index;
                }
            }

            _kept.RemoveRange(left, _kept.Count - left);
        }
    }

    /// <summary>Copies kept aside and not yet dropped.</summary>
    public int Holding { get; private set; }

    /// <summary>The most copies held at once.</summary>
    public int MostHeld { get; private set; }

    /// <summary>
    /// Under the lock, as the reader reads <paramref name="index"/> (at <paramref name="slot"/>): tracked for
    /// <see cref="Stored"/> when it is the next index in order.
    /// </summary>
    protected void NoteRead(int index, int slot)
    {
        if (index == _readUpTo && !_done)
        {
            _unstored.Add(slot);
            _readUpTo++;
        }
    }

    /// <summary>
    /// Under the lock, for a marked slot of the snapshot: copies its values aside, and gives where (a position of the
    /// owner's choosing, read back with <see cref="KeptAt"/>).
    /// </summary>
    protected abstract int KeepAside(int slot);

    /// <summary>Under the lock: the copy at <paramref name="position"/> is stored and read no more (its room may be reused).</summary>
    protected abstract void Drop(int position);

    private void Forget(int position)
    {
        Drop(position);
        Holding--;
    }

    /// <summary>Under the lock: where the values of the slot at <paramref name="index"/> were kept aside; -1 when they were not.</summary>
    protected int KeptAt(int index)
    {
        var at = _keptAt is null ? 0 : _keptAt[index];
        return at > 0 ? at - 1 : at is < 0 and not StoredAhead ? -at - 1 : -1;
    }

    /// <summary>Under the lock: copies every slot's values (from the copy kept aside, or from the owner).</summary>
    protected abstract void CopyAll();

    /// <summary>
    /// Under the lock, once released or detached: drops what was kept aside, and stops being the owner's unwritten
    /// snapshot.
    /// </summary>
    protected abstract void Done();

    /// <summary>Slots kept aside so far.</summary>
    public int Kept { get; private set; }

    /// <summary>Released (or detached): the owner no longer keeps anything for it (for tests).</summary>
    internal bool IsReleased
    {
        get
        {
            lock (Gate)
            {
                return _done;
            }
        }
    }

    private void Keep(int slot)
    {
        lock (Gate)
        {
            var marks = Marks;
            if (marks[slot] != 0)
            {
                // A mark left from an earlier snapshot (see Finish) is only cleared.
                var index = slots.IndexOf(slot);
                if (index >= 0)
                {
                    (_keptAt ??= new NativeArray<int>(slots.Length))[index] = KeepAside(slot) + 1;
                    _kept.Add(index);
                    Kept++;
                    MostHeld = Math.Max(MostHeld, ++Holding);
                }

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
        _kept.Clear();
        _ahead.Clear();
        Holding = 0;
        _keptAt?.Free();
        _keptAt = null;
        _done = true;
    }
}

using System.Numerics;
using System.Runtime.CompilerServices;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;

namespace RecoStream.Core.Ranking;

/// <summary>
/// The items each user has interacted with, so recommendations can exclude them. Per user it keeps at most
/// the most recent <c>maxPerUser</c> distinct items (older ones age out), which bounds memory per user.
/// </summary>
/// <remarks>
/// No object per user: a user is a slot in a few arrays outside the managed heap (id as bytes, where the items are, how
/// many; last activity only with a user limit), and the items live in shared arrays of blocks, one array per block size
/// (2, 4, 8, ... up to <c>maxPerUser</c>). A user's block holds a ring of its most recent distinct items; when it fills
/// below the limit the items move to a block twice as large and the old block is reused. A user with two items costs
/// about 45 bytes with its index entry (an object with its own array cost about 110, and the id's string 40 more).
/// Membership is a vectorized scan of the block, which at the thousand items of the default limit costs about what a hash
/// set's lookup does.
/// </remarks>
public sealed class InteractionHistory
{
    private readonly int _maxPerUser;
    private readonly int _maxUsers;
    private readonly IdIndex _slots = new();
    private readonly HashSet<string> _removed = new(StringComparer.Ordinal);
    private readonly Stack<int> _freeSlots = new();

    // Block sizes by class (2, 4, ... then maxPerUser), and per class the array of its blocks, how much of it is used,
    // and the blocks given back. A user's class follows from how many items it holds (the smallest class they fit), and a
    // block of the last class starts with where the oldest item is once its ring is full (before that, item 0): a class
    // and a ring start per user were 5 bytes a user for what a few users at the limit need.
    private readonly int[] _blockSizes;
    private readonly int _lastClass;
    private readonly NativeArray<int>[] _blocks;
    private readonly int[] _blocksUsed;
    private readonly Stack<int>[] _freeBlocks;

    // Per slot (a user): its id (none when free), last activity (a sequence number of this process; see _touched), its
    // block's offset, how many items it holds, and its state.
    private readonly IdColumn _users = new(16);
    // Last activity only with a user limit (it picks the users to drop): 8 bytes a user otherwise kept for nothing.
    private readonly NativeArray<long> _touched;
    private readonly NativeArray<int> _offset = new(16);
    private readonly NativeArray<int> _count = new(16);
    private bool[] _changedFlag = new bool[16];

    // Per slot: the user's items are in the unwritten snapshot of changes and not copied aside yet (see HistoryCopy).
    private byte[] _pending = new byte[16];
    private int _slotCount;
    private HistoryCopy? _copy;
    // The users kept aside, handed on from one snapshot's copy to the next (see KeptItems).
    private KeptItems? _keptSpare;
    private long _clock;

    /// <param name="maxPerUser">Most recent distinct items kept per user.</param>
    /// <param name="maxUsers">
    /// Users kept (0: no limit); beyond it the least recently active users' items are dropped, and items they saw may be
    /// recommended to them again.
    /// </param>
    public InteractionHistory(int maxPerUser, int maxUsers = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPerUser, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxUsers);
        _maxPerUser = maxPerUser;
        _maxUsers = maxUsers;
        _touched = new NativeArray<long>(maxUsers > 0 ? 16 : 0);
        var sizes = new List<int> { Math.Min(2, maxPerUser) };
        while (sizes[^1] < maxPerUser)
        {
            sizes.Add((int)Math.Min(maxPerUser, 2L * sizes[^1]));
        }

        _blockSizes = [.. sizes];
        _lastClass = sizes.Count - 1;
        _blocks = [.. sizes.Select(_ => new NativeArray<int>(0))];
        _blocksUsed = new int[sizes.Count];
        _freeBlocks = [.. sizes.Select(_ => new Stack<int>())];
    }

    /// <summary>Users whose items were dropped to stay within the user limit.</summary>
    public long UsersDropped { get; private set; }

    /// <summary>How many users are known.</summary>
    public int UserCount => _slots.Count;

    /// <summary>Records that a user interacted with the item at <paramref name="itemIndex"/>.</summary>
    public void Record(string user, int itemIndex)
    {
        if (!_slots.TryGetValue(user, _users, out var slot))
        {
            slot = NewSlot(user);
            _removed.Remove(user);
            TrimUsers();
        }

        Touch(slot);
        if (Items(slot).Contains(itemIndex))
        {
            return;
        }

        KeepForCopy(slot);
        Add(slot, itemIndex);
        MarkChanged(slot);
    }

    /// <summary>
    /// The items a user interacted with, each once, in no particular order (none for an unknown user); valid until the
    /// history changes. Unlike <see cref="TryGetItems"/>, reading them allocates nothing.
    /// </summary>
    public ReadOnlySpan<int> SeenItems(string user) => _slots.TryGetValue(user, _users, out var slot) ? Items(slot) : [];

    /// <summary>The items a known user interacted with (valid until the history changes); false for an unknown user.</summary>
    public bool TryGetItems(string user, out IReadOnlySet<int> items)
    {
        if (_slots.TryGetValue(user, _users, out var slot))
        {
            var count = _count[slot];
            var blockClass = ClassOf(count);
            items = new ItemSet(_blocks[blockClass], _offset[slot] + Header(blockClass), count);
            return true;
        }

        items = EmptySet;
        return false;
    }

    private static readonly IReadOnlySet<int> EmptySet = new HashSet<int>();

    /// <summary>A copy of every user's items, oldest first.</summary>
    public HistorySnapshot Snapshot()
    {
        var users = new List<UserHistoryEntry>(_slots.Count);
        for (var slot = 0; slot < _slotCount; slot++)
        {
            if (_users.Has(slot))
            {
                users.Add(Entry(slot));
            }
        }

        return new HistorySnapshot(users);
    }

    /// <summary>
    /// The next checkpoint's part: only the users whose items changed since the previous call, and the users dropped
    /// since, so a checkpoint costs what changed, not the whole history. The items are not copied: each user's are read
    /// when the snapshot is, or from a copy made when the user's items changed since (copy on write); a million changed
    /// users' copies took about 40 MB, which lived as long as the checkpoint's write. Call
    /// <see cref="HistorySnapshot.Release"/> once the snapshot is written.
    /// </summary>
    public HistorySnapshot SnapshotChanges()
    {
        // A snapshot of changes never released (taken but not written) gets its items copied now.
        _copy?.Detach();
        // The changed users are found by their flags, not kept in a list as they change, and their ids are read when
        // written: a list of a million changed users and the snapshot's copies of it and of their ids were 16 MB, the
        // list's kept for good.
        var slots = new SlotSet(_slotCount);
        for (var slot = 0; slot < _slotCount; slot++)
        {
            if (_changedFlag[slot])
            {
                _changedFlag[slot] = false;
                _pending[slot] = 1;
                slots.Add(slot);
            }
        }

        slots.Seal();

        string[] removed = [.. _removed];
        _removed.Clear();
        var copy = new HistoryCopy(this, slots);
        Volatile.Write(ref _copy, copy);
        return new HistorySnapshot(copy, ChangesOnly: true, removed, _slots.Count) { Release = copy.Release };
    }

    /// <summary>Replaces the contents with a checkpoint's.</summary>
    public void Restore(HistorySnapshot snapshot)
    {
        _copy?.Detach();
        _slots.Clear();
        _removed.Clear();
        _freeSlots.Clear();
        _users.ClearAll();
        Array.Clear(_changedFlag);
        Array.Clear(_pending);
        _slotCount = 0;
        for (var c = 0; c < _blockSizes.Length; c++)
        {
            _blocks[c].Free();
            _blocksUsed[c] = 0;
            _freeBlocks[c].Clear();
        }

        foreach (var entry in snapshot.Users)
        {
            var slot = NewSlot(entry.User);
            foreach (var index in entry.Items)
            {
                if (!Items(slot).Contains(index))
                {
                    Add(slot, index);
                }
            }

            Touch(slot);
            if (snapshot.WriteAllNext)
            {
                MarkChanged(slot);
            }
        }

        TrimUsers();
    }

    /// <summary>The items of a slot in ring order (each once).</summary>
    private Span<int> Items(int slot)
    {
        var count = _count[slot];
        var blockClass = ClassOf(count);
        return _blocks[blockClass].AsSpan(_offset[slot] + Header(blockClass), count);
    }

    /// <summary>The class of the block that holds <paramref name="count"/> items: the smallest they fit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int ClassOf(int count) => count <= 2 ? 0 : Math.Min(BitOperations.Log2((uint)count - 1), _lastClass);

    /// <summary>Ints before the items in a block of <paramref name="blockClass"/>: the ring's start, in the last class.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Header(int blockClass) => blockClass == _lastClass ? 1 : 0;

    /// <summary>Where the oldest item of a slot is among its items: 0 until its ring is full.</summary>
    private int Oldest(int slot) => _count[slot] == _maxPerUser ? _blocks[_lastClass][_offset[slot]] : 0;

    /// <summary>The user of a slot and a copy of its items, oldest first.</summary>
    private UserHistoryEntry Entry(int slot)
    {
        var items = new int[_count[slot]];
        CopyTo(slot, items);
        return new UserHistoryEntry(_users.Get(slot)!, items);
    }

    /// <summary>Copies the items of a slot, oldest first, to the start of <paramref name="into"/>.</summary>
    private void CopyTo(int slot, Span<int> into)
    {
        var items = Items(slot);
        var oldest = Oldest(slot);
        items[oldest..].CopyTo(into);
        items[..oldest].CopyTo(into[(items.Length - oldest)..]);
    }

    /// <summary>Adds an item the user does not have (the oldest goes beyond the limit).</summary>
    private void Add(int slot, int itemIndex)
    {
        var count = _count[slot];
        if (count == _maxPerUser)
        {
            // Full: the ring's oldest item is replaced (the block is of the last class, sized to the limit after its start).
            var ring = _blocks[_lastClass];
            ref var oldest = ref ring[_offset[slot]];
            ring[_offset[slot] + 1 + oldest] = itemIndex;
            oldest = (oldest + 1) % count;
            return;
        }

        var blockClass = ClassOf(count);
        if (count == _blockSizes[blockClass])
        {
            // Full below the limit (so never wrapped): the items move to a block of the next class.
            var grown = blockClass + 1;
            var offset = AllocateBlock(grown);
            Items(slot).CopyTo(_blocks[grown].AsSpan(offset + Header(grown), count));
            FreeBlock(blockClass, _offset[slot]);
            _offset[slot] = offset;
            blockClass = grown;
        }

        _blocks[blockClass][_offset[slot] + Header(blockClass) + count] = itemIndex;
        _count[slot] = count + 1;
    }

    private int AllocateBlock(int blockClass)
    {
        if (!_freeBlocks[blockClass].TryPop(out var offset))
        {
            var size = _blockSizes[blockClass] + Header(blockClass);
            offset = _blocksUsed[blockClass];
            var blocks = _blocks[blockClass];
            if (offset + size > blocks.Length)
            {
                CopyOnWrite.Moving(Volatile.Read(ref _copy), (Blocks: blocks, Length: Math.Max(64 * size, 2 * blocks.Length)),
                    static s => s.Blocks.Resize(s.Length));
            }

            _blocksUsed[blockClass] = offset + size;
        }

        if (blockClass == _lastClass)
        {
            _blocks[blockClass][offset] = 0; // the ring starts at item 0
        }

        return offset;
    }

    private void FreeBlock(int blockClass, int offset) => _freeBlocks[blockClass].Push(offset);

    private int NewSlot(string user)
    {
        if (!_freeSlots.TryPop(out var slot))
        {
            slot = _slotCount++;
            if (slot == _users.Capacity)
            {
                Grow(2 * _users.Capacity);
            }
        }

        _slots.Add(user, slot, _users);
        if (_users.Widens(user))
        {
            // The unwritten snapshot's reader reads the ids on the checkpoint's thread: not while they move.
            CopyOnWrite.Moving(Volatile.Read(ref _copy), _users, static ids => ids.Widen());
        }

        _users.Set(slot, user);
        Touch(slot);
        _offset[slot] = AllocateBlock(0);
        _count[slot] = 0;
        _changedFlag[slot] = false;
        return slot;
    }

    /// <summary>
    /// Grows the per-slot arrays to <paramref name="capacity"/> slots. The ids and the items' places live outside the managed
    /// heap, where the old block is freed at once (grown arrays had stayed on the large object heap until a full collection,
    /// about 40 MB of them at the peak of the 1,000,000-user replay): they move under the unwritten snapshot's lock, as its
    /// reader reads them on the checkpoint's thread. The flags stay managed (the snapshot reads its marks from the current
    /// array, and an old array stays valid).
    /// </summary>
    private void Grow(int capacity)
    {
        CopyOnWrite.Moving(Volatile.Read(ref _copy), (History: this, Capacity: capacity), static s =>
        {
            s.History._users.Resize(s.Capacity);
            if (s.History._maxUsers > 0)
            {
                s.History._touched.Resize(s.Capacity);
            }

            s.History._offset.Resize(s.Capacity);
            s.History._count.Resize(s.Capacity);
        });
        Array.Resize(ref _changedFlag, capacity);
        Array.Resize(ref _pending, capacity);
    }

    private void Touch(int slot)
    {
        if (_maxUsers > 0)
        {
            _touched[slot] = ++_clock;
        }
    }

    private void MarkChanged(int slot) => _changedFlag[slot] = true;

    private void TrimUsers()
    {
        if (_maxUsers <= 0 || _slots.Count <= _maxUsers)
        {
            return;
        }

        var times = new long[_slots.Count];
        var n = 0;
        for (var slot = 0; slot < _slotCount; slot++)
        {
            if (_users.Has(slot))
            {
                times[n++] = _touched[slot];
            }
        }

        var cutoff = OldestEntries.Cutoff(times, _maxUsers);
        for (var slot = 0; slot < _slotCount; slot++)
        {
            if (_users.Has(slot) && _touched[slot] <= cutoff)
            {
                Drop(slot, _users.Get(slot)!);
                UsersDropped++;
            }
        }
    }

    private void Drop(int slot, string user)
    {
        // Its block is about to be reused: the unwritten snapshot gets a copy first.
        KeepForCopy(slot);

        _slots.Remove(user, _users);
        FreeBlock(ClassOf(_count[slot]), _offset[slot]);
        _users.Clear(slot);
        _count[slot] = 0;
        _changedFlag[slot] = false;
        _freeSlots.Push(slot);
        _removed.Add(user);
    }

    /// <summary>Keeps a copy of a user's items for the unwritten snapshot of changes, when they are marked in it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void KeepForCopy(int slot) => CopyOnWrite.KeepFor(ref _copy, _pending, slot);

    /// <summary>
    /// The changed users of a snapshot of changes (<see cref="CopyOnWrite"/>): a user's id and items are read from the
    /// history while marked, or from the copy the pipeline kept before changing them or reusing their slot.
    /// </summary>
    private sealed class HistoryCopy(InteractionHistory history, SlotSet slots) : CopyOnWrite(slots), IReadOnlyList<UserHistoryEntry>,
        IUserItemsReader
    {
        private readonly char[] _id = new char[IdColumn.MaxInline];
        private KeptItems? _kept;
        private UserHistoryEntry[]? _entries;

        public int Count => Slots.Length;

        protected override byte[] Marks => history._pending;

        public UserHistoryEntry this[int index]
        {
            get
            {
                lock (Gate)
                {
                    return Entry(index);
                }
            }
        }

        public ReadOnlySpan<char> Read(int index, ref int[] items, out int count)
        {
            lock (Gate)
            {
                var slot = Slots[index];
                NoteRead(index, slot);
                if (_entries is not null)
                {
                    var entry = _entries[index];
                    count = entry.Items.Length;
                    HistorySnapshot.CopyItems(entry.Items, ref items);
                    return entry.User;
                }

                if (KeptAt(index) is var at and >= 0)
                {
                    var kept = _kept!.Get(at, _id, out var id);
                    count = kept.Length;
                    HistorySnapshot.CopyItems(kept, ref items);
                    return id;
                }

                count = history._count[slot];
                history.CopyTo(slot, HistorySnapshot.Room(ref items, count));
                return history._users.Chars(slot, _id);
            }
        }

        protected override int KeepAside(int slot) =>
            (_kept ??= Interlocked.Exchange(ref history._keptSpare, null) ?? new KeptItems()).Add(slot, history);

        protected override void Drop(int position) => _kept!.Drop(position);

        protected override void CopyAll() => _entries = [.. Enumerable.Range(0, Slots.Length).Select(Entry)];

        /// <summary>The user at <paramref name="index"/> with its items: the copy made already, else one made now.</summary>
        private UserHistoryEntry Entry(int index)
        {
            if (_entries is not null)
            {
                return _entries[index];
            }

            if (KeptAt(index) is var at and >= 0)
            {
                var kept = _kept!.Get(at, _id, out var id);
                return new UserHistoryEntry(id.ToString(), kept.ToArray());
            }

            return history.Entry(Slots[index]);
        }

        protected override void Done()
        {
            if (_kept is not null)
            {
                _kept.Clear();
                Interlocked.Exchange(ref history._keptSpare, _kept);
                _kept = null;
            }

            Interlocked.CompareExchange(ref history._copy, null, this);
        }

        public IEnumerator<UserHistoryEntry> GetEnumerator()
        {
            for (var i = 0; i < Slots.Length; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>
    /// Users' items kept aside by a snapshot of changes (under its lock): their ids in an id column, their items one user
    /// after another in one array outside the managed heap (the id's index and the count first), found by their position
    /// (<see cref="CopyOnWrite.KeptAt"/>); reused from one snapshot to the next, and shrunk after one that kept more than
    /// <see cref="SpareUsers"/>. A string, an array and an entry object per kept user had been about 150 bytes of managed
    /// memory each, promoted with the long writes that kept them (100,000 users and more in one write of the
    /// 1,000,000-user replay). Users' items are of any length, so a dropped copy's room is not reused on its own: they go
    /// into two areas in turn, and an area starts again from its beginning once every copy in it is dropped. The area
    /// being filled is changed, once it holds <see cref="TurnInts"/>, for the other when that one is empty; as a copy is
    /// dropped about one chunk of the write after it is made, the two stay small.
    /// </summary>
    private sealed class KeptItems
    {
        private const int SpareUsers = 1 << 16;
        private const int TurnInts = 1 << 16;
        // A position is the area's number in this bit, and where in that area the copy starts.
        private const int AreaBit = 1 << 30;
        private readonly Area[] _areas = [new(), new()];
        private int _current;

        /// <summary>Keeps the id and items of <paramref name="slot"/> of <paramref name="history"/>; gives their position.</summary>
        public int Add(int slot, InteractionHistory history)
        {
            if (_areas[_current].Used >= TurnInts && _areas[1 - _current].Live == 0)
            {
                _current = 1 - _current;
            }

            return (_current * AreaBit) + _areas[_current].Add(slot, history);
        }

        /// <summary>The items kept at <paramref name="at"/>, and the user's id (in <paramref name="buffer"/> when inline).</summary>
        public ReadOnlySpan<int> Get(int at, Span<char> buffer, out ReadOnlySpan<char> id) =>
            _areas[at / AreaBit].Get(at % AreaBit, buffer, out id);

        /// <summary>The copy at <paramref name="at"/> is read no more; its area starts again once it holds none.</summary>
        public void Drop(int at) => _areas[at / AreaBit].Drop();

        /// <summary>Forgets the users; the memory is kept for the next snapshot's, unless this one kept many.</summary>
        public void Clear()
        {
            foreach (var area in _areas)
            {
                area.Clear(SpareUsers);
            }

            _current = 0;
        }

        private sealed class Area
        {
            private const int InitialUsers = 64;
            private const int InitialInts = 1024;
            private readonly IdColumn _ids = new(InitialUsers);
            private readonly NativeArray<int> _items = new(InitialInts);
            private int _users;

            public int Used { get; private set; }

            public int Live { get; private set; }

            public int Add(int slot, InteractionHistory history)
            {
                if (_users == _ids.Capacity)
                {
                    _ids.Resize(2 * _users);
                }

                _ids.CopyFrom(history._users, slot, _users);
                var count = history._count[slot];
                if (Used + 2 + count > _items.Length)
                {
                    _items.Resize(Math.Max(Used + 2 + count, 2 * _items.Length));
                }

                var at = Used;
                _items[at] = _users++;
                _items[at + 1] = count;
                history.CopyTo(slot, _items.AsSpan(at + 2, count));
                Used += 2 + count;
                Live++;
                return at;
            }

            public ReadOnlySpan<int> Get(int at, Span<char> buffer, out ReadOnlySpan<char> id)
            {
                id = _ids.Chars(_items[at], buffer);
                return _items.AsSpan(at + 2, _items[at + 1]);
            }

            public void Drop()
            {
                if (--Live == 0)
                {
                    _users = 0;
                    Used = 0;
                }
            }

            public void Clear(int spareUsers)
            {
                _ids.ClearAll();
                // By its room, not its users: an area starts again whenever its copies are all dropped.
                if (_ids.Capacity > spareUsers)
                {
                    _ids.Resize(InitialUsers);
                    _items.Resize(InitialInts);
                }

                _users = 0;
                Used = 0;
                Live = 0;
            }
        }
    }

    /// <summary>
    /// A user's items as a set, over the history's block (valid until the history changes). Membership is a vectorized
    /// scan of the block.
    /// </summary>
    private sealed class ItemSet(NativeArray<int> blocks, int offset, int count) : IReadOnlySet<int>, IIndexSpan
    {
        public ReadOnlySpan<int> Indices => Items;

        private ReadOnlySpan<int> Items => blocks.AsSpan(offset, count);

        public int Count => count;

        public bool Contains(int item) => Items.Contains(item);

        public IEnumerator<int> GetEnumerator()
        {
            for (var i = 0; i < count; i++)
            {
                yield return blocks[offset + i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        // The set comparisons no caller on the hot path uses: through a hash set of the items.
        public bool IsProperSubsetOf(IEnumerable<int> other) => AsHashSet().IsProperSubsetOf(other);

        public bool IsProperSupersetOf(IEnumerable<int> other) => AsHashSet().IsProperSupersetOf(other);

        public bool IsSubsetOf(IEnumerable<int> other) => AsHashSet().IsSubsetOf(other);

        public bool IsSupersetOf(IEnumerable<int> other) => AsHashSet().IsSupersetOf(other);

        public bool Overlaps(IEnumerable<int> other) => AsHashSet().Overlaps(other);

        public bool SetEquals(IEnumerable<int> other) => AsHashSet().SetEquals(other);

        private HashSet<int> AsHashSet() => [.. Items];
    }
}

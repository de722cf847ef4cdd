using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace RecoStream.Core.Learners;

/// <summary>
/// The ids of a table's slots, kept as bytes outside the managed heap instead of as a string per slot. A string of 7
/// characters costs 40 bytes on the managed heap and its reference 8 more in each table that holds it; the user table and
/// the recent items held one reference each to a million of them on the 1,000,000-user replay (about 56 MB, all of it in
/// the oldest generation for the collector to mark). An id is compared with a string (or a span of characters) in place,
/// and made into a string only when a caller needs one.
/// <para>
/// A column starts narrow, 8 bytes a slot: an id of 1 to <see cref="MaxPacked"/> characters from
/// <c>0-9 A-Z a-z - _</c> (ids like <c>u123456</c>, <c>42</c>, <c>user_1234</c>, <c>sku-98765</c>) is packed at 6 bits a
/// character with its length. The first id that does not pack but has 1 to <see cref="MaxInline"/> ASCII characters
/// widens the column to 16 bytes a slot, for good: the length then the id's bytes. An id that fits neither (longer, with
/// other characters, empty) is a string kept aside, and its cell says so. A narrow column saved 8 bytes a user in each of
/// the user table and the recent items on the 1,000,000-user replay (16 MB); a column of other ids costs what it did before
/// it had two widths.
/// </para>
/// Not thread-safe, like <see cref="NativeArray{T}"/>: an owner read from another thread resizes, and widens
/// (<see cref="Widens"/>, <see cref="Widen"/>), only under the lock that thread reads with.
/// </summary>
internal sealed class IdColumn
{
    /// <summary>Longest id kept inline in a wide column, in characters (ASCII: one byte each).</summary>
    public const int MaxInline = 15;

    /// <summary>Longest id packed into a narrow column's 8 bytes, in characters.</summary>
    public const int MaxPacked = 10;

    private const int NarrowShift = 3;
    private const int WideShift = 4;
    private const byte Empty = 0;
    private const byte Aside = 255;
    // A narrow cell: the characters' places in the alphabet (0-63) from bit 0, 6 bits each, and the length in the top 4
    // bits (1-10); all bits set marks an id kept aside, 0 an empty slot. Either way, a cell's last byte (little-endian:
    // the length's) is 0 only when it is empty, as a wide cell's first byte (its length).
    private const ulong AsideCell = ulong.MaxValue;
    private const int LengthShift = 60;
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
    private static readonly byte[] Codes = CodesOf(Alphabet);

    private NativeArray<byte> _bytes;
    private int _shift = NarrowShift;
    // The byte of a cell that is 0 only when the cell is empty.
    private int _lengthByte = 7;
    // The ids kept aside, by slot: an array as long as the column, made when the first such id comes (a dictionary's
    // entry was 28 bytes or more a slot, which made a table of ids like UUIDs 81 MiB larger on the 1,000,000-user replay
    // than with a string per slot). A reader on another thread reads it under the owner's lock, as the owner resizes it;
    // an old array stays valid.
    private string?[]? _aside;

    /// <summary>A narrow column of <paramref name="capacity"/> slots without ids.</summary>
    public IdColumn(int capacity) => _bytes = new NativeArray<byte>(capacity << NarrowShift);

    /// <summary>How many slots the column has.</summary>
    public int Capacity => _bytes.Length >> _shift;

    /// <summary>True once an id needed 16 bytes a slot (see <see cref="Widen"/>).</summary>
    public bool IsWide => _shift == WideShift;

    /// <summary>Ids kept as strings aside (not inline).</summary>
    public int AsideCount { get; private set; }

    /// <summary>True when <paramref name="slot"/> holds an id.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Has(int slot) => _bytes[(slot << _shift) + _lengthByte] != Empty;

    /// <summary>
    /// True when putting <paramref name="id"/> would widen the column: an owner read from another thread then calls
    /// <see cref="Widen"/> first, under that thread's lock.
    /// </summary>
    public bool Widens(ReadOnlySpan<char> id) => !IsWide && !TryPack(id, out _) && InlineWide(id);

    /// <summary>
    /// Puts <paramref name="id"/> in <paramref name="slot"/> (replacing the id it held); widens the column if it needs to.
    /// </summary>
    public void Set(int slot, string id)
    {
        Clear(slot);
        // Every id that packs fits a wide cell too.
        if (!InlineWide(id))
        {
            KeepAside(slot, id);
            MarkAside(slot);
            return;
        }

        PutInline(slot, id);
    }

    /// <summary>
    /// Copies the id of <paramref name="slot"/> of <paramref name="from"/> into <paramref name="slot"/> of this column
    /// (widening it when <paramref name="from"/> is wide and the id does not pack).
    /// </summary>
    public void CopyFrom(IdColumn from, int fromSlot, int slot)
    {
        Clear(slot);
        if (!from.Has(fromSlot))
        {
            return;
        }

        if (from.IsAsideAt(fromSlot))
        {
            KeepAside(slot, from._aside![fromSlot]!);
            MarkAside(slot);
        }
        else if (from._shift == _shift)
        {
            from.Cell(fromSlot).CopyTo(Cell(slot));
        }
        else
        {
            Span<char> buffer = stackalloc char[MaxInline];
            PutInline(slot, from.Chars(fromSlot, buffer));
        }
    }

    /// <summary>Removes the id of <paramref name="slot"/>.</summary>
    public void Clear(int slot)
    {
        if (IsAsideAt(slot))
        {
            _aside![slot] = null;
            AsideCount--;
        }

        Cell(slot).Clear();
    }

    /// <summary>Removes every id (a wide column stays wide).</summary>
    public void ClearAll()
    {
        _bytes.AsSpan().Clear();
        if (_aside is not null)
        {
            Array.Clear(_aside);
        }

        AsideCount = 0;
    }

    /// <summary>Makes the column <paramref name="capacity"/> slots long (every span from it is then invalid).</summary>
    public void Resize(int capacity)
    {
        if (_aside is not null)
        {
            for (var slot = capacity; slot < _aside.Length; slot++)
            {
                AsideCount -= _aside[slot] is null ? 0 : 1;
            }

            Array.Resize(ref _aside, capacity);
        }

        _bytes.Resize(capacity << _shift);
    }

    /// <summary>
    /// Makes the column 16 bytes a slot, each id kept as it was (every span from it is then invalid); nothing when it is
    /// wide already.
    /// </summary>
    public void Widen()
    {
        if (IsWide)
        {
            return;
        }

        var capacity = Capacity;
        var wide = new NativeArray<byte>(capacity << WideShift);
        Span<char> buffer = stackalloc char[MaxPacked];
        for (var slot = 0; slot < capacity; slot++)
        {
            var cell = NarrowCell(slot);
            var to = wide.AsSpan(slot << WideShift, 1 << WideShift);
            if (cell == AsideCell)
            {
                to[0] = Aside;
            }
            else if (cell != 0)
            {
                var length = Unpack(cell, buffer);
                to[0] = (byte)length;
                Ascii.FromUtf16(buffer[..length], to[1..], out _);
            }
        }

        _bytes.Free();
        _bytes = wide;
        _shift = WideShift;
        _lengthByte = 0;
    }

    /// <summary>True when <paramref name="slot"/> holds <paramref name="id"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Is(int slot, ReadOnlySpan<char> id)
    {
        if (!IsWide)
        {
            var cell = NarrowCell(slot);
            if (cell == AsideCell)
            {
                return id.SequenceEqual(_aside![slot]);
            }

            // The lengths first (an empty cell's is 0). An id that does not pack is never in a narrow cell.
            return (int)(cell >> LengthShift) == id.Length && TryPack(id, out var packed) && packed == cell;
        }

        var bytes = Cell(slot);
        var length = bytes[0];
        if (length == Aside)
        {
            return id.SequenceEqual(_aside![slot]);
        }

        return length == id.Length && length != Empty && Ascii.Equals(bytes.Slice(1, length), id);
    }

    /// <summary>The id of <paramref name="slot"/> as a new string (the kept one for an id kept aside); null when none.</summary>
    public string? Get(int slot)
    {
        if (!Has(slot))
        {
            return null;
        }

        if (IsAsideAt(slot))
        {
            return _aside![slot];
        }

        Span<char> buffer = stackalloc char[MaxInline];
        return new string(Chars(slot, buffer));
    }

    /// <summary>
    /// The id of <paramref name="slot"/> as characters, written into <paramref name="buffer"/> (at least
    /// <see cref="MaxInline"/> long) for an id kept inline: valid until the buffer is written again. Empty when none.
    /// </summary>
    public ReadOnlySpan<char> Chars(int slot, Span<char> buffer)
    {
        if (IsAsideAt(slot))
        {
            return _aside![slot];
        }

        if (!IsWide)
        {
            return buffer[..Unpack(NarrowCell(slot), buffer)];
        }

        var bytes = Cell(slot);
        Ascii.ToUtf16(bytes.Slice(1, bytes[0]), buffer, out var written);
        return buffer[..written];
    }

    /// <summary>The id of <paramref name="slot"/>'s <see cref="Hash"/>, without making a string.</summary>
    public uint HashOf(int slot)
    {
        Span<char> buffer = stackalloc char[MaxInline];
        return Hash(Chars(slot, buffer));
    }

    /// <summary>
    /// The runtime's string hash: well mixed in every bit, and randomized per process, so that crafted ids cannot aim at
    /// one probe chain of an index over the column. The same for a string and for its characters.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Hash(ReadOnlySpan<char> id) => (uint)string.GetHashCode(id);

    /// <summary>
    /// <paramref name="id"/> as a narrow cell: false when it is empty, longer than <see cref="MaxPacked"/> or has a
    /// character outside the alphabet.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryPack(ReadOnlySpan<char> id, out ulong cell)
    {
        cell = 0;
        if ((uint)(id.Length - 1) >= MaxPacked)
        {
            return false;
        }

        var codes = Codes;
        var packed = (ulong)id.Length << LengthShift;
        var shift = 0;
        foreach (var c in id)
        {
            // Codes are places in the alphabet + 1 (0: not in it).
            if (c >= codes.Length || codes[c] == 0)
            {
                return false;
            }

            packed |= (ulong)(codes[c] - 1u) << shift;
            shift += 6;
        }

        cell = packed;
        return true;
    }

    /// <summary>Writes the characters of a packed narrow cell into <paramref name="buffer"/>; their count (0 for an empty cell).</summary>
    private static int Unpack(ulong cell, Span<char> buffer)
    {
        var length = (int)(cell >> LengthShift);
        for (var i = 0; i < length; i++)
        {
            buffer[i] = Alphabet[(int)((cell >> (6 * i)) & 63)];
        }

        return length;
    }

    private static bool InlineWide(ReadOnlySpan<char> id) => id.Length is > 0 and <= MaxInline && Ascii.IsValid(id);

    private static byte[] CodesOf(string alphabet)
    {
        var codes = new byte[128];
        for (var i = 0; i < alphabet.Length; i++)
        {
            codes[alphabet[i]] = (byte)(i + 1);
        }

        return codes;
    }

    /// <summary>Puts an id that packs, or (widening the column) one that fits a wide cell.</summary>
    private void PutInline(int slot, ReadOnlySpan<char> id)
    {
        if (!IsWide)
        {
            if (TryPack(id, out var packed))
            {
                BinaryPrimitives.WriteUInt64LittleEndian(Cell(slot), packed);
                return;
            }

            Widen();
        }

        var bytes = Cell(slot);
        bytes[0] = (byte)id.Length;
        Ascii.FromUtf16(id, bytes[1..], out _);
    }

    private void MarkAside(int slot)
    {
        if (IsWide)
        {
            Cell(slot)[0] = Aside;
        }
        else
        {
            BinaryPrimitives.WriteUInt64LittleEndian(Cell(slot), AsideCell);
        }
    }

    private bool IsAsideAt(int slot) => IsWide ? _bytes[slot << WideShift] == Aside : NarrowCell(slot) == AsideCell;

    private void KeepAside(int slot, string id)
    {
        if (_aside is null)
        {
            // Published before the cell that points to it (Volatile.Write is a release).
            Volatile.Write(ref _aside, new string?[Capacity]);
        }

        _aside[slot] = id;
        AsideCount++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong NarrowCell(int slot) => BinaryPrimitives.ReadUInt64LittleEndian(_bytes.AsSpan(slot << NarrowShift, 1 << NarrowShift));

    private Span<byte> Cell(int slot) => _bytes.AsSpan(slot << _shift, 1 << _shift);
}

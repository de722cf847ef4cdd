using System.Runtime.CompilerServices;
using System.Text;

namespace RecoStream.Core.Learners;

/// <summary>
/// The ids of a table's slots, kept as bytes outside the managed heap instead of as a string per slot: 16 bytes a slot,
/// the id's length then its ASCII bytes for an id of 1 to 15 ASCII characters (ids like <c>u123456</c>), or a mark that
/// the id is a string kept aside (a longer id, one with other characters, the empty id). A string of 7 characters costs
/// 40 bytes on the managed heap and its reference 8 more in each table that holds it; the user table and the recent
/// items held one reference each to a million of them on the 1,000,000-user replay (about 56 MB, all of it in the
/// oldest generation for the collector to mark). An id is compared with a string (or a span of characters) in place, and
/// made into a string only when a caller needs one.
/// Not thread-safe, like <see cref="NativeArray{T}"/>: an owner read from another thread resizes only under the lock that
/// thread reads with.
/// </summary>
internal sealed class IdColumn
{
    /// <summary>Longest id kept inline, in characters (ASCII: one byte each).</summary>
    public const int MaxInline = 15;

    private const int Width = 16;
    private const byte Empty = 0;
    private const byte Aside = 255;

    private readonly NativeArray<byte> _bytes;
    // The ids kept aside, by slot: an array as long as the column, made when the first such id comes (a dictionary's
    // entry was 28 bytes or more a slot, which made a table of ids like UUIDs 81 MiB larger on the 1,000,000-user replay
    // than with a string per slot). A reader on another thread reads it under the owner's lock, as the owner resizes it;
    // an old array stays valid.
    private string?[]? _aside;

    /// <summary>A column of <paramref name="capacity"/> slots without ids.</summary>
    public IdColumn(int capacity) => _bytes = new NativeArray<byte>(capacity * Width);

    /// <summary>How many slots the column has.</summary>
    public int Capacity => _bytes.Length / Width;

    /// <summary>Ids kept as strings aside (not inline).</summary>
    public int AsideCount { get; private set; }

    /// <summary>True when <paramref name="slot"/> holds an id.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Has(int slot) => _bytes[slot * Width] != Empty;

    /// <summary>Puts <paramref name="id"/> in <paramref name="slot"/> (replacing the id it held).</summary>
    public void Set(int slot, string id)
    {
        Clear(slot);
        var cell = Cell(slot);
        if (Inline(id))
        {
            cell[0] = (byte)id.Length;
            Ascii.FromUtf16(id, cell[1..], out _);
        }
        else
        {
            KeepAside(slot, id);
            cell[0] = Aside;
        }
    }

    /// <summary>Copies the id of <paramref name="slot"/> of <paramref name="from"/> into <paramref name="slot"/> of this column.</summary>
    public void CopyFrom(IdColumn from, int fromSlot, int slot)
    {
        Clear(slot);
        if (from.Cell(fromSlot)[0] == Aside)
        {
            KeepAside(slot, from._aside![fromSlot]!);
        }

        from.Cell(fromSlot).CopyTo(Cell(slot));
    }

    /// <summary>Removes the id of <paramref name="slot"/>.</summary>
    public void Clear(int slot)
    {
        ref var length = ref _bytes[slot * Width];
        if (length == Aside)
        {
            _aside![slot] = null;
            AsideCount--;
        }

        length = Empty;
    }

    /// <summary>Removes every id.</summary>
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

        _bytes.Resize(capacity * Width);
    }

    /// <summary>True when <paramref name="slot"/> holds <paramref name="id"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Is(int slot, ReadOnlySpan<char> id)
    {
        var cell = Cell(slot);
        var length = cell[0];
        if (length == Aside)
        {
            return id.SequenceEqual(_aside![slot]);
        }

        return length == id.Length && length != Empty && Ascii.Equals(cell.Slice(1, length), id);
    }

    /// <summary>The id of <paramref name="slot"/> as a new string (the kept one for an id kept aside); null when none.</summary>
    public string? Get(int slot)
    {
        var cell = Cell(slot);
        return cell[0] switch
        {
            Empty => null,
            Aside => _aside![slot],
            var length => Encoding.ASCII.GetString(cell.Slice(1, length)),
        };
    }

    /// <summary>
    /// The id of <paramref name="slot"/> as characters, written into <paramref name="buffer"/> (at least
    /// <see cref="MaxInline"/> long) for an id kept inline: valid until the buffer is written again. Empty when none.
    /// </summary>
    public ReadOnlySpan<char> Chars(int slot, Span<char> buffer)
    {
        var cell = Cell(slot);
        var length = cell[0];
        if (length == Aside)
        {
            return _aside![slot];
        }

        Ascii.ToUtf16(cell.Slice(1, length), buffer, out var written);
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

    private static bool Inline(string id) => id.Length is > 0 and <= MaxInline && Ascii.IsValid(id);

    private Span<byte> Cell(int slot) => _bytes.AsSpan(slot * Width, Width);
}

using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace RecoStream.Core.Events;

/// <summary>
/// The strings of user and item ids, reused: each parsing thread keeps a table of the id strings it made, keyed by their
/// UTF-8 bytes, and gives the same string out again when the same bytes come in, so a stream of known ids makes no new
/// strings (and the learners' tables, keyed by id, get the very string they hold). The table grows with the ids seen up
/// to <see cref="MaxIds"/> and is emptied when it would hold more, so its memory stays bounded. Ids that are not ASCII or
/// are longer than <see cref="MaxLength"/> bytes are not kept (the caller decodes them as before).
/// </summary>
internal static class IdStrings
{
    /// <summary>Most ids a thread's table holds (its arrays then take 6 MiB; it starts at 512 ids).</summary>
    public const int MaxIds = 1 << 18;

    /// <summary>Longest id kept, in bytes.</summary>
    public const int MaxLength = 64;

    private const int InitialSlots = 1 << 10;

    [ThreadStatic]
    private static Table? _table;

    /// <summary>Ids in this thread's table.</summary>
    internal static int Count => _table?.Count ?? 0;

    /// <summary>
    /// The string of an ASCII id of at most <see cref="MaxLength"/> bytes, the same instance while this thread's table
    /// holds it; null for any other id.
    /// </summary>
    public static string? Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxLength || !Ascii.IsValid(utf8))
        {
            return null;
        }

        var table = _table ??= new Table(InitialSlots);
        var hash = Hash(utf8);
        var strings = table.Strings;
        var hashes = table.Hashes;
        var mask = strings.Length - 1;
        var slot = hash & mask;
        while (strings[slot] is { } kept)
        {
            if (hashes[slot] == hash && Ascii.Equals(utf8, kept))
            {
                return kept;
            }

            slot = (slot + 1) & mask;
        }

        var made = Encoding.ASCII.GetString(utf8);
        if (table.Count >= strings.Length / 2)
        {
            // Half full: twice the slots, or, at the limit, start again empty (the ids that come again are made again).
            _table = table = table.Count < MaxIds ? new Table(strings.Length * 2, table) : new Table(strings.Length);
        }

        table.Add(made, hash);
        return made;
    }

    /// <summary>A hash of up to <see cref="MaxLength"/> bytes, eight at a time.</summary>
    internal static int Hash(ReadOnlySpan<byte> bytes)
    {
        const ulong Multiplier = 0x9E3779B97F4A7C15;
        var hash = (ulong)bytes.Length * Multiplier;
        while (bytes.Length >= 8)
        {
            hash = BitOperations.RotateLeft((hash ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes)) * Multiplier, 29);
            bytes = bytes[8..];
        }

        if (!bytes.IsEmpty)
        {
            ulong tail = 0;
            for (var i = 0; i < bytes.Length; i++)
            {
                tail |= (ulong)bytes[i] << (8 * i);
            }

            hash = BitOperations.RotateLeft((hash ^ tail) * Multiplier, 29);
        }

        hash ^= hash >> 32;
        hash *= Multiplier;
        return (int)(hash >> 32);
    }

    /// <summary>Open addressing with linear probing; each string's hash kept beside it.</summary>
    private sealed class Table
    {
        public Table(int slots, Table? from = null)
        {
            Strings = new string?[slots];
            Hashes = new int[slots];
            if (from is null)
            {
                return;
            }

            for (var i = 0; i < from.Strings.Length; i++)
            {
                if (from.Strings[i] is { } kept)
                {
                    Add(kept, from.Hashes[i]);
                }
            }
        }

        public string?[] Strings { get; }

        public int[] Hashes { get; }

        public int Count { get; private set; }

        public void Add(string id, int hash)
        {
            var mask = Strings.Length - 1;
            var slot = hash & mask;
            while (Strings[slot] is not null)
            {
                slot = (slot + 1) & mask;
            }

            Strings[slot] = id;
            Hashes[slot] = hash;
            Count++;
        }
    }
}

using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using RecoStream.Core.Processing;

namespace RecoStream.Core.Events;

/// <summary>
/// The strings of user and item ids, reused: each parsing thread keeps a table of the id strings it made, keyed by their
/// UTF-8 bytes, and gives the same string out again when the same bytes come in, so a stream of known ids makes no new
/// strings. The table grows with the ids seen up
/// to <see cref="MaxIds"/> and is emptied when it would hold more, so its memory stays bounded. Ids that are not ASCII or
/// are longer than <see cref="MaxLength"/> bytes are not kept (the caller decodes them as before).
/// </summary>
internal static class IdStrings
{
    /// <summary>
    /// Most ids a thread's table holds (its arrays then take 7 MiB; it starts at 512 ids). Half of what it was once the
    /// learners' tables kept ids as bytes rather than these strings: the table's strings and arrays are then all it holds,
    /// and 2^18 ids took about 24 MB at the peak of the 1,000,000-user replay (peak RSS 517-523 -> 513-518 MiB there).
    /// </summary>
    public const int MaxIds = 1 << 17;

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
    public static string? Get(ReadOnlySpan<byte> utf8) => Get(utf8, '\0', out _);

    /// <summary>
    /// <see cref="Get(ReadOnlySpan{byte})"/>, with the id's <see cref="KeyHash.Of"/> in namespace <paramref name="ns"/>
    /// (<c>'u'</c> for a user, <c>'i'</c> for an item; kept beside the string, so computed once per id on the parsing
    /// thread instead of for every event on the pipeline thread); 0 for an id not kept, or another namespace.
    /// </summary>
    public static string? Get(ReadOnlySpan<byte> utf8, char ns, out ulong key)
    {
        key = 0;
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
                key = table.KeyOf(slot, ns);
                return kept;
            }

            slot = (slot + 1) & mask;
        }

        var made = Encoding.ASCII.GetString(utf8);
        if (table.Count >= strings.Length / 2)
        {
            // Half full: twice the slots, or, at the limit, start again empty (the ids that come again are made again) in
            // the same arrays (new ones were 14 MiB on the large object heap at every restart, at 2^18 ids).
            if (table.Count < MaxIds)
            {
                _table = table = new Table(strings.Length * 2, table);
            }
            else
            {
                table.Clear();
            }
        }

        key = table.KeyOf(table.Add(made, hash, 0, 0), ns);
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

    /// <summary>
    /// Open addressing with linear probing; beside each string its hash and, once asked for, its key as a user and as an
    /// item (0 until then).
    /// </summary>
    private sealed class Table
    {
        public Table(int slots, Table? from = null)
        {
            Strings = new string?[slots];
            Hashes = new int[slots];
            UserKeys = new ulong[slots];
            ItemKeys = new ulong[slots];
            if (from is null)
            {
                return;
            }

            for (var i = 0; i < from.Strings.Length; i++)
            {
                if (from.Strings[i] is { } kept)
                {
                    Add(kept, from.Hashes[i], from.UserKeys[i], from.ItemKeys[i]);
                }
            }
        }

        public string?[] Strings { get; }

        public int[] Hashes { get; }

        public ulong[] UserKeys { get; }

        public ulong[] ItemKeys { get; }

        public int Count { get; private set; }

        /// <summary>Empties the table (a slot is free when its string is null; adding writes the slot's hash and keys).</summary>
        public void Clear()
        {
            Array.Clear(Strings);
            Count = 0;
        }

        /// <summary>Adds a string not in the table; gives its slot.</summary>
        public int Add(string id, int hash, ulong userKey, ulong itemKey)
        {
            var mask = Strings.Length - 1;
            var slot = hash & mask;
            while (Strings[slot] is not null)
            {
                slot = (slot + 1) & mask;
            }

            Strings[slot] = id;
            Hashes[slot] = hash;
            UserKeys[slot] = userKey;
            ItemKeys[slot] = itemKey;
            Count++;
            return slot;
        }

        /// <summary>The key of the string in <paramref name="slot"/> in namespace <paramref name="ns"/>, computed the first time.</summary>
        public ulong KeyOf(int slot, char ns)
        {
            var keys = ns switch
            {
                'u' => UserKeys,
                'i' => ItemKeys,
                _ => null,
            };
            if (keys is null)
            {
                return 0;
            }

            ref var key = ref keys[slot];
            if (key == 0)
            {
                key = KeyHash.Of(ns, Strings[slot]);
            }

            return key;
        }
    }
}

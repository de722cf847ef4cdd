using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace RecoStream.Storage;

/// <summary>
/// The store's column families and keys. Whole-record state (metadata, feature statistics, catalog, source position)
/// is keyed by checkpoint generation, <c>NNNNNNNNNNNNNNNNNNN/part</c>. Rows and array pages are versioned: the key is
/// the row's base (learner name with its length, the id in UTF-8, then 0xFF, which UTF-8 never contains, so no base is a
/// prefix of another) followed by the bitwise complement of the generation that wrote it, big-endian, so a row's
/// versions sort newest first and seeking to its base finds the newest.
/// </summary>
internal static class StoreLayout
{
    public const string Meta = "meta";
    public const string Dense = "dense";
    public const string Optimizer = "optimizer";
    public const string UserRows = "user_rows";
    public const string ItemRows = "item_rows";
    public const string Features = "features";
    public const string Serving = "serving";
    public const string Offsets = "offsets";

    /// <summary>
    /// The name under which <see cref="UserRows"/> holds each user's recent items (the interaction history), one versioned
    /// row per user like a learner's rows; learner names may not start with '~'.
    /// </summary>
    public const string HistoryRows = "~history";

    /// <summary>The key prefix of every user's history row (<see cref="LearnerPrefix"/> of <see cref="HistoryRows"/>).</summary>
    public static readonly byte[] HistoryPrefix = LearnerPrefix(HistoryRows);

    /// <summary>
    /// The name under which <see cref="UserRows"/> and <see cref="ItemRows"/> hold each user's and item's behaviour
    /// statistics (the feature stage's running counts), one versioned row each.
    /// </summary>
    public const string BehaviourRows = "~behaviour";

    /// <summary>The key prefix of every behaviour row (<see cref="LearnerPrefix"/> of <see cref="BehaviourRows"/>).</summary>
    public static readonly byte[] BehaviourPrefix = LearnerPrefix(BehaviourRows);

    /// <summary>Every column family a store of this layout has, besides RocksDB's <c>default</c>.</summary>
    public static readonly string[] Families = [Meta, Dense, Optimizer, UserRows, ItemRows, Features, Serving, Offsets];

    /// <summary>The versioned column families: rows and array pages.</summary>
    public static readonly string[] VersionedFamilies = [Dense, Optimizer, UserRows, ItemRows];

    /// <summary>Floats per page of a dense array (16 KiB): a checkpoint writes only the pages that changed.</summary>
    public const int PageFloats = 4096;

    private const byte End = 0xFF;

    /// <summary>The column family of a learner's keyed table.</summary>
    public static string RowFamily(string table) => table switch
    {
        "user" => UserRows,
        "item" => ItemRows,
        _ => throw new ArgumentException($"no column family for row table '{table}'", nameof(table)),
    };

    public static byte[] RecordKey(long generation, string part) =>
        Encoding.UTF8.GetBytes(generation.ToString("D19", CultureInfo.InvariantCulture) + "/" + part);

    public static bool TryParseRecordKey(ReadOnlySpan<byte> key, out long generation, out string part)
    {
        part = "";
        generation = 0;
        if (key.Length < 21 || key[19] != (byte)'/' || !long.TryParse(Encoding.ASCII.GetString(key[..19]), NumberStyles.None, CultureInfo.InvariantCulture, out generation))
        {
            return false;
        }

        part = Encoding.UTF8.GetString(key[20..]);
        return true;
    }

    /// <summary>The key prefix of all a learner's rows in a column family.</summary>
    public static byte[] LearnerPrefix(string learner)
    {
        var name = Encoding.UTF8.GetBytes(learner);
        if (name.Length > 255)
        {
            throw new ArgumentException("a learner name is at most 255 bytes", nameof(learner));
        }

        var prefix = new byte[1 + name.Length];
        prefix[0] = (byte)name.Length;
        name.CopyTo(prefix, 1);
        return prefix;
    }

    public static byte[] Base(byte[] learnerPrefix, string id)
    {
        var key = new byte[learnerPrefix.Length + Encoding.UTF8.GetByteCount(id) + 1];
        WriteBase(learnerPrefix, id, key);
        return key;
    }

    /// <summary><see cref="Base"/> written into <paramref name="key"/> (grown when short); its length.</summary>
    public static int WriteBase(byte[] learnerPrefix, ReadOnlySpan<char> id, ref byte[] key)
    {
        var length = learnerPrefix.Length + Encoding.UTF8.GetByteCount(id) + 1;
        WriteBase(learnerPrefix, id, Room(ref key, length));
        return length;
    }

    /// <summary>The first <paramref name="length"/> bytes of <paramref name="key"/>, replaced by a larger array when short.</summary>
    public static Span<byte> Room(ref byte[] key, int length)
    {
        if (key.Length < length)
        {
            key = new byte[Math.Max(length, 2 * key.Length)];
        }

        return key.AsSpan(0, length);
    }

    private static void WriteBase(byte[] learnerPrefix, ReadOnlySpan<char> id, Span<byte> key)
    {
        learnerPrefix.CopyTo(key);
        var written = Encoding.UTF8.GetBytes(id, key[learnerPrefix.Length..]);
        key[learnerPrefix.Length + written] = End;
    }

    /// <summary>The length of <see cref="WriteVersioned"/>'s key.</summary>
    public static int VersionedLength(byte[] learnerPrefix, ReadOnlySpan<char> id) => learnerPrefix.Length + Encoding.UTF8.GetByteCount(id) + 1 + 8;

    /// <summary>
    /// Writes the key of a row's version (what <see cref="Versioned"/> of <see cref="Base"/> makes) into
    /// <paramref name="key"/>, at least <see cref="VersionedLength"/> long; gives its length.
    /// </summary>
    public static int WriteVersioned(Span<byte> key, byte[] learnerPrefix, ReadOnlySpan<char> id, long generation)
    {
        learnerPrefix.CopyTo(key);
        var length = learnerPrefix.Length + Encoding.UTF8.GetBytes(id, key[learnerPrefix.Length..]);
        key[length++] = End;
        BinaryPrimitives.WriteUInt64BigEndian(key[length..], ~(ulong)generation);
        return length + 8;
    }

    public static byte[] Versioned(byte[] rowBase, long generation)
    {
        var key = new byte[rowBase.Length + 8];
        rowBase.CopyTo(key, 0);
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(rowBase.Length), ~(ulong)generation);
        return key;
    }

    /// <summary>The id of a page of a dense array.</summary>
    public static string PageId(string array, int page) => array + ":" + page.ToString("D8", CultureInfo.InvariantCulture);

    public static bool TryParsePageId(string id, out string array, out int page)
    {
        var colon = id.LastIndexOf(':');
        array = colon > 0 ? id[..colon] : "";
        page = 0;
        return colon > 0 && int.TryParse(id.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out page);
    }

    /// <summary>Splits a versioned key into its parts without copying; false for a key of another shape.</summary>
    public static bool TryParseVersioned(ReadOnlySpan<byte> key, out VersionedKey parsed)
    {
        parsed = default;
        if (key.Length < 10 || 1 + key[0] + 1 + 8 > key.Length || key[^9] != End)
        {
            return false;
        }

        parsed = new VersionedKey(key[..^8], key.Slice(1, key[0]), key[(1 + key[0])..^9], (long)~BinaryPrimitives.ReadUInt64BigEndian(key[^8..]));
        return true;
    }

    /// <summary>True when two versioned keys are versions of the same row (same base; the suffix is 8 bytes).</summary>
    public static bool SameRow(ReadOnlySpan<byte> key, byte[] previousKey) =>
        previousKey.Length == key.Length && key.Length >= 8 && key[..^8].SequenceEqual(previousKey.AsSpan(0, previousKey.Length - 8));

    /// <summary>The smallest key after every key starting with <paramref name="prefix"/>, or null when there is none.</summary>
    public static byte[]? PrefixEnd(byte[] prefix)
    {
        var end = (byte[])prefix.Clone();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] != 0xFF)
            {
                end[i]++;
                return end[..(i + 1)];
            }
        }

        return null;
    }
}

/// <summary>The parts of a versioned key (views into it).</summary>
/// <param name="Base">The row's base: every version of the row starts with it.</param>
/// <param name="Learner">The learner's name, UTF-8.</param>
/// <param name="Id">The row's id (or an array page's), UTF-8.</param>
/// <param name="Generation">The checkpoint that wrote the version.</param>
internal readonly ref struct VersionedKey(ReadOnlySpan<byte> Base, ReadOnlySpan<byte> Learner, ReadOnlySpan<byte> Id, long Generation)
{
    public ReadOnlySpan<byte> Base { get; } = Base;

    public ReadOnlySpan<byte> Learner { get; } = Learner;

    public ReadOnlySpan<byte> Id { get; } = Id;

    public long Generation { get; } = Generation;

    public string IdString() => Encoding.UTF8.GetString(Id);

    public string LearnerString() => Encoding.UTF8.GetString(Learner);
}

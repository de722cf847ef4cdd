using RocksDbSharp;

namespace RecoStream.Storage.Tests;

/// <summary>A store's RocksDB folder opened directly with all its column families, to inspect or damage it.</summary>
internal sealed class RawStore : IDisposable
{
    private static readonly string[] Families = ["meta", "dense", "optimizer", "user_rows", "item_rows", "features", "serving", "offsets"];

    public RawStore(string path)
    {
        var families = new ColumnFamilies();
        foreach (var family in Families)
        {
            families.Add(family, new ColumnFamilyOptions());
        }

        Db = RocksDb.Open(new DbOptions(), path, families);
    }

    public RocksDb Db { get; }

    public byte[] Get(string family, byte[] key) => Db.Get(key, Db.GetColumnFamily(family));

    public void Set(string family, byte[] key, byte[]? value)
    {
        if (value is null)
        {
            Db.Remove(key, Db.GetColumnFamily(family));
        }
        else
        {
            Db.Put(key, value, Db.GetColumnFamily(family));
        }
    }

    /// <summary>Every key and value of a column family, in key order.</summary>
    public List<(byte[] Key, byte[] Value)> Entries(string family)
    {
        var entries = new List<(byte[], byte[])>();
        using var iterator = Db.NewIterator(Db.GetColumnFamily(family));
        for (iterator.SeekToFirst(); iterator.Valid(); iterator.Next())
        {
            entries.Add((iterator.Key(), iterator.Value()));
        }

        return entries;
    }

    public void Dispose() => Db.Dispose();
}

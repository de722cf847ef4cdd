namespace RecoStream.Core.Ranking;

/// <summary>
/// Every item seen so far, append-only, with its interaction count (its popularity). An item's index
/// never changes, so other tables can refer to items by index.
/// </summary>
public sealed class ItemCatalog
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly List<string> _ids = [];
    private readonly List<long> _counts = [];

    /// <summary>Item ids in index order.</summary>
    public IReadOnlyList<string> Ids => _ids;

    /// <summary>Interaction counts in index order.</summary>
    public IReadOnlyList<long> Counts => _counts;

    /// <summary>How many items are known.</summary>
    public int Count => _ids.Count;

    /// <summary>Counts one interaction with an item, adding it if new; returns its index.</summary>
    public int Record(string item)
    {
        if (!_index.TryGetValue(item, out var index))
        {
            index = _ids.Count;
            _index.Add(item, index);
            _ids.Add(item);
            _counts.Add(0);
        }

        _counts[index]++;
        return index;
    }

    /// <summary>The index of a known item.</summary>
    public bool TryGetIndex(string item, out int index) => _index.TryGetValue(item, out index);

    /// <summary>A copy for a checkpoint.</summary>
    public CatalogSnapshot Snapshot() => new([.. _ids], [.. _counts]);

    /// <summary>Replaces the contents with a checkpoint's.</summary>
    public void Restore(CatalogSnapshot snapshot)
    {
        if (snapshot.Ids.Count != snapshot.Counts.Count)
        {
            throw new InvalidOperationException("the stored item catalog is inconsistent (ids and counts differ in length)");
        }

        _index.Clear();
        _ids.Clear();
        _counts.Clear();
        for (var i = 0; i < snapshot.Ids.Count; i++)
        {
            _index.Add(snapshot.Ids[i], i);
            _ids.Add(snapshot.Ids[i]);
            _counts.Add(snapshot.Counts[i]);
        }
    }
}

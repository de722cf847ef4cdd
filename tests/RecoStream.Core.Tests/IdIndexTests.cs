using RecoStream.Core.Learners;

namespace RecoStream.Core.Tests;

public sealed class IdIndexTests
{
    [Fact]
    public void AddsFindsAndRemoves_AsADictionaryDoes_ThroughGrowthAndLongProbeChains()
    {
        // Slots are reused after removal, as a table reuses them; the index must agree with a dictionary throughout.
        var index = new IdIndex();
        var expected = new Dictionary<string, int>(StringComparer.Ordinal);
        // One id in four is kept aside by the id column (too long, or not ASCII), the rest inline.
        var ids = new IdColumn(5000);
        var free = new Stack<int>(Enumerable.Range(0, ids.Capacity).Reverse());
        var rng = new Random(3);
        for (var n = 0; n < 200_000; n++)
        {
            var k = rng.Next(6000);
            var id = (k % 8) switch
            {
                0 => "a-longer-identifier-" + k,
                1 => "é" + k,
                _ => "id" + k,
            };
            if (expected.TryGetValue(id, out var slot))
            {
                Assert.True(index.TryGetValue(id, ids, out var found));
                Assert.Equal(slot, found);
                if (rng.Next(3) == 0)
                {
                    Assert.True(index.Remove(id, ids));
                    expected.Remove(id);
                    ids.Clear(slot);
                    free.Push(slot);
                    Assert.False(index.TryGetValue(id, ids, out _));
                }
            }
            else
            {
                Assert.False(index.TryGetValue(id, ids, out _));
                Assert.False(index.Remove(id, ids));
                if (free.Count > 0)
                {
                    slot = free.Pop();
                    ids.Set(slot, id);
                    index.Add(id, slot, ids);
                    expected.Add(id, slot);
                }
            }

            Assert.Equal(expected.Count, index.Count);
        }

        Assert.Equal(expected.Values.Order(), index.Slots().Order());
        foreach (var (id, slot) in expected)
        {
            Assert.True(index.TryGetValue(id, ids, out var found));
            Assert.Equal(slot, found);
        }

        index.Clear();
        Assert.Equal(0, index.Count);
        Assert.False(index.TryGetValue(expected.Keys.First(), ids, out _));
    }

    [Fact]
    public void Add_RefusesASlotBeyondWhatABucketHolds()
    {
        var index = new IdIndex();
        var ids = new IdColumn(1);
        ids.Set(0, "a");
        index.Add("a", 0, ids);
        Assert.Throws<InvalidOperationException>(() => index.Add("b", IdIndex.MaxSlot + 1, ids));
        Assert.Throws<InvalidOperationException>(() => index.Add("b", -1, ids));
        Assert.Equal(1, index.Count);
        Assert.True(index.TryGetValue("a", ids, out var slot));
        Assert.Equal(0, slot);
    }
}

using RecoStream.Core.Learners;

namespace RecoStream.Core.Tests;

public sealed class SlotSetTests
{
    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(1, 1.0)]
    [InlineData(64, 1.0)]
    [InlineData(65, 0.5)]
    [InlineData(1000, 0.01)]
    [InlineData(5000, 0.3)]
    [InlineData(5000, 0.97)]
    public void TheSlotAtEachIndex_AndTheEnumeration_AreThoseOfTheSortedSlots(int slotCount, double share)
    {
        // Sparse and dense sets, with empty words between full ones (runs of slots left out), as a sorted list has them.
        var rng = new Random(slotCount);
        var expected = Enumerable.Range(0, slotCount).Where(s => (s / 200) % 3 != 1 && rng.NextDouble() < share).ToList();
        var set = new SlotSet(slotCount);
        foreach (var slot in expected.OrderBy(_ => rng.Next()))
        {
            set.Add(slot);
        }

        set.Seal();

        Assert.Equal(expected.Count, set.Length);
        // In order (each index the one after the last read), backwards and at random (each a search), and in order again
        // from a random index.
        Assert.Equal(expected, Enumerable.Range(0, set.Length).Select(i => set[i]));
        Assert.Equal(Enumerable.Reverse(expected), Enumerable.Range(0, set.Length).Reverse().Select(i => set[i]));
        foreach (var i in Enumerable.Range(0, set.Length).OrderBy(_ => rng.Next()).Take(300))
        {
            Assert.Equal(expected[i], set[i]);
        }

        var from = expected.Count / 3;
        Assert.Equal(expected.Skip(from), Enumerable.Range(from, set.Length - from).Select(i => set[i]));
        var enumerated = new List<int>();
        foreach (var slot in set)
        {
            enumerated.Add(slot);
        }

        Assert.Equal(expected, enumerated);

        // Each slot's index, and -1 for those left out and those beyond the set's slots.
        var members = expected.ToHashSet();
        for (var slot = -1; slot <= slotCount + 64; slot++)
        {
            Assert.Equal(members.Contains(slot) ? expected.IndexOf(slot) : -1, set.IndexOf(slot));
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => set[set.Length]);
        Assert.Throws<ArgumentOutOfRangeException>(() => set[-1]);
    }

    [Fact]
    public void TheSetBitOfEachRank_IsFoundWithAndWithoutBmi2()
    {
        var rng = new Random(5);
        foreach (var word in new[] { 1UL, 1UL << 63, ulong.MaxValue }.Concat(Enumerable.Range(0, 200).Select(_ => (ulong)rng.NextInt64() & (ulong)rng.NextInt64())))
        {
            var positions = Enumerable.Range(0, 64).Where(b => (word >> b & 1) != 0).ToList();
            for (var rank = 0; rank < positions.Count; rank++)
            {
                Assert.Equal(positions[rank], SlotSet.Select(word, rank));
                Assert.Equal(positions[rank], SlotSet.SelectByClearing(word, rank));
            }
        }
    }
}

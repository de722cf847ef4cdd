using RecoStream.Core.Routing;

namespace RecoStream.Core.Tests;

public sealed class HeapCompactionsTests
{
    [Fact]
    public void AfterAWrite_TheHeapIsCompacted_UnlessTheLastCompactionEndedLessThanFiftyOfItsPausesAgo()
    {
        var time = new SteppingTime();
        var pause = TimeSpan.FromMilliseconds(2);
        var compactions = new HeapCompactions(time, () => time.Advance(pause));

        Assert.True(compactions.AfterWrite()); // the first
        time.Advance((pause * HeapCompactions.PauseBudget) - TimeSpan.FromMilliseconds(1));
        Assert.False(compactions.AfterWrite());
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(compactions.AfterWrite());
        Assert.False(compactions.AfterWrite());
        Assert.Equal(2, compactions.Count);
        Assert.Equal(pause * 2, compactions.Paused);

        // A longer pause waits longer for the next.
        pause = TimeSpan.FromMilliseconds(10);
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(compactions.AfterWrite());
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(compactions.AfterWrite());
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(compactions.AfterWrite());
    }

    [Fact]
    public void ByDefault_ACompactionIsAFullBlockingCollection()
    {
        var compactions = new HeapCompactions(TimeProvider.System);
        var before = GC.CollectionCount(GC.MaxGeneration);
        Assert.True(compactions.AfterWrite());
        Assert.True(GC.CollectionCount(GC.MaxGeneration) > before);
    }

    /// <summary>A clock whose timestamps move only when told (in ticks of 100 ns).</summary>
    private sealed class SteppingTime : TimeProvider
    {
        private long _ticks = TimeSpan.TicksPerDay;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}

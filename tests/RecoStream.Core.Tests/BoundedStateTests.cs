using RecoStream.Core.Events;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;
using RecoStream.Core.Ranking;

namespace RecoStream.Core.Tests;

/// <summary>Per-user state beyond the embedding tables can be bounded: the least recently active entries go first.</summary>
public class BoundedStateTests
{
    [Fact]
    public void OldestEntries_Trim_DropsTheLeastRecentlyActiveDownToNinetyPercent()
    {
        var table = Enumerable.Range(0, 101).ToDictionary(i => i, i => (long)i);
        Assert.Equal(0, OldestEntries.Trim(table, 101, t => t));
        Assert.Equal(0, OldestEntries.Trim(table, 0, t => t));

        var dropped = OldestEntries.Trim(table, 100, t => t);

        Assert.Equal(11, dropped);
        Assert.Equal(Enumerable.Range(11, 90), table.Keys.Order());
    }

    [Fact]
    public void InteractionHistory_BeyondMaxUsers_ForgetsTheLeastRecentlyActiveUsers()
    {
        var history = new InteractionHistory(maxPerUser: 5, maxUsers: 10);
        for (var u = 0; u < 10; u++)
        {
            history.Record("u" + u, u);
        }

        history.Record("u0", 42); // u0 is active again: u1 is now the least recently active
        history.Record("u10", 1);

        Assert.Equal(2, history.UsersDropped);
        Assert.False(history.TryGetItems("u1", out _));
        Assert.False(history.TryGetItems("u2", out _));
        Assert.True(history.TryGetItems("u0", out var items));
        Assert.Equal([0, 42], items.Order());
        Assert.True(history.TryGetItems("u10", out _));
        Assert.Equal(9, history.UserCount);
    }

    [Fact]
    public void FeatureExtractor_BeyondBehaviourMaxKeys_DropsTheStalestStatistics()
    {
        var clock = new EventClock(0);
        var extractor = new FeatureExtractor(new FeatureOptions { BehaviourMaxKeys = 20 }, new LabelOptions(), clock);
        for (var n = 0; n < 21; n++)
        {
            extractor.Extract(TestEvents.Purchase("u" + n, "i" + n, n * 1000L, 10));
        }

        Assert.Equal(18, extractor.Users);
        Assert.Equal(18, extractor.Items);
        Assert.Equal(6, extractor.KeysDropped);
        // u0 was dropped: it starts afresh.
        var again = TestEvents.Purchase("u0", "i20", 30_000, 10);
        extractor.Extract(again);
        Assert.Equal(0.0, again.Event!.Behaviour[BehaviourVector.UserEvents]);
    }
}

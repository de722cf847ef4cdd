using RecoStream.Core.Events;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;

namespace RecoStream.Core.Tests;

public class FeatureExtractorTests
{
    private const long Hour = 3_600_000;

    private static (FeatureExtractor Extractor, EventClock Clock) Build(LabelOptions? labels = null)
    {
        var clock = new EventClock(0);
        return (new FeatureExtractor(new FeatureOptions(), labels ?? new LabelOptions(), clock), clock);
    }

    private static UserEvent Extract(FeatureExtractor extractor, EventClock clock, StreamItem item)
    {
        extractor.Extract(item);
        clock.Observe(item.Event!.TimestampMs);
        return item.Event!;
    }

    [Fact]
    public void Behaviour_IsTheUsersAndItemsHistoryBeforeTheEvent()
    {
        var (extractor, clock) = Build();
        var first = Extract(extractor, clock, TestEvents.Purchase("u", "a", 0, 30));
        Assert.True(first.HasBehaviour);
        Assert.Equal(0.0, first.Behaviour[BehaviourVector.UserEvents]);
        Assert.Equal(0.0, first.Behaviour[BehaviourVector.ItemEvents]);

        Extract(extractor, clock, TestEvents.Purchase("u", "b", 2 * Hour, 10));
        Extract(extractor, clock, TestEvents.Item("v", "a", 3 * Hour, EventType.View, null));
        var e = Extract(extractor, clock, TestEvents.Item("u", "a", 6 * Hour, EventType.View, null));

        Assert.Equal(2.0, e.Behaviour[BehaviourVector.UserEvents]);
        Assert.Equal(2 * 24.0 / 2, e.Behaviour[BehaviourVector.UserEventsPerDay], 9);   // 2 events over a 2-hour span
        Assert.Equal(4 * 3600.0, e.Behaviour[BehaviourVector.UserRecencySeconds]);
        Assert.Equal(20.0, e.Behaviour[BehaviourVector.UserMeanPurchase]);
        Assert.Equal(2.0, e.Behaviour[BehaviourVector.ItemEvents]);
        Assert.Equal(3 * 3600.0, e.Behaviour[BehaviourVector.ItemRecencySeconds]);
    }

    [Fact]
    public void Behaviour_Off_LeavesTheEventWithout()
    {
        var extractor = new FeatureExtractor(new FeatureOptions { Behaviour = false }, new LabelOptions(), new EventClock(0));
        var item = TestEvents.Item("u", "a", 0, EventType.View, null);
        extractor.Extract(item);
        Assert.False(item.Event!.HasBehaviour);
    }

    [Fact]
    public void Strength_FromTheEventType_DecaysWithAgeBehindTheNewestEvent()
    {
        var (extractor, clock) = Build(new LabelOptions { Purchase = 5, View = 1, HalfLifeSeconds = 60 });
        Assert.Equal(5.0, Extract(extractor, clock, TestEvents.Item("u", "a", 120_000, EventType.Purchase, null)).Strength);
        Assert.Equal(2.5, Extract(extractor, clock, TestEvents.Item("u", "b", 60_000, EventType.Purchase, null)).Strength, 12);
        Assert.Equal(0.25, Extract(extractor, clock, TestEvents.Item("u", "c", 0, EventType.View, null)).Strength, 12);
        Assert.True(double.IsNaN(Extract(extractor, clock, TestEvents.Item("u", "d", 0, EventType.Rating, 4)).Strength));

        var policy = new LabelPolicy(new LabelOptions());
        var late = TestEvents.Item("u", "e", 0, EventType.Purchase, null);
        extractor.Extract(late);
        Assert.Equal(5.0 * Math.Pow(0.5, 2), policy.LabelOf(late.Event!), 12);
    }

    [Fact]
    public void Snapshot_RestoredIntoAFreshExtractor_GivesTheNextEventTheSameFeatures()
    {
        var (original, clock) = Build();
        for (var n = 0; n < 50; n++)
        {
            Extract(original, clock, TestEvents.Purchase("u" + n % 4, "i" + n % 7, n * 60_000, n));
        }

        var (restored, _) = Build();
        restored.Restore(original.Snapshot());
        var a = Extract(original, clock, TestEvents.Purchase("u1", "i3", 51 * 60_000, 5));
        var b = Extract(restored, clock, TestEvents.Purchase("u1", "i3", 51 * 60_000, 5));
        for (var i = 0; i < BehaviourVector.Count; i++)
        {
            Assert.Equal(a.Behaviour[i], b.Behaviour[i]);
        }

        Assert.Equal(original.Keys.Estimate(), restored.Keys.Estimate());
    }

    [Fact]
    public void KeySketch_EstimatesDistinctKeysWithinTwoPercent()
    {
        var sketch = new KeySketch();
        for (var n = 0; n < 200_000; n++)
        {
            sketch.Add(KeyHash.Of('u', "user-" + n % 100_000));
        }

        Assert.InRange(sketch.Estimate(), 98_000, 102_000);
        var small = new KeySketch();
        foreach (var id in new[] { "a", "b", "c", "a" })
        {
            small.Add(KeyHash.Of('i', id));
        }

        Assert.Equal(3.0, small.Estimate(), 0.05);
    }

    [Fact]
    public void ExpectedCollisions_MatchesHashingRealIdsIntoTheTable()
    {
        const int Bits = 12;
        const int Keys = 3000;
        var slots = Enumerable.Range(0, Keys).Select(n => FeatureHasher.Slot(FeatureHasher.UserNamespace, "user-" + n, Bits)).ToArray();
        var colliding = slots.GroupBy(s => s).Where(g => g.Count() > 1).Sum(g => g.Count() - 1);

        var expected = KeySketch.ExpectedCollisions(Keys, Bits);
        Assert.InRange(colliding, expected * 0.85, expected * 1.15);
        Assert.Equal(0.0, KeySketch.ExpectedCollisions(1, Bits), 6);
    }
}

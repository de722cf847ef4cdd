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
    public void InteractionHistory_SnapshotChanges_HoldsOnlyUsersChangedOrDroppedSinceTheLastOne()
    {
        var history = new InteractionHistory(maxPerUser: 3, maxUsers: 10);
        for (var u = 0; u < 10; u++)
        {
            history.Record("u" + u, u);
        }

        var first = history.SnapshotChanges();
        Assert.True(first.ChangesOnly);
        Assert.Equal(10, first.Users.Count);
        Assert.Empty(history.SnapshotChanges().Users);

        history.Record("u3", 3); // already there: nothing changes
        history.Record("u4", 40);
        var second = history.SnapshotChanges();
        Assert.Equal("u4", Assert.Single(second.Users).User);
        Assert.Equal([4, 40], second.Users[0].Items);
        Assert.Empty(second.Removed!);

        // Past ten users the least recently active go (down to nine): the new user is a change, the dropped are removals.
        history.Record("new", 7);
        var third = history.SnapshotChanges();
        Assert.Equal(["new"], third.Users.Select(e => e.User));
        Assert.Equal(history.UserCount, third.TotalUsers);
        Assert.Equal(11 - history.UserCount, third.Removed!.Count);
        Assert.All(third.Removed, user => Assert.False(history.TryGetItems(user, out _)));
    }

    [Fact]
    public void InteractionHistory_SnapshotChanges_ReadLater_GivesEachUsersItemsAsTheyWereWhenTaken()
    {
        var history = new InteractionHistory(maxPerUser: 4);
        for (var n = 0; n < 30; n++)
        {
            history.Record("u" + (n % 5), n);
        }

        var first = history.SnapshotChanges();
        // Items seen again change nothing; new ones push the oldest out of the ring; a dropped user is only a removal.
        history.Record("u1", 26);
        history.Record("u1", 100);
        history.Record("u2", 101);
        history.Record("u2", 102);
        history.Record("new", 7);
        Assert.Equal([11, 16, 21, 26], first.Users.Single(e => e.User == "u1").Items);
        Assert.Equal([12, 17, 22, 27], first.Users.Single(e => e.User == "u2").Items);
        Assert.Equal([10, 15, 20, 25], first.Users.Single(e => e.User == "u0").Items);

        // Taken again before the first was released: the first is copied then, and both read as taken.
        var second = history.SnapshotChanges();
        history.Record("u2", 103);
        Assert.Equal([11, 16, 21, 26], first.Users.Single(e => e.User == "u1").Items);
        Assert.Equal(["new", "u1", "u2"], second.Users.Select(e => e.User).Order());
        Assert.Equal([16, 21, 26, 100], second.Users.Single(e => e.User == "u1").Items);
        Assert.Equal([22, 27, 101, 102], second.Users.Single(e => e.User == "u2").Items);
        second.Release!();
        history.Record("u2", 104);
        var third = history.SnapshotChanges();
        Assert.Equal([101, 102, 103, 104], Assert.Single(third.Users).Items);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(5, 0)]
    [InlineData(8, 0)]
    [InlineData(5, 40)]
    [InlineData(13, 25)]
    public void InteractionHistory_KeepsEachUsersMostRecentDistinctItems_AsAListPerUserWould(int maxPerUser, int maxUsers)
    {
        // Users' items move between block sizes, rings wrap at the limit, and dropped users' blocks are reused by others:
        // every user's items must still be what a plain list per user holds.
        var history = new InteractionHistory(maxPerUser, maxUsers);
        var expected = new Dictionary<string, List<int>>();
        var rng = new Random(maxPerUser * 100 + maxUsers);
        var dropped = 0L;
        HistorySnapshot? unwritten = null;
        Dictionary<string, int[]>? then = null;
        for (var n = 0; n < 20_000; n++)
        {
            var user = "u" + rng.Next(60);
            var item = rng.Next(3 * maxPerUser + 2);
            history.Record(user, item);
            if (history.UsersDropped != dropped)
            {
                // A new user pushed the history past maxUsers: the least recently active users went.
                dropped = history.UsersDropped;
                foreach (var gone in expected.Keys.Where(u => !history.TryGetItems(u, out _)).ToList())
                {
                    expected.Remove(gone);
                }
            }

            var items = expected.TryGetValue(user, out var list) ? list : expected[user] = [];
            if (!items.Contains(item))
            {
                items.Add(item);
                if (items.Count > maxPerUser)
                {
                    items.RemoveAt(0);
                }
            }

            if (n % 97 == 0)
            {
                // The last snapshot of changes, read only now (after 97 more events, drops and reused blocks among
                // them), holds each changed user's items as they were when it was taken: read as entries and into a
                // buffer (as the checkpoint's writer reads it), and, one time in four, after a newer snapshot was taken
                // before it was released (it then copies every user).
                var next = (n / 97) % 4 == 1 ? history.SnapshotChanges() : null;
                if (unwritten is not null)
                {
                    Assert.All(unwritten.Users, e => Assert.Equal(then![e.User], e.Items));
                    var buffer = new int[1];
                    for (var i = 0; i < unwritten.Users.Count; i++)
                    {
                        var read = unwritten.Read(i, ref buffer, out var count);
                        Assert.Equal(then![read.ToString()], buffer.AsSpan(0, count).ToArray());
                    }

                    unwritten.Release!();
                }

                unwritten = next ?? history.SnapshotChanges();
                then = expected.ToDictionary(e => e.Key, e => e.Value.ToArray());
            }
        }

        Assert.Equal(maxUsers > 0, dropped > 0);
        Assert.Equal(expected.Count, history.UserCount);
        var snapshot = history.Snapshot().Users.ToDictionary(e => e.User, e => e.Items);
        foreach (var (user, items) in expected)
        {
            Assert.Equal(items, snapshot[user]); // oldest first
            Assert.Equal(items.Order(), history.SeenItems(user).ToArray().Order());
            Assert.True(history.TryGetItems(user, out var set));
            Assert.Equal(items.Order(), set.Order());
            Assert.All(items, item => Assert.Contains(item, set));
        }

        // Restored into a new history, the same users hold the same items.
        var restored = new InteractionHistory(maxPerUser, maxUsers);
        restored.Restore(history.Snapshot());
        Assert.Equal(snapshot, restored.Snapshot().Users.ToDictionary(e => e.User, e => e.Items));
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

    [Fact]
    public void FeatureExtractor_SnapshotOfChanges_HoldsWhatChangedAndWhatWasDropped()
    {
        var clock = new EventClock(0);
        var extractor = new FeatureExtractor(new FeatureOptions { BehaviourMaxKeys = 20 }, new LabelOptions(), clock);
        for (var n = 0; n < 10; n++)
        {
            extractor.Extract(TestEvents.Purchase("u" + n, "i" + n, n * 1000L, 10));
        }

        var first = extractor.SnapshotChanges();
        Assert.True(first.ChangesOnly);
        Assert.Equal(10, first.Users.Count);
        Assert.Equal((10, 10), (first.TotalUsers, first.TotalItems));

        // u3 buys i4 again; then new users and items push the three stalest out (u0, u1, u2 and their items).
        extractor.Extract(TestEvents.Purchase("u3", "i4", 10_000, 20));
        for (var n = 10; n < 21; n++)
        {
            extractor.Extract(TestEvents.Purchase("u" + n, "i" + n, 11_000 + n * 1000L, 10));
        }

        var second = extractor.SnapshotChanges();
        var u3 = Assert.Single(second.Users, u => u.User == "u3");
        Assert.Equal((2L, 2L, 30.0), (u3.Count, u3.Purchases, u3.PurchaseTotal));
        Assert.Equal(12, second.Users.Count);
        Assert.Equal(["u0", "u1", "u2"], second.RemovedUsers.Order());
        Assert.Equal(["i0", "i1", "i2"], second.RemovedItems.Order());
        Assert.Equal((18, 18), (second.TotalUsers, second.TotalItems));
        Assert.DoesNotContain(second.Users, u => u.User is "u0" or "u1" or "u2");

        // Nothing since: nothing to write.
        var third = extractor.SnapshotChanges();
        Assert.Empty(third.Users);
        Assert.Empty(third.RemovedUsers);
    }
}

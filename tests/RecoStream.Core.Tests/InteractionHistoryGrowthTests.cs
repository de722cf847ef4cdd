using RecoStream.Core.Learners;
using RecoStream.Core.Ranking;

namespace RecoStream.Core.Tests;

public sealed class InteractionHistoryGrowthTests
{
    [Theory]
    [InlineData("w")] // the 17th user: the per-user arrays grow
    [InlineData("user.x")] // an id with a '.' does not pack into 8 bytes: the users' ids widen to 16 bytes a user
    [InlineData(null)] // v's third item: the first block of four
    public void TheRecentItemsGrow_OnlyOnceTheWriterOfTheirSnapshotHasLetGoOfTheLock(string? newUser)
    {
        // The checkpoint's writer reads a snapshot of changes in place, under the snapshot's lock; growing the per-user
        // arrays (a new user beyond their capacity of 16) or the blocks of items (a user's third item, the first block of
        // four) moves them and frees the old memory, so it must wait for that lock. Here the "writer" holds the lock for a
        // while and the pipeline records the event that makes the history grow meanwhile: the record must return only
        // after the lock was let go (without the wait it returns at once).
        var history = new InteractionHistory(maxPerUser: 100);
        // 15 users, and v below: 16, the arrays' first capacity. One user fewer where only the ids are to widen.
        var users = newUser == "user.x" ? 14 : 15;
        for (var u = 0; u < users; u++)
        {
            history.Record("u" + u, u);
            history.Record("u" + u, 100 + u);
        }

        var snapshot = history.SnapshotChanges();
        // Not in the snapshot: recording its items does not copy a user of the snapshot aside (which takes the lock too).
        history.Record("v", 1);
        history.Record("v", 2);
        var gate = Assert.IsAssignableFrom<CopyOnWrite>(snapshot.Users).Gate;

        var writer = new LockHolder(gate, 300);

        if (newUser is not null)
        {
            history.Record(newUser, 7);
        }
        else
        {
            history.Record("v", 3);
        }

        Assert.True(writer.Released, "the history grew while the writer held the snapshot's lock");
        writer.Dispose();

        // The snapshot still reads every user as taken, from the grown arrays.
        Assert.Equal(users, snapshot.Users.Count);
        var items = new int[1];
        var read = new Dictionary<string, int[]>();
        for (var i = 0; i < snapshot.Users.Count; i++)
        {
            var user = snapshot.Read(i, ref items, out var count).ToString();
            read[user] = items[..count];
        }

        Assert.Equal(Enumerable.Range(0, users).ToDictionary(u => "u" + u, u => new[] { u, 100 + u }), read);
        int[] seen = newUser is null ? [1, 2, 3] : [1, 2];
        Assert.Equal(seen, history.SeenItems("v").ToArray().Order());
        snapshot.Release?.Invoke();
    }

    [Fact]
    public void ANewUser_AllocatesNoObject_OnlyItsShareOfTheGrownFlags()
    {
        // The per-user arrays and blocks live outside the managed heap; what a new user costs the collector is its share of
        // the two flag arrays, grown by doubling (about 4 bytes a user). A closure made on the way to a new block (a
        // lambda capturing the block's size) had cost 32 bytes a user: 38 MiB over the 1,000,000-user replay.
        const int Users = 50_000;
        var history = new InteractionHistory(maxPerUser: 100);
        var ids = Enumerable.Range(0, Users).Select(u => "u" + u).ToArray();
        history.Record("warm", 1);

        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var id in ids)
        {
            history.Record(id, 1);
        }

        var perUser = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Users;
        Assert.True(perUser < 8, $"{perUser:F1} bytes allocated a new user");
    }
}

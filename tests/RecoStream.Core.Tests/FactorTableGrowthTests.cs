using RecoStream.Core.Learners;

namespace RecoStream.Core.Tests;

public sealed class FactorTableGrowthTests
{
    [Theory]
    [InlineData("u3", 4)] // the fourth row of a table of 4 slots (0 is scratch): the table grows
    [InlineData("user.3", 8)] // an id with a '.' does not pack into 8 bytes: the table's ids widen to 16 bytes a slot
    public void ATableGrows_OnlyOnceTheWriterOfItsSnapshotHasLetGoOfTheLock(string newId, int capacity)
    {
        // The checkpoint's writer reads the rows of a snapshot of changes in place, under the snapshot's lock; growing the
        // table moves its rows and frees the old memory, so it must wait for that lock. Here the "writer" holds the lock
        // for a while, and the pipeline adds the row that makes the table grow meanwhile: the add must return only after
        // the lock was let go (without the wait it returns at once).
        var users = new FactorTable(rank: 4, name: "users", capacity: capacity);
        var items = new FactorTable(rank: 4, name: "items", capacity: 4);
        for (var u = 0; u < 3; u++)
        {
            Assert.False(users.TryGetRow("u" + u, out _));
            users.Add("u" + u, static (_, factors) => factors.Fill(0.5f), 0.1f, 1000);
        }

        var snapshot = new LearnerSnapshot("test", 1);
        FactorTable.WritePair(snapshot, users, items, changesOnly: true);
        var rows = snapshot.Rows["user"];
        var gate = Assert.IsAssignableFrom<CopyOnWrite>(rows.Source).Gate;

        var writer = new LockHolder(gate, 300);

        Assert.False(users.TryGetRow(newId, out _));
        users.Add(newId, static (_, factors) => factors.Fill(0.25f), 0.1f, 2000);
        Assert.True(writer.Released, "the table grew while the writer held the snapshot's lock");
        writer.Dispose();

        // The snapshot still reads the rows as they were taken, from the grown table.
        Assert.Equal(3, rows.Count);
        for (var r = 0; r < rows.Count; r++)
        {
            var values = rows.Read(r, out var id, out var lastActiveMs);
            Assert.StartsWith("u", id, StringComparison.Ordinal);
            Assert.Equal(1000, lastActiveMs);
            Assert.Equal(0.5f, values[2]); // bias, bias accumulator, then the factors
        }

        rows.Release?.Invoke();
        Assert.Equal([1, 2, 3, 4], new[] { "u0", "u1", "u2", newId }.Select(id => users.TryGetRow(id, out var row) ? row : -1));
    }
}

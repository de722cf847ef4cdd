using RecoStream.Core.Learners;
using RecoStream.Core.Ranking;

namespace RecoStream.Core.Tests;

/// <summary>
/// A checkpoint's writer reads a snapshot of changes in order and stores it a chunk at a time; once a chunk is stored, the
/// table changes its rows without keeping a copy, and a retried write resumes after the last stored chunk.
/// </summary>
public sealed class SnapshotWriteProgressTests
{
    private const int Rows = 100;

    [Fact]
    public void FactorRows_StoredByTheWriter_AreChangedWithoutACopy_AndARetryResumesAfterThem()
    {
        var users = new FactorTable(rank: 4, name: "users");
        for (var u = 0; u < Rows; u++)
        {
            Assert.False(users.TryGetRow("u" + u, out _));
            users.Add("u" + u, static (_, factors) => factors.Fill(0.5f), 0.1f, 1000);
        }

        var snapshot = new LearnerSnapshot("test", 1);
        FactorTable.WritePair(snapshot, users, new FactorTable(rank: 4, name: "items"), changesOnly: true);
        var rows = snapshot.Rows["user"];
        var progress = Assert.IsAssignableFrom<IWriteProgress>(rows.Progress);
        var copy = Assert.IsAssignableFrom<CopyOnWrite>(rows.Source);

        // A first chunk of 40 rows is stored; the next 20 are read, and their chunk fails.
        Assert.Equal(0, progress.ResumeAt());
        var read = new List<string>();
        for (var r = 0; r < 60; r++)
        {
            rows.Read(r, out var id, out _);
            read.Add(id);
            if (r == 39)
            {
                progress.Stored();
            }
        }

        // The pipeline changes every row: only those not stored are kept for the snapshot.
        for (var u = 0; u < Rows; u++)
        {
            Assert.True(users.TryGetRow("u" + u, out var row));
            users.Update(row, 2000);
        }

        Assert.Equal(Rows - 40, progress.Kept);

        // The retry starts at the first row not stored and reads every row from there as it was taken.
        Assert.Equal(40, progress.ResumeAt());
        for (var r = 40; r < Rows; r++)
        {
            rows.Read(r, out var id, out var lastActiveMs);
            Assert.Equal(1000, lastActiveMs);
            if (r < 60)
            {
                Assert.Equal(read[r], id);
            }
        }

        Assert.False(copy.IsReleased);
        progress.Stored();
        Assert.Equal(Rows, progress.ResumeAt());
        // Every row is stored: the copies kept are dropped at once, not when the whole checkpoint is committed.
        Assert.True(copy.IsReleased);
        rows.Release?.Invoke();
    }

    [Fact]
    public void FactorRows_ChangedBeforeTheWriterReachesThem_AreWrittenAheadFromTheirCopies_WhichGoOnceStored()
    {
        var (users, rows, progress, ahead) = TenTakenAheadAfterAChunkOfTen();

        // The writer reads them from their copies.
        var aheadIds = ahead.Select(index => ReadAt(rows, index, expectLastActive: 1000)).ToHashSet();
        Assert.Equal(Enumerable.Range(50, 10).Select(u => "u" + u).ToHashSet(), aheadIds);
        Assert.Equal(10, progress.Holding); // until their chunk is stored

        // The in-order pass goes on in the same chunk; once it is stored, the copies are dropped.
        ReadInOrder(rows, progress, 10, 20);
        progress.Stored();
        Assert.Equal(0, progress.Holding);
        Assert.Equal(10, progress.MostHeld);

        // Rows changed again later are copied aside again (into the room the dropped ones left) and taken at the next chunk.
        Change(users, 80, 85);
        Assert.Equal(5, progress.Holding);
        ahead.Clear();
        progress.TakeAhead(ahead);
        ahead.ForEach(index => ReadAt(rows, index, expectLastActive: 1000));

        // The in-order pass skips every row written ahead, and reads the others as they were taken.
        var inOrder = new List<string>();
        for (var r = 20; r < Rows; r++)
        {
            if (!progress.WrittenAhead(r))
            {
                inOrder.Add(ReadAt(rows, r, expectLastActive: 1000));
            }
        }

        Assert.Equal(Rows - 20 - 15, inOrder.Count);
        Assert.DoesNotContain(inOrder, id => aheadIds.Contains(id) || id is "u80" or "u84");
        var copy = Assert.IsAssignableFrom<CopyOnWrite>(rows.Source);
        Assert.False(copy.IsReleased);
        progress.Stored();
        Assert.Equal(0, progress.Holding);
        Assert.True(copy.IsReleased);
        rows.Release?.Invoke();
    }

    [Fact]
    public void FactorRows_TakenAheadIntoAChunkThatFailed_StayCopied_AndTheRetryWritesThemAsTaken()
    {
        var (_, rows, progress, _) = TenTakenAheadAfterAChunkOfTen();

        // The chunk holding them fails: the retry starts after the stored one, and no row counts as written ahead.
        Assert.Equal(10, progress.ResumeAt());
        Assert.Equal(10, progress.Holding);
        var read = new List<string>();
        for (var r = 10; r < Rows; r++)
        {
            Assert.False(progress.WrittenAhead(r));
            read.Add(ReadAt(rows, r, expectLastActive: 1000));
        }

        Assert.Equal(Rows - 10, read.Distinct().Count());
        progress.Stored();
        Assert.Equal(0, progress.Holding);
        rows.Release?.Invoke();
    }

    [Fact]
    public void RecentItems_ChangedBeforeTheWriterReachesThem_AreWrittenAheadFromTheirCopies_WhichGoOnceStored()
    {
        var (history, snapshot) = TwoItemsEach();
        var progress = snapshot.Progress!;
        Assert.Equal(0, progress.ResumeAt());
        var items = new int[1];
        snapshot.Read(0, ref items, out _);
        progress.Stored();

        // Rounds of changes, each taken ahead at the next chunk and dropped once it is stored: the copies' room is reused,
        // and each is read as it was taken.
        var written = new HashSet<string> { "u0" };
        for (var round = 0; round < 5; round++)
        {
            for (var u = 10 + (round * 10); u < 20 + (round * 10); u++)
            {
                history.Record("u" + u, 5000 + u);
            }

            Assert.Equal(10, progress.Holding);
            var ahead = new List<int>();
            progress.TakeAhead(ahead);
            Assert.Equal(10, ahead.Count);
            foreach (var index in ahead)
            {
                written.Add(ReadUserAsTaken(snapshot, index, ref items));
            }

            progress.Stored();
            Assert.Equal(0, progress.Holding);
        }

        for (var i = 1; i < Rows; i++)
        {
            if (!progress.WrittenAhead(i))
            {
                Assert.True(written.Add(ReadUserAsTaken(snapshot, i, ref items)));
            }
        }

        Assert.Equal(Rows, written.Count);
        progress.Stored();
        Assert.True(Assert.IsAssignableFrom<CopyOnWrite>(snapshot.Users).IsReleased);
        snapshot.Release?.Invoke();
    }

    /// <summary>
    /// A snapshot of the users whose first ten rows are stored; then the pipeline changes ten the write has not reached
    /// (each copied aside as it was taken), and after the chunk the writer takes them ahead of order.
    /// </summary>
    private static (FactorTable Users, RowSet Rows, IWriteProgress Progress, List<int> Ahead) TenTakenAheadAfterAChunkOfTen()
    {
        var (users, rows) = UsersSnapshot();
        var progress = rows.Progress!;
        Assert.Equal(0, progress.ResumeAt());
        ReadInOrder(rows, progress, 0, 10);
        progress.Stored();
        Change(users, 50, 60);
        Assert.Equal((10, 10), (progress.Kept, progress.Holding));
        var ahead = new List<int>();
        progress.TakeAhead(ahead);
        Assert.Equal(10, ahead.Count);
        return (users, rows, progress, ahead);
    }

    /// <summary>A snapshot of the changes of <see cref="Rows"/> users, user u with the items u and 1000 + u.</summary>
    private static (InteractionHistory History, HistorySnapshot Snapshot) TwoItemsEach()
    {
        var history = new InteractionHistory(maxPerUser: 10);
        for (var u = 0; u < Rows; u++)
        {
            history.Record("u" + u, u);
            history.Record("u" + u, 1000 + u);
        }

        return (history, history.SnapshotChanges());
    }

    /// <summary>The user at <paramref name="index"/> of the snapshot, whose items must be as taken (u and 1000 + u).</summary>
    private static string ReadUserAsTaken(HistorySnapshot snapshot, int index, ref int[] items)
    {
        var user = snapshot.Read(index, ref items, out var count).ToString();
        var u = int.Parse(user.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(new[] { u, 1000 + u }, items[..count]);
        return user;
    }

    private static (FactorTable Users, RowSet Rows) UsersSnapshot()
    {
        var users = new FactorTable(rank: 4, name: "users");
        for (var u = 0; u < Rows; u++)
        {
            users.Add("u" + u, static (_, factors) => factors.Fill(0.5f), 0.1f, 1000);
        }

        var snapshot = new LearnerSnapshot("test", 1);
        FactorTable.WritePair(snapshot, users, new FactorTable(rank: 4, name: "items"), changesOnly: true);
        return (users, snapshot.Rows["user"]);
    }

    private static void ReadInOrder(RowSet rows, IWriteProgress progress, int from, int to)
    {
        for (var r = from; r < to; r++)
        {
            Assert.False(progress.WrittenAhead(r));
            ReadAt(rows, r, expectLastActive: 1000);
        }
    }

    private static string ReadAt(RowSet rows, int index, long expectLastActive)
    {
        rows.Read(index, out var id, out var lastActiveMs);
        Assert.Equal(expectLastActive, lastActiveMs); // as taken: an update sets it
        return id;
    }

    private static void Change(FactorTable users, int from, int to)
    {
        for (var u = from; u < to; u++)
        {
            Assert.True(users.TryGetRow("u" + u, out var row));
            users.Update(row, 2000);
        }
    }

    [Fact]
    public void RecentItems_StoredByTheWriter_AreChangedWithoutACopy_AndARetryResumesAfterThem()
    {
        var (history, snapshot) = TwoItemsEach();
        var progress = Assert.IsAssignableFrom<IWriteProgress>(snapshot.Progress);
        var copy = Assert.IsAssignableFrom<CopyOnWrite>(snapshot.Users);
        Assert.Equal(0, progress.ResumeAt());
        var items = new int[1];
        for (var i = 0; i < 60; i++)
        {
            snapshot.Read(i, ref items, out _);
            if (i == 39)
            {
                progress.Stored();
            }
        }

        for (var u = 0; u < Rows; u++)
        {
            history.Record("u" + u, 5000 + u);
        }

        Assert.Equal(Rows - 40, progress.Kept);
        Assert.Equal(40, progress.ResumeAt());
        for (var i = 40; i < Rows; i++)
        {
            ReadUserAsTaken(snapshot, i, ref items);
        }

        Assert.False(copy.IsReleased);
        progress.Stored();
        Assert.True(copy.IsReleased);

        snapshot.Release?.Invoke();
    }
}

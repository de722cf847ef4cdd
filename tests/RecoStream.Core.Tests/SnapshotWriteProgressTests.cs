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
    public void RecentItems_StoredByTheWriter_AreChangedWithoutACopy_AndARetryResumesAfterThem()
    {
        var history = new InteractionHistory(maxPerUser: 10);
        for (var u = 0; u < Rows; u++)
        {
            history.Record("u" + u, u);
            history.Record("u" + u, 1000 + u);
        }

        var snapshot = history.SnapshotChanges();
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
            var user = snapshot.Read(i, ref items, out var count).ToString();
            var u = int.Parse(user.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(new[] { u, 1000 + u }, items[..count]);
        }

        Assert.False(copy.IsReleased);
        progress.Stored();
        Assert.True(copy.IsReleased);

        snapshot.Release?.Invoke();
    }
}

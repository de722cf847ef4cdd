using RecoStream.Core.Learners;

namespace RecoStream.Core.Tests;

public class SnapshotArraysTests
{
    // Lengths no other test copies, so that no other test takes these arrays from the shared pool.
    private static float[] Values(int length, float start) => [.. Enumerable.Range(0, length).Select(i => start + i)];

    [Fact]
    public void CopyOf_AfterReturn_CopiesIntoTheReturnedArray()
    {
        var first = SnapshotArrays.CopyOf(Values(12_345, 1f));
        Assert.Equal(Values(12_345, 1f), first);

        SnapshotArrays.Return(first);
        var second = SnapshotArrays.CopyOf(Values(12_345, 7f));

        Assert.Same(first, second);
        Assert.Equal(Values(12_345, 7f), second);
    }

    [Fact]
    public void CopyOf_NeverHandsOutItsSource_OrAnArrayOfAnotherLength()
    {
        var source = Values(12_346, 2f);
        var copy = SnapshotArrays.CopyOf(source);
        SnapshotArrays.Return(copy);

        var other = SnapshotArrays.CopyOf(Values(12_347, 3f));
        var again = SnapshotArrays.CopyOf(source);

        Assert.NotSame(source, copy);
        Assert.NotSame(copy, other);
        Assert.Same(copy, again);
        Assert.Equal(source, again);
    }

    [Fact]
    public void Return_OfAnArrayItDidNotMake_IsIgnored()
    {
        var foreign = Values(12_348, 4f);
        SnapshotArrays.Return(foreign);

        var copy = SnapshotArrays.CopyOf(Values(12_348, 9f));

        Assert.NotSame(foreign, copy);
        Assert.Equal(Values(12_348, 4f), foreign); // never written over
    }
}

using RecoStream.Core.Learners;

namespace RecoStream.Core.Tests;

public sealed class IdColumnTests
{
    // Ids at and around the inline limit, and ids the column keeps aside: too long, not ASCII, empty.
    public static TheoryData<string> Ids =>
        ["a", "u123456", new string('x', IdColumn.MaxInline), new string('y', IdColumn.MaxInline + 1), "ü", "用户-42", "", "a\0b"];

    [Theory]
    [MemberData(nameof(Ids))]
    public void AnId_IsGivenBackAsItWasPut_AndComparesAndHashesAsItsString(string id)
    {
        var column = new IdColumn(4);
        column.Set(2, id);

        Assert.True(column.Has(2));
        Assert.False(column.Has(1));
        Assert.Equal(id, column.Get(2));
        Assert.Equal(id, column.Chars(2, new char[IdColumn.MaxInline]).ToString());
        Assert.True(column.Is(2, id));
        Assert.False(column.Is(2, id + "z"));
        Assert.False(column.Is(2, "z" + id));
        Assert.Equal(IdColumn.Hash(id), column.HashOf(2));
        Assert.Equal((uint)id.GetHashCode(), column.HashOf(2));
        Assert.Equal(id.Length is > 0 and <= IdColumn.MaxInline && System.Text.Ascii.IsValid(id) ? 0 : 1, column.AsideCount);
    }

    [Fact]
    public void ReplacingClearingCopyingAndResizing_KeepTheIdsAndDropWhatIsKeptAside()
    {
        var long1 = new string('l', 40);
        var column = new IdColumn(2);
        column.Set(0, long1);
        column.Set(1, "short");
        column.Set(0, "inline"); // replaces an id kept aside
        Assert.Equal(0, column.AsideCount);
        Assert.Equal("inline", column.Get(0));

        column.Set(1, long1);
        column.Resize(8);
        Assert.Equal(8, column.Capacity);
        Assert.Equal("inline", column.Get(0));
        Assert.Equal(long1, column.Get(1));
        Assert.Null(column.Get(5));

        var other = new IdColumn(3);
        other.CopyFrom(column, 1, 2);
        other.CopyFrom(column, 0, 0);
        Assert.Equal(long1, other.Get(2));
        Assert.Equal("inline", other.Get(0));
        Assert.Equal(1, other.AsideCount);
        other.CopyFrom(column, 0, 2); // an inline id over one kept aside
        Assert.Equal("inline", other.Get(2));
        Assert.Equal(0, other.AsideCount);

        column.Clear(1);
        Assert.False(column.Has(1));
        Assert.Equal(0, column.AsideCount);
        Assert.False(column.Is(1, long1));

        column.Set(7, long1);
        column.Resize(4); // a slot cut off takes its id kept aside with it
        Assert.Equal(0, column.AsideCount);
        column.ClearAll();
        Assert.False(column.Has(0));
    }
}

using RecoStream.Core.Learners;

namespace RecoStream.Core.Tests;

public sealed class IdColumnTests
{
    // Ids that pack into a narrow column's 8 bytes (up to 10 of 0-9 A-Z a-z - _), ids at and around the limits of both
    // widths, and ids the column keeps aside: too long, not ASCII, empty.
    public static TheoryData<string> Ids =>
        ["a", "0", "00", "u123456", "Zz_09-", "u0-259", new string('p', IdColumn.MaxPacked), new string('q', IdColumn.MaxPacked + 1), "a.b", "a b",
            new string('x', IdColumn.MaxInline), new string('y', IdColumn.MaxInline + 1), "ü", "用户-42", "", "a\0b", "\u007f"];

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
        var inline = id.Length is > 0 and <= IdColumn.MaxInline && System.Text.Ascii.IsValid(id);
        var packs = id.Length is > 0 and <= IdColumn.MaxPacked && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
        Assert.Equal(inline ? 0 : 1, column.AsideCount);
        Assert.Equal(inline && !packs, column.IsWide);
        Assert.Equal(4, column.Capacity);
    }

    [Fact]
    public void AColumnWidens_AtTheFirstIdThatDoesNotPack_KeepingEveryIdItHeld()
    {
        var long1 = new string('l', 40);
        var column = new IdColumn(6);
        column.Set(0, "u123456");
        column.Set(1, long1); // aside: no need to widen
        column.Set(3, "user_12345");
        Assert.False(column.IsWide);
        Assert.False(column.Widens("u9"));
        Assert.False(column.Widens(long1));
        Assert.True(column.Widens("user.9"));
        Assert.False(column.Is(0, "u1234567"));
        Assert.False(column.Is(0, "u12345"));
        Assert.False(column.Is(2, "u123456")); // an empty slot
        Assert.False(column.Is(0, "u.23456")); // does not pack: never in a narrow cell
        column.Set(5, "000");
        Assert.True(column.Has(5));
        Assert.Equal("000", column.Get(5));
        column.Clear(5);

        column.Set(4, "user.12345");
        Assert.True(column.IsWide);
        Assert.False(column.Widens("user.9"));
        Assert.Equal(6, column.Capacity);
        Assert.Equal(["u123456", long1, null, "user_12345", "user.12345", null], Enumerable.Range(0, 6).Select(column.Get));
        Assert.True(column.Is(0, "u123456"));
        Assert.True(column.Is(1, long1));
        Assert.False(column.Has(2));
        Assert.Equal(IdColumn.Hash("user_12345"), column.HashOf(3));
        Assert.Equal(1, column.AsideCount);

        // Cleared, a column stays wide; widening again changes nothing.
        column.ClearAll();
        column.Widen();
        Assert.True(column.IsWide);
        column.Set(5, "u1");
        Assert.Equal("u1", column.Get(5));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void CopyingBetweenColumnsOfEitherWidth_KeepsTheIds_WideningTheTargetOnlyForAnIdThatDoesNotPack(bool fromWide, bool toWide)
    {
        var from = new IdColumn(4);
        from.Set(0, "u42");
        from.Set(1, new string('l', 40));
        if (fromWide)
        {
            from.Set(2, "a.b");
        }

        var to = new IdColumn(8);
        if (toWide)
        {
            to.Widen();
        }

        to.Set(3, "old");
        to.CopyFrom(from, 0, 7);
        to.CopyFrom(from, 1, 6);
        to.CopyFrom(from, 3, 3); // an empty slot over an id
        Assert.Equal(toWide, to.IsWide);
        if (fromWide)
        {
            to.CopyFrom(from, 2, 5);
            Assert.True(to.IsWide);
            Assert.Equal("a.b", to.Get(5));
        }

        Assert.Equal("u42", to.Get(7));
        Assert.True(to.Is(7, "u42"));
        Assert.Equal(new string('l', 40), to.Get(6));
        Assert.False(to.Has(3));
        Assert.Equal(1, to.AsideCount);
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

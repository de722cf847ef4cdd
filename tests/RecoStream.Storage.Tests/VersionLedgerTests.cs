namespace RecoStream.Storage.Tests;

public sealed class VersionLedgerTests
{
    [Fact]
    public void TheRowsDue_AreEachRowOnce_InOrdinalOrder_ByFamilyAndPrefix()
    {
        var ledger = new VersionLedger(maxRows: 1000);
        var (a, b) = (new byte[] { 1, (byte)'a' }, new byte[] { 1, (byte)'b' });
        string[] first = ["u10", "u2", "ü-ö", "a-user-id-longer-than-eight-characters", "u1"];
        string[] second = ["u2", "", "u10", "Z"];
        ledger.Expect(1, "users", a, first.Length);
        foreach (var id in first)
        {
            ledger.Note(1, "users", a, id);
        }

        foreach (var id in second)
        {
            ledger.Note(2, "users", a, id);
        }

        ledger.Note(2, "users", b, "x");
        ledger.Note(3, "users", a, "not due");

        var (generations, groups) = ledger.Due(2);

        Assert.Equal([1L, 2L], generations);
        Assert.NotNull(groups);
        Assert.Equal(2, groups.Count);
        var expected = first.Concat(second).Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.Same(a, groups[0].Prefix);
        Assert.Equal(expected, Enumerable.Range(0, groups[0].Count).Select(i => groups[0].Id(i).ToString()));
        Assert.Equal(["x"], Enumerable.Range(0, groups[1].Count).Select(i => groups[1].Id(i).ToString()));
        Assert.Equal(first.Length + second.Length + 2, ledger.Rows);
    }
}

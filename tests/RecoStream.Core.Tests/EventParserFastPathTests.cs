using System.Globalization;
using System.Text;
using RecoStream.Core.Events;

namespace RecoStream.Core.Tests;

/// <summary>
/// The parser's fast path against the full parser: every line, of the fast path's shape or not, valid or not, gives the
/// same item both ways; and the common event lines do take the fast path.
/// </summary>
public class EventParserFastPathTests
{
    private static readonly InputLimits Limits = new() { MaxIdLength = 40, MaxFeaturesPerEvent = 3 };
    private readonly EventParser _fast = new(Limits);
    private readonly EventParser _full = new(Limits) { FastPath = false };

    // Lines of the fast path's shape, and their near misses.
    public static TheoryData<string> Lines => new()
    {
        """{"user":"u0-259","item":"i255","type":"rating","value":4,"ts":874724710000}""",
        """{"user":"u1","item":"i2","type":"view","ts":1700000000000}""",
        """{ "user" : "u1" , "item" : "i2" , "type" : "click" , "ts" : 0 }""",
        """{"ts":1700000000000,"type":"purchase","value":12.5,"item":"i9","user":"u3"}""",
        """{"user":"u1","item":"i2","type":"add_to_cart","value":null,"ts":1}""",
        """{"user":"u1","item":"i2","type":"rating","value":-0,"ts":1}""",
        """{"user":"u1","item":"i2","type":"rating","value":-3.25e-2,"ts":1}""",
        """{"user":"u1","item":"i2","type":"rating","value":1E+2,"ts":1}""",
        """{"user":"u1","item":"i2","type":"rating","value":0.1234567890123456789,"ts":1}""",
        """{"user":"u1","item":"i2","type":"rating","value":1e400,"ts":1}""",
        """{"user":"u1","item":"i2","type":"rating","value":-1e400,"ts":1}""",
        """{"user":"u1","item":"i2","type":"rating","value":1e-400,"ts":1}""",
        """{"user":"u1","item":"i2","type":"rating","value":01,"ts":1}""",
        """{"user":"u1","item":"i2","type":"rating","value":1.,"ts":1}""",
        """{"user":"u1","item":"i2","type":"rating","value":.5,"ts":1}""",
        """{"user":"u1","item":"i2","type":"rating","value":+1,"ts":1}""",
        """{"user":"u1","item":"i2","type":"rating","value":1e,"ts":1}""",
        """{"user":"u1","item":"i2","type":"rating","value":NaN,"ts":1}""",
        """{"user":"u1","item":"i2","type":"rating","value":"4","ts":1}""",
        """{"user":"u1","item":"i2","type":"rating","value":nul,"ts":1}""",
        """{"user":"u1","item":"i2","type":"rating","value":nullx,"ts":1}""",
        """{"user":"u1","item":"i2","type":"rating","value":4 5,"ts":1}""",
        """{"user":"u1","item":"i2","type":"view","ts":01}""",
        """{"user":"u1","item":"i2","type":"view","ts":-1}""",
        """{"user":"u1","item":"i2","type":"view","ts":1.5}""",
        """{"user":"u1","item":"i2","type":"view","ts":1e3}""",
        """{"user":"u1","item":"i2","type":"view","ts":253402300799999}""",
        """{"user":"u1","item":"i2","type":"view","ts":253402300800000}""",
        """{"user":"u1","item":"i2","type":"view","ts":9999999999999999999999}""",
        """{"user":"u1","item":"i2","type":"view","ts":"2023-11-14T22:13:20Z"}""",
        """{"user":"u1","item":"i2","type":"view"}""",
        """{"user":"u1","item":"i2","ts":1}""",
        """{"user":"u1","type":"view","ts":1}""",
        """{"item":"i2","type":"view","ts":1}""",
        """{"user":"u1","user":"u2","item":"i2","type":"view","ts":1}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,"ts":2}""",
        """{"user":"u1","item":"i2","type":"wishlist","ts":1}""",
        """{"user":"u1","item":"i2","type":"View","ts":1}""",
        """{"user":"","item":"i2","type":"view","ts":1}""",
        """{"user":"   ","item":"i2","type":"view","ts":1}""",
        """{"user":" u1 ","item":"i2","type":"view","ts":1}""",
        """{"user":"u123456789012345678901234567890123456789","item":"i2","type":"view","ts":1}""",
        """{"user":"u12345678901234567890123456789012345678","item":"i2","type":"view","ts":1}""",
        """{"user":"u\u0031","item":"i2","type":"view","ts":1}""",
        """{"user":"u\"1","item":"i2","type":"view","ts":1}""",
        """{"user":"usér","item":"i2","type":"view","ts":1}""",
        """{"user":1,"item":"i2","type":"view","ts":1}""",
        """{"user":null,"item":"i2","type":"view","ts":1}""",
        """{"u\u0073er":"u1","item":"i2","type":"view","ts":1}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,"features":{"price":3.5}}""",
        """{"user":"u304294","item":"i2832","type":"add_to_cart","ts":1700000000016,"features":{"price":5.91,"hour":22}}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,"features":{ "a" : 1 , "b" : -2e3 , "c" : 0 }}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,"features":{"a":1,"b":2,"c":3,"d":4}}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,"features":{"a":1,"a":2}}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,"features":{}}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,"features":null}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,"features":{"":1}}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,"features":{"device":"phone"}}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,"features":{"flag":true}}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,"features":{"x":null}}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,"features":{"x":1e999}}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,"features":{"x":{"y":1}}}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,"features":[1]}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,"features":{"x":1,}}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,"features":{"x":1}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,"features":{"x":1},"features":{"y":2}}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,"features":{"\u0078":1}}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,"extra":true}""",
        """{"op":"recommend","user":"u1","k":5}""",
        """{"user":"u1","item":"i2","type":"view","ts":1,}""",
        """{"user":"u1","item":"i2","type":"view","ts":1}}""",
        """{"user":"u1","item":"i2","type":"view","ts":1} x""",
        """{"user":"u1","item":"i2","type":"view","ts":1""",
        """{"user":"u1","item":"i2","type":"view","ts":}""",
        """{"user":"u1","item":"i2","type":"view",,"ts":1}""",
        """{"user":"u1" "item":"i2","type":"view","ts":1}""",
        """{"user":"u1","item":"i2","type":"view","ts"1}""",
        "{\"user\":\"u1\",\t\"item\":\"i2\",\"type\":\"view\",\"ts\":1}",
        "{\"user\":\"u1\",\"item\":\"i2\",\"type\":\"view\",\"ts\":1}\r",
        "{\"user\":\"u\t1\",\"item\":\"i2\",\"type\":\"view\",\"ts\":1}",
        """{}""",
        """{""",
        """[]""",
        """{"user":"u1","item":"i2","type":"view","ts":1}{"user":"u1","item":"i2","type":"view","ts":1}""",
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public void Parse_EveryLine_GivesWhatTheFullParserGives(string line) =>
        Assert.Equal(Describe(Parse(_full, line)), Describe(Parse(_fast, line)));

    [Theory]
    [InlineData("""{"user":"u0-259","item":"i255","type":"rating","value":4,"ts":874724710000}""")]
    [InlineData("""{ "ts" : 1700000000000 , "type" : "view" , "item" : "i2" , "user" : "u1" }""")]
    [InlineData("""{"user":"u1","item":"i2","type":"purchase","value":-12.5e1,"ts":0}""")]
    [InlineData("""{"user":"u1","item":"i2","type":"click","value":null,"ts":5}""")]
    [InlineData("""{"user":"u3","item":"i9","type":"add_to_cart","ts":1700000000016,"features":{"price":5.91,"hour":22}}""")]
    public void CommonEventLines_TakeTheFastPath(string line)
    {
        Assert.True(_fast.TryParseSimple(7, Encoding.UTF8.GetBytes(line), null, out var parsed));
        Assert.Equal(Describe(Parse(_full, line)), Describe(parsed));
    }

    [Fact]
    public void Parse_RandomlyDamagedLines_GiveWhatTheFullParserGives()
    {
        // Lines of the fast path's shape with bytes replaced, inserted or removed at random, many from the characters
        // that matter to JSON: each is parsed both ways.
        string[] seeds =
        [
            """{"user":"u0-259","item":"i255","type":"rating","value":4,"ts":874724710000}""",
            """{"user":"u1","item":"i2","type":"view","value":null,"ts":1700000000000}""",
            """{ "ts" : 17 , "type" : "purchase" , "value" : -1.5e3 , "item" : "i2" , "user" : "u1" }""",
            """{"user":"u1","item":"i2","type":"view","ts":1700000000016,"features":{"price":5.91,"hour":22}}""",
        ];
        var alphabet = "{}[]\":,. -+eE0123456789nulltrufasi\\\t\u00e9x"u8.ToArray();
        var random = new Random(20261130);
        var taken = 0;
        for (var n = 0; n < 20_000; n++)
        {
            var bytes = Encoding.UTF8.GetBytes(seeds[n % seeds.Length]).ToList();
            for (var edits = random.Next(1, 4); edits > 0 && bytes.Count > 0; edits--)
            {
                var at = random.Next(bytes.Count);
                var b = random.Next(4) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
                switch (random.Next(3))
                {
                    case 0: bytes[at] = b; break;
                    case 1: bytes.Insert(at, b); break;
                    default: bytes.RemoveAt(at); break;
                }
            }

            var line = bytes.ToArray();
            var fast = _fast.Parse(n, line, tooLong: false, origin: null, arrivedAt: 0);
            var full = _full.Parse(n, line, tooLong: false, origin: null, arrivedAt: 0);
            Assert.True(Describe(full) == Describe(fast), $"line {Convert.ToHexString(line)}: {Describe(full)} <> {Describe(fast)}");
            taken += _fast.TryParseSimple(n, line, null, out _) ? 1 : 0;
        }

        Assert.InRange(taken, 1_000, 19_000); // both ways were exercised: damaged lines the fast path took, and others
    }

    private static StreamItem Parse(EventParser parser, string line) =>
        parser.Parse(7, Encoding.UTF8.GetBytes(line), tooLong: false, origin: null, arrivedAt: 0);

    private static string Describe(StreamItem item)
    {
        var e = item.Event;
        var r = item.Request;
        return string.Join('|',
            item.LineNumber, item.Kind, item.Reason, item.Message, item.WasRequest,
            e?.User, e?.Item, e?.Type, e?.Value?.ToString("R", CultureInfo.InvariantCulture), e?.TimestampMs, e?.RawTypeName,
            e is null ? "" : string.Join(',', e.FeatureNames), e is null ? "" : string.Join(',', e.FeatureValues.Select(v => v.ToString("R", CultureInfo.InvariantCulture))),
            e is null ? "" : string.Join(',', e.Categories), e?.UserKey, e?.ItemKey, e is null ? "" : BitConverter.DoubleToInt64Bits(e.Value ?? double.NaN).ToString(CultureInfo.InvariantCulture),
            r?.ToString());
    }
}

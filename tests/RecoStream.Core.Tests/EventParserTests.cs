using System.Text;
using RecoStream.Core.Events;

namespace RecoStream.Core.Tests;

public class EventParserTests
{
    private readonly EventParser _parser = new(new InputLimits { MaxIdLength = 16, MaxFeaturesPerEvent = 3, MaxK = 100, MaxLineBytes = 1024 });

    private StreamItem Parse(string json) => _parser.Parse(new InputLine(7, Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Parse_FullEvent_ReadsEveryField()
    {
        var item = Parse("""{"user":"u42","item":"i17","type":"rating","value":4.0,"ts":1700000000123,"features":{"price":19.9,"qty":2}}""");

        Assert.Equal(StreamItemKind.Event, item.Kind);
        var e = item.Event!;
        Assert.Equal("u42", e.User);
        Assert.Equal("i17", e.Item);
        Assert.Equal(EventType.Rating, e.Type);
        Assert.Equal(4.0, e.Value);
        Assert.Equal(1700000000123, e.TimestampMs);
        Assert.Equal(["price", "qty"], e.FeatureNames);
        Assert.Equal([19.9, 2.0], e.FeatureValues);
        Assert.Equal(7, item.LineNumber);
    }

    [Fact]
    public void Parse_StringFeatures_AreCategoricalNameValuePairs()
    {
        var item = Parse("""{"user":"u","item":"i","type":"view","ts":1,"features":{"category":"books","price":9.5,"device":"phone"}}""");

        Assert.Equal(StreamItemKind.Event, item.Kind);
        Assert.Equal(["category=books", "device=phone"], item.Event!.Categories);
        Assert.Equal(["price"], item.Event.FeatureNames);
    }

    [Fact]
    public void Parse_OverlongCategoricalValue_IsRejected()
    {
        var item = Parse("{\"user\":\"u\",\"item\":\"i\",\"type\":\"view\",\"ts\":1,\"features\":{\"c\":\"" + new string('x', 200) + "\"}}");
        Assert.Equal(RejectReason.WrongType, item.Reason);
        Assert.Contains("longer than 128", item.Message);
    }

    [Theory]
    [InlineData("view", EventType.View)]
    [InlineData("click", EventType.Click)]
    [InlineData("add_to_cart", EventType.AddToCart)]
    [InlineData("purchase", EventType.Purchase)]
    [InlineData("rating", EventType.Rating)]
    [InlineData("teleport", EventType.Unknown)]
    public void Parse_EventType_MapsWireName(string wire, EventType expected)
    {
        var item = Parse($$"""{"user":"u","item":"i","type":"{{wire}}","ts":1}""");
        Assert.Equal(expected, item.Event!.Type);
    }

    [Fact]
    public void Parse_IsoTimestamp_ConvertsToEpochMilliseconds()
    {
        var item = Parse("""{"user":"u","item":"i","type":"view","ts":"2023-11-14T22:13:20.123Z"}""");
        Assert.Equal(1700000000123, item.Event!.TimestampMs);
    }

    [Fact]
    public void Parse_IsoTimestampWithOffset_HonoursOffset()
    {
        var item = Parse("""{"user":"u","item":"i","type":"view","ts":"2023-11-15T00:13:20.123+02:00"}""");
        Assert.Equal(1700000000123, item.Event!.TimestampMs);
    }

    [Fact]
    public void Parse_UnknownFields_AreSkipped()
    {
        var item = Parse("""{"user":"u","extra":{"a":[1,2,{"b":null}]},"item":"i","type":"view","ts":1,"note":"x"}""");
        Assert.Equal(StreamItemKind.Event, item.Kind);
    }

    [Fact]
    public void Parse_EscapedStrings_AreUnescaped()
    {
        var item = Parse("""{"user":"u\u00e9\"q","item":"i","type":"vi\u0065w","ts":1}""");
        Assert.Equal("u\u00e9\"q", item.Event!.User);
        Assert.Equal(EventType.View, item.Event.Type);
    }

    [Theory]
    [InlineData("   ")]
    [InlineData("")]
    [InlineData("\r")]
    public void Parse_BlankLine_IsBlank(string line)
    {
        Assert.Equal(StreamItemKind.Blank, Parse(line).Kind);
    }

    [Theory]
    [InlineData("""{"user":"u","item":"i","type":"view","ts":1""", RejectReason.MalformedJson)]
    [InlineData("""not json""", RejectReason.MalformedJson)]
    [InlineData("""{"user":"u","item":"i","type":"view","ts":1} trailing""", RejectReason.MalformedJson)]
    [InlineData("""{"user":"u","item":"i","type":"view","ts":1}{"user":"v"}""", RejectReason.MalformedJson)]
    [InlineData("""[1,2,3]""", RejectReason.NotAnObject)]
    [InlineData("""42""", RejectReason.NotAnObject)]
    [InlineData("""{"item":"i","type":"view","ts":1}""", RejectReason.MissingField)]
    [InlineData("""{"user":"u","type":"view","ts":1}""", RejectReason.MissingField)]
    [InlineData("""{"user":"u","item":"i","ts":1}""", RejectReason.MissingField)]
    [InlineData("""{"user":"u","item":"i","type":"view"}""", RejectReason.MissingField)]
    [InlineData("""{"user":7,"item":"i","type":"view","ts":1}""", RejectReason.WrongType)]
    [InlineData("""{"user":"u","item":["i"],"type":"view","ts":1}""", RejectReason.WrongType)]
    [InlineData("""{"user":"u","item":"i","type":3,"ts":1}""", RejectReason.WrongType)]
    [InlineData("""{"user":"u","item":"i","type":"rating","value":"4","ts":1}""", RejectReason.WrongType)]
    [InlineData("""{"user":"u","item":"i","type":"view","ts":true}""", RejectReason.WrongType)]
    [InlineData("""{"user":"u","item":"i","type":"view","ts":1,"features":[1]}""", RejectReason.WrongType)]
    [InlineData("""{"user":"u","item":"i","type":"view","ts":1,"features":{"p":true}}""", RejectReason.WrongType)]
    [InlineData("""{"user":"u","item":"i","type":"view","ts":1,"features":{"p":1,"p":"cheap"}}""", RejectReason.DuplicateField)]
    [InlineData("""{"user":"u","item":"i","type":"view","ts":1,"features":{"p":"cheap","p":1}}""", RejectReason.DuplicateField)]
    [InlineData("""{"user":"u","item":"i","type":"view","ts":1,"features":{"a":1,"b":"x","c":3,"d":"y"}}""", RejectReason.TooManyFeatures)]
    [InlineData("""{"user":"u","item":"i","type":"view","ts":1,"features":{"p":{"q":1}}}""", RejectReason.WrongType)]
    [InlineData("""{"user":"u","user":"v","item":"i","type":"view","ts":1}""", RejectReason.DuplicateField)]
    [InlineData("""{"user":"u","item":"i","type":"view","ts":1,"features":{"p":1,"p":2}}""", RejectReason.DuplicateField)]
    [InlineData("""{"user":"","item":"i","type":"view","ts":1}""", RejectReason.EmptyId)]
    [InlineData("""{"user":"u","item":"  ","type":"view","ts":1}""", RejectReason.EmptyId)]
    [InlineData("""{"user":"u23456789012345678","item":"i","type":"view","ts":1}""", RejectReason.IdTooLong)]
    [InlineData("""{"user":"u","item":"i","type":"rating","value":NaN,"ts":1}""", RejectReason.NonFiniteNumber)]
    [InlineData("""{"user":"u","item":"i","type":"rating","value":Infinity,"ts":1}""", RejectReason.NonFiniteNumber)]
    [InlineData("""{"user":"u","item":"i","type":"rating","value":-Infinity,"ts":1}""", RejectReason.NonFiniteNumber)]
    [InlineData("""{"user":"u","item":"i","type":"rating","value":1e400,"ts":1}""", RejectReason.NonFiniteNumber)]
    [InlineData("""{"user":"u","item":"i","type":"view","ts":1,"features":{"p":1e999}}""", RejectReason.NonFiniteNumber)]
    [InlineData("""{"user":"u","item":"i","type":"view","ts":-5}""", RejectReason.InvalidTimestamp)]
    [InlineData("""{"user":"u","item":"i","type":"view","ts":1.5}""", RejectReason.InvalidTimestamp)]
    [InlineData("""{"user":"u","item":"i","type":"view","ts":"yesterday"}""", RejectReason.InvalidTimestamp)]
    [InlineData("""{"user":"u","item":"i","type":"view","ts":"Jan 1 2024"}""", RejectReason.InvalidTimestamp)]
    [InlineData("""{"user":"u","item":"i","type":"view","ts":"2024-13-45T00:00:00Z"}""", RejectReason.InvalidTimestamp)]
    [InlineData("""{"user":"u","item":"i","type":"view","ts":1,"features":{"a":1,"b":2,"c":3,"d":4}}""", RejectReason.TooManyFeatures)]
    [InlineData("""{"op":"recommend"}""", RejectReason.BadRequest)]
    [InlineData("""{"op":"recommend","user":"u","k":0}""", RejectReason.BadRequest)]
    [InlineData("""{"op":"recommend","user":"u","k":101}""", RejectReason.BadRequest)]
    [InlineData("""{"op":"recommend","user":"u","k":"ten"}""", RejectReason.BadRequest)]
    [InlineData("""{"op":"recommend","user":5}""", RejectReason.BadRequest)]
    [InlineData("""{"op":"explode","user":"u"}""", RejectReason.BadRequest)]
    [InlineData("""{"op":7}""", RejectReason.BadRequest)]
    public void Parse_BadLine_IsRejectedWithReason(string line, RejectReason expected)
    {
        var item = Parse(line);

        Assert.Equal(StreamItemKind.Rejected, item.Kind);
        Assert.Equal(expected, item.Reason);
        Assert.False(string.IsNullOrWhiteSpace(item.Message));
        Assert.Equal(expected == RejectReason.BadRequest, item.WasRequest);
    }

    [Fact]
    public void Parse_InvalidUtf8_IsMalformed()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"user":"uX","item":"i","type":"view","ts":1}""");
        bytes[10] = 0xFF;

        var item = _parser.Parse(new InputLine(1, bytes));

        Assert.Equal(RejectReason.MalformedJson, item.Reason);
    }

    [Fact]
    public void Parse_TooLongLine_IsRejectedWithLimitInMessage()
    {
        var item = _parser.Parse(new InputLine(3, ReadOnlyMemory<byte>.Empty, TooLong: true));

        Assert.Equal(RejectReason.LineTooLong, item.Reason);
        Assert.Contains("1024", item.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MissingField_MessageNamesTheField()
    {
        var item = Parse("""{"user":"u","type":"view","ts":1}""");
        Assert.Contains("'item'", item.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Recommend_UsesDefaultK()
    {
        var item = Parse("""{"op":"recommend","user":"u42"}""");

        Assert.Equal(StreamItemKind.Request, item.Kind);
        Assert.Equal(new StreamRequest(RequestOp.Recommend, "u42", K: 10), item.Request);
    }

    [Fact]
    public void Parse_Recommend_ReadsK()
    {
        Assert.Equal(25, Parse("""{"op":"recommend","user":"u42","k":25}""").Request!.K);
    }

    [Fact]
    public void Parse_NullValueOnView_IsAbsent()
    {
        var item = Parse("""{"user":"u","item":"i","type":"view","value":null,"ts":1,"features":null}""");
        Assert.Null(item.Event!.Value);
        Assert.Empty(item.Event.FeatureNames);
    }

    [Fact]
    public void Parse_TruncatedObject_SaysTheLineEndsEarly()
    {
        var item = Parse("""{"user":"u1","item":""");
        Assert.Equal(RejectReason.MalformedJson, item.Reason);
        Assert.Contains("ends before", item.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Predict_ReadsUserAndItem()
    {
        Assert.Equal(new StreamRequest(RequestOp.Predict, "u42", "i3"), Parse("""{"op":"predict","user":"u42","item":"i3"}""").Request);
    }

    [Fact]
    public void Parse_FlushAndAuth_AreRequests()
    {
        Assert.Equal(RequestOp.Flush, Parse("""{"op":"flush"}""").Request!.Op);
        Assert.Equal(new StreamRequest(RequestOp.Auth, Token: "s3cret-token"), Parse("""{"op":"auth","token":"s3cret-token"}""").Request);
        Assert.Equal(new StreamRequest(RequestOp.Snapshot, Name: "nightly-2026.11_29"), Parse("""{"op":"snapshot","name":"nightly-2026.11_29"}""").Request);
    }

    [Theory]
    [InlineData("""{"op":"predict","user":"u42"}""")]
    [InlineData("""{"op":"predict","item":"i3"}""")]
    [InlineData("""{"op":"auth"}""")]
    [InlineData("""{"op":"auth","token":5}""")]
    [InlineData("""{"op":"predict","user":"","item":"i3"}""")]
    [InlineData("""{"op":"snapshot"}""")]
    [InlineData("""{"op":"snapshot","name":""}""")]
    [InlineData("""{"op":"snapshot","name":"../etc"}""")]
    [InlineData("""{"op":"snapshot","name":"a/b"}""")]
    [InlineData("""{"op":"snapshot","name":".hidden"}""")]
    [InlineData("""{"op":"snapshot","name":7}""")]
    public void Parse_IncompleteRequest_IsBadRequest(string line)
    {
        var item = Parse(line);
        Assert.Equal(RejectReason.BadRequest, item.Reason);
        Assert.True(item.WasRequest);
    }
}

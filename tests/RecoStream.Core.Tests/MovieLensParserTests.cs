using System.Text;
using RecoStream.Core.Events;

namespace RecoStream.Core.Tests;

public class MovieLensParserTests
{
    private static StreamItem Parse(MovieLensLayout layout, string line) =>
        new MovieLensParser(layout).Parse(new InputLine(4, Encoding.UTF8.GetBytes(line)));

    [Theory]
    [InlineData(MovieLensLayout.Tab, "196\t242\t3\t881250949")]
    [InlineData(MovieLensLayout.DoubleColon, "196::242::3::881250949")]
    [InlineData(MovieLensLayout.Csv, "196,242,3.0,881250949")]
    [InlineData(MovieLensLayout.Csv, "196,242,3,881250949\r")]
    public void Parse_Rating_BecomesRatingEvent(MovieLensLayout layout, string line)
    {
        var item = Parse(layout, line);

        Assert.Equal(StreamItemKind.Event, item.Kind);
        Assert.Equal("196", item.Event!.User);
        Assert.Equal("242", item.Event.Item);
        Assert.Equal(EventType.Rating, item.Event.Type);
        Assert.Equal(3.0, item.Event.Value);
        Assert.Equal(881250949000, item.Event.TimestampMs);
    }

    [Fact]
    public void Parse_CsvHeader_IsBlank()
    {
        Assert.Equal(StreamItemKind.Blank, Parse(MovieLensLayout.Csv, "userId,movieId,rating,timestamp").Kind);
    }

    [Theory]
    [InlineData(MovieLensLayout.Tab, "196\t242\t3", RejectReason.MalformedLine)]
    [InlineData(MovieLensLayout.Tab, "196\t242\t3\t1\t9", RejectReason.MalformedLine)]
    [InlineData(MovieLensLayout.Tab, "196\t242\tgood\t881250949", RejectReason.MalformedLine)]
    [InlineData(MovieLensLayout.DoubleColon, "196::242::3::yesterday", RejectReason.InvalidTimestamp)]
    [InlineData(MovieLensLayout.Csv, ",242,3,881250949", RejectReason.EmptyId)]
    [InlineData(MovieLensLayout.Csv, "196\t242\t3\t881250949", RejectReason.MalformedLine)]
    public void Parse_BadLine_IsRejected(MovieLensLayout layout, string line, RejectReason reason)
    {
        var item = Parse(layout, line);
        Assert.Equal(StreamItemKind.Rejected, item.Kind);
        Assert.Equal(reason, item.Reason);
    }

    [Theory]
    [InlineData("196\t242\t3\t881250949", MovieLensLayout.Tab)]
    [InlineData("1::1193::5::978300760", MovieLensLayout.DoubleColon)]
    [InlineData("userId,movieId,rating,timestamp", MovieLensLayout.Csv)]
    [InlineData("1,307,3.5,1256677221", MovieLensLayout.Csv)]
    [InlineData("""{"user":"u","item":"i,j","type":"view","ts":1}""", null)]
    [InlineData("hello", null)]
    public void Detect_FirstLine_GivesLayout(string firstLine, MovieLensLayout? expected)
    {
        Assert.Equal(expected, MovieLensParser.Detect(Encoding.UTF8.GetBytes(firstLine)));
    }
}

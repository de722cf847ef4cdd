using System.Buffers.Text;
using System.Text;

namespace RecoStream.Core.Events;

/// <summary>
/// Reads MovieLens rating lines as rating events: the user and item ids as strings, the rating as the value
/// and the timestamp (Unix seconds) as event time. A CSV header line is skipped as a blank line.
/// </summary>
public sealed class MovieLensParser : LineParser
{
    private readonly MovieLensLayout _layout;

    public MovieLensParser(MovieLensLayout layout)
    {
        _layout = layout;
    }

    /// <summary>Guesses the layout from the first non-empty line of a file; null when it is not MovieLens.</summary>
    public static MovieLensLayout? Detect(ReadOnlySpan<byte> firstLine)
    {
        firstLine = firstLine.Trim(" \r\n"u8);
        if (firstLine.IndexOf("::"u8) >= 0)
        {
            return MovieLensLayout.DoubleColon;
        }

        if (firstLine.IndexOf((byte)'\t') >= 0)
        {
            return MovieLensLayout.Tab;
        }

        return firstLine.StartsWith("userId,"u8) || (firstLine.IndexOf((byte)',') > 0 && firstLine.IndexOf((byte)'{') < 0)
            ? MovieLensLayout.Csv
            : null;
    }

    /// <inheritdoc />
    protected override StreamItem ParseLine(long number, ReadOnlySpan<byte> bytes, bool tooLong, StreamItemPool.Renter? recycled)
    {
        if (tooLong)
        {
            return StreamItem.Rejected(number, RejectReason.LineTooLong, "line is longer than the maximum line length");
        }

        var span = bytes.Trim(" \r\n"u8);
        if (span.IsEmpty || (_layout == MovieLensLayout.Csv && span.StartsWith("userId"u8)))
        {
            return StreamItem.Blank(number);
        }

        ReadOnlySpan<byte> separator = _layout switch
        {
            MovieLensLayout.Tab => "\t"u8,
            MovieLensLayout.DoubleColon => "::"u8,
            _ => ","u8,
        };

        Span<Range> fields = stackalloc Range[5];
        var count = Split(span, separator, fields);
        if (count != 4)
        {
            return StreamItem.Rejected(number, RejectReason.MalformedLine,
                $"expected 4 fields (user, item, rating, timestamp) separated by '{Encoding.ASCII.GetString(separator).Replace("\t", "\\t", StringComparison.Ordinal)}', got {count}");
        }

        var user = span[fields[0]];
        var item = span[fields[1]];
        if (user.IsEmpty || item.IsEmpty)
        {
            return StreamItem.Rejected(number, RejectReason.EmptyId, "empty user or item id");
        }

        if (!Utf8Parser.TryParse(span[fields[2]], out double rating, out var used) || used != span[fields[2]].Length || !double.IsFinite(rating))
        {
            return StreamItem.Rejected(number, RejectReason.MalformedLine, "the rating is not a number");
        }

        if (!Utf8Parser.TryParse(span[fields[3]], out long seconds, out used) || used != span[fields[3]].Length
            || seconds < 0 || seconds > 253_402_300_799)
        {
            return StreamItem.Rejected(number, RejectReason.InvalidTimestamp, "the timestamp is not whole Unix seconds");
        }

        return NewEvent(recycled, number, IdStrings.Get(user, 'u', out var userKey) ?? Encoding.UTF8.GetString(user),
            IdStrings.Get(item, 'i', out var itemKey) ?? Encoding.UTF8.GetString(item), EventType.Rating, rating, seconds * 1000, [], [], [], null,
            userKey, itemKey);
    }

    private static int Split(ReadOnlySpan<byte> span, ReadOnlySpan<byte> separator, Span<Range> fields)
    {
        var count = 0;
        var start = 0;
        while (true)
        {
            var next = span[start..].IndexOf(separator);
            if (count == fields.Length)
            {
                return count + 1;
            }

            if (next < 0)
            {
                fields[count++] = new Range(start, span.Length);
                return count;
            }

            fields[count++] = new Range(start, start + next);
            start += next + separator.Length;
        }
    }
}

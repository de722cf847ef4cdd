namespace RecoStream.Core.Events;

/// <summary>
/// The parse stage: turns one framed line into an event, a request or a rejection. It runs where the line is framed
/// (on the source's thread, straight from the read buffer), so parsing is spread over the sources' threads and a line's
/// bytes are never copied; implementations are safe to call from several threads at once.
/// </summary>
public abstract class LineParser
{
    /// <summary>Parses one line; the result carries the line's number, origin and arrival time.</summary>
    public StreamItem Parse(InputLine line) => Parse(line.Number, line.Bytes.Span, line.TooLong, line.Origin, line.ArrivedAt);

    /// <summary>
    /// Parses one line from its bytes (without the line terminator; empty when <paramref name="tooLong"/>, a line over the
    /// length limit, which is rejected); the result carries the number, origin and arrival time. An event is parsed into
    /// an item taken from <paramref name="recycled"/> when it has one (see <see cref="StreamItemPool"/>).
    /// </summary>
    public StreamItem Parse(long number, ReadOnlySpan<byte> bytes, bool tooLong, ILineOrigin? origin, long arrivedAt,
        StreamItemPool.Renter? recycled = null)
    {
        var item = ParseLine(number, bytes, tooLong, recycled);
        item.Origin = origin;
        item.ArrivedAt = arrivedAt;
        return item;
    }

    /// <summary>
    /// The format-specific part of <see cref="Parse(long, ReadOnlySpan{byte}, bool, ILineOrigin?, long, StreamItemPool.Renter?)"/>;
    /// an event goes into <see cref="NewEvent"/>.
    /// </summary>
    protected abstract StreamItem ParseLine(long number, ReadOnlySpan<byte> bytes, bool tooLong, StreamItemPool.Renter? recycled);

    /// <summary>
    /// The item of a parsed event: a recycled one refilled when <paramref name="recycled"/> has one, else a new one.
    /// <paramref name="userKey"/> and <paramref name="itemKey"/> are the ids' <see cref="Processing.KeyHash"/> keys when the
    /// parser has them (from <see cref="IdStrings"/>), 0 when not: the cleaning stage computes those.
    /// </summary>
    protected static StreamItem NewEvent(StreamItemPool.Renter? recycled, long number, string user, string item, EventType type,
        double? value, long timestampMs, ReadOnlySpan<string> featureNames, ReadOnlySpan<double> featureValues,
        ReadOnlySpan<string> categories, string? rawTypeName, ulong userKey = 0, ulong itemKey = 0)
    {
        StreamItem made;
        if (recycled?.TakeEvent() is { } reused)
        {
            reused.Event!.Refill(user, item, type, value, timestampMs, featureNames, featureValues, categories, rawTypeName);
            made = reused.Renew(number);
        }
        else
        {
            made = StreamItem.ForEvent(number, new UserEvent(user, item, type, value, timestampMs, featureNames.ToArray(), featureValues.ToArray(), rawTypeName)
            {
                Categories = categories.ToArray(),
            });
        }

        made.Event!.UserKey = userKey;
        made.Event.ItemKey = itemKey;
        return made;
    }
}

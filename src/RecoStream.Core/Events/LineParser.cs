namespace RecoStream.Core.Events;

/// <summary>The parse stage: turns one framed line into an event, a request or a rejection.</summary>
public abstract class LineParser
{
    /// <summary>Parses one line; the result carries the line's number, origin and arrival time.</summary>
    public StreamItem Parse(InputLine line)
    {
        var item = ParseLine(line);
        item.Origin = line.Origin;
        item.ArrivedAt = line.ArrivedAt;
        return item;
    }

    /// <summary>The format-specific part of <see cref="Parse"/>.</summary>
    protected abstract StreamItem ParseLine(InputLine line);
}

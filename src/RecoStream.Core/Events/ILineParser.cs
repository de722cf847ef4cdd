namespace RecoStream.Core.Events;

/// <summary>The parse stage: turns one framed line into an event, a request or a rejection.</summary>
public interface ILineParser
{
    /// <summary>Parses one line; the result carries the line's number and origin.</summary>
    StreamItem Parse(InputLine line);
}

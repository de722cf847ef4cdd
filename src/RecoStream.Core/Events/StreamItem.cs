namespace RecoStream.Core.Events;

/// <summary>
/// One input line on its way through the pipeline. Each stage looks at <see cref="Kind"/>, does its work on
/// events and passes everything else through; a stage that rejects calls <see cref="Reject"/>.
/// The pipeline runs on one thread, so an item is owned by the stage that holds it.
/// </summary>
public sealed class StreamItem
{
    private StreamItem(long lineNumber, StreamItemKind kind)
    {
        LineNumber = lineNumber;
        Kind = kind;
    }

    /// <summary>The 1-based line number within the source's run.</summary>
    public long LineNumber { get; private set; }

    /// <summary>When the line arrived (a <see cref="TimeProvider.GetTimestamp"/> value; 0 when unknown).</summary>
    public long ArrivedAt { get; set; }

    /// <summary>Where the line came from; null for lines made up in tests.</summary>
    public ILineOrigin? Origin { get; set; }

    /// <summary>What the line is now.</summary>
    public StreamItemKind Kind { get; private set; }

    /// <summary>The event, when <see cref="Kind"/> is <see cref="StreamItemKind.Event"/>.</summary>
    public UserEvent? Event { get; private init; }

    /// <summary>The request, when <see cref="Kind"/> is <see cref="StreamItemKind.Request"/>.</summary>
    public StreamRequest? Request { get; private init; }

    /// <summary>The closed window, when <see cref="Kind"/> is <see cref="StreamItemKind.WindowClosed"/>.</summary>
    public WindowSummary? Window { get; private init; }

    /// <summary>Why the line was rejected.</summary>
    public RejectReason Reason { get; private set; }

    /// <summary>A human-readable explanation of the rejection.</summary>
    public string? Message { get; private set; }

    /// <summary>True when the rejected line was a request (it gets an error answer, not just a count).</summary>
    public bool WasRequest { get; private init; }

    /// <summary>The learner's prediction before it learned from the event.</summary>
    public double Prediction { get; set; }

    /// <summary>The label the learner was trained towards.</summary>
    public double Label { get; set; }

    /// <summary>True once the event has been applied to the model.</summary>
    public bool Applied { get; set; }

    public static StreamItem Blank(long lineNumber) => new(lineNumber, StreamItemKind.Blank);

    public static StreamItem ForEvent(long lineNumber, UserEvent e) => new(lineNumber, StreamItemKind.Event) { Event = e };

    public static StreamItem ForRequest(long lineNumber, StreamRequest r) => new(lineNumber, StreamItemKind.Request) { Request = r };

    /// <summary>The marker the window stage emits after the last event of a window.</summary>
    public static StreamItem ForWindow(WindowSummary window) => new(0, StreamItemKind.WindowClosed) { Window = window };

    public static StreamItem Rejected(long lineNumber, RejectReason reason, string message, bool wasRequest = false)
    {
        var item = new StreamItem(lineNumber, StreamItemKind.Rejected) { WasRequest = wasRequest };
        item.Reason = reason;
        item.Message = message;
        return item;
    }

    /// <summary>
    /// True when the item can be parsed into again once its batch is done: it carries an event that nothing kept (see
    /// <see cref="UserEvent.Retained"/>). Requests, windows and lines rejected by the parser are never reused.
    /// </summary>
    internal bool Recyclable => Event is { Retained: false };

    /// <summary>
    /// Makes this recycled event item a new one for another line, every field as <see cref="ForEvent"/> leaves it; the
    /// caller refills its event (<see cref="UserEvent.Refill"/>).
    /// </summary>
    internal StreamItem Renew(long lineNumber)
    {
        LineNumber = lineNumber;
        Kind = StreamItemKind.Event;
        ArrivedAt = 0;
        Origin = null;
        Reason = default;
        Message = null;
        Prediction = 0;
        Label = 0;
        Applied = false;
        return this;
    }

    /// <summary>Turns an event into a rejection (used by the stages after parsing).</summary>
    public StreamItem Reject(RejectReason reason, string message)
    {
        Kind = StreamItemKind.Rejected;
        Reason = reason;
        Message = message;
        return this;
    }
}

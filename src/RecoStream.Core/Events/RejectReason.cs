namespace RecoStream.Core.Events;

/// <summary>Why an input line was not applied. Each reason is a metric label (<see cref="RejectReasons.Label"/>).</summary>
public enum RejectReason
{
    /// <summary>Not valid JSON (or not valid UTF-8).</summary>
    MalformedJson,
    /// <summary>A line of a delimited format (MovieLens) without the expected fields.</summary>
    MalformedLine,
    /// <summary>Valid JSON, but not an object.</summary>
    NotAnObject,
    /// <summary>Longer than the configured maximum line length.</summary>
    LineTooLong,
    /// <summary>A required field is absent.</summary>
    MissingField,
    /// <summary>A field has the wrong JSON type.</summary>
    WrongType,
    /// <summary>The same field appears twice.</summary>
    DuplicateField,
    /// <summary>An empty or blank user or item id.</summary>
    EmptyId,
    /// <summary>A user or item id longer than allowed.</summary>
    IdTooLong,
    /// <summary>NaN, Infinity or a number outside the double range.</summary>
    NonFiniteNumber,
    /// <summary>A timestamp that is neither epoch milliseconds nor an ISO-8601 string, or out of range.</summary>
    InvalidTimestamp,
    /// <summary>More numeric features than allowed on one event.</summary>
    TooManyFeatures,
    /// <summary>An event type outside the known set.</summary>
    UnknownEventType,
    /// <summary>A rating event without a value.</summary>
    MissingValue,
    /// <summary>A request line (<c>op</c>) that is unknown or has bad arguments.</summary>
    BadRequest,
    /// <summary>An event behind the watermark, with the late policy <c>Drop</c>.</summary>
    LateEvent,
    /// <summary>An event time too far ahead of the worker's clock.</summary>
    FutureTimestamp,
    /// <summary>A rating outside the configured scale, with the policy <c>Reject</c>.</summary>
    OutOfRange,
    /// <summary>The same (user, item, type, ts) as an event already applied.</summary>
    Duplicate,
    /// <summary>An event of a user quarantined for sending too many events per second.</summary>
    Quarantined,
}

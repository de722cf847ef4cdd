namespace RecoStream.Core.Events;

/// <summary>What a line turned out to be, as it moves through the pipeline.</summary>
public enum StreamItemKind
{
    /// <summary>A blank line: ignored, neither applied nor rejected.</summary>
    Blank,
    /// <summary>A valid event (applied once it reaches the learner stage).</summary>
    Event,
    /// <summary>A request to answer.</summary>
    Request,
    /// <summary>Rejected with <see cref="StreamItem.Reason"/>.</summary>
    Rejected,
    /// <summary>Not a line: the window stage closed a window (<see cref="StreamItem.Window"/>); windowed-batch learners train.</summary>
    WindowClosed,
}

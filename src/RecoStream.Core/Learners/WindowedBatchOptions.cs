namespace RecoStream.Core.Learners;

/// <summary>
/// The windowed-batch form of a learner (<c>RecoStream:Learners:NAME:Mode = WindowedBatch</c>): events are collected
/// into a tumbling window and learned from when it closes, in several shuffled epochs, optionally with a bounded
/// reservoir of older events, warm-started from the current model.
/// </summary>
public sealed class WindowedBatchOptions
{
    /// <summary>A window closes after this many events the learner takes. Default 10000.</summary>
    public int WindowEvents { get; set; } = 10_000;

    /// <summary>A window also closes when its events span this much event time (seconds); 0 never. Default 3600.</summary>
    public int WindowSeconds { get; set; } = 3600;

    /// <summary>Passes over the window's events (and the reservoir) at each close. Default 3.</summary>
    public int Epochs { get; set; } = 3;

    /// <summary>Older events kept by reservoir sampling and replayed with each window; 0 none. Default 0.</summary>
    public int ReservoirSize { get; set; }

    /// <summary>Seed of the shuffles and the reservoir sampling. Default 7.</summary>
    public int Seed { get; set; } = 7;
}

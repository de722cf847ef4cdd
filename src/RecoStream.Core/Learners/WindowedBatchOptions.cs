namespace RecoStream.Core.Learners;

/// <summary>
/// The windowed-batch form of a learner (<c>RecoStream:Learners:NAME:Mode = WindowedBatch</c>): events are collected
/// until the pipeline's window stage closes a window (<c>RecoStream:Windows</c>) and learned from then, in several
/// shuffled epochs, optionally with a bounded reservoir of older events, warm-started from the current model.
/// </summary>
public sealed class WindowedBatchOptions
{
    /// <summary>Passes over the window's events (and the reservoir) at each close. Default 3.</summary>
    public int Epochs { get; set; } = 3;

    /// <summary>Older events kept by reservoir sampling and replayed with each window; 0 none. Default 0.</summary>
    public int ReservoirSize { get; set; }

    /// <summary>Seed of the shuffles and the reservoir sampling. Default 7.</summary>
    public int Seed { get; set; } = 7;
}

namespace RecoStream.Core.Learners;

/// <summary>
/// A learner's checkpointed state in a shape every learner can use: named arrays. Optimizer state (AdaGrad
/// accumulators, FTRL's z and n) is part of it, so a restored learner continues exactly where it stopped.
/// </summary>
/// <param name="Kind">The learner kind that wrote it (<see cref="LinearLearner.KindName"/>, ...).</param>
/// <param name="Version">The kind's own layout version.</param>
public sealed record LearnerSnapshot(string Kind, int Version)
{
    /// <summary>Float arrays (weights, factors, accumulators).</summary>
    public Dictionary<string, float[]> Floats { get; init; } = [];

    /// <summary>Double arrays (scalars such as a running mean go here as one-element arrays).</summary>
    public Dictionary<string, double[]> Doubles { get; init; } = [];

    /// <summary>String arrays (ids in row order).</summary>
    public Dictionary<string, string[]> Strings { get; init; } = [];

    /// <summary>Whole-number arrays (counts, settings that must match).</summary>
    public Dictionary<string, long[]> Longs { get; init; } = [];

    /// <summary>Keyed tables of rows (a factorization learner's users and items), stored row by row.</summary>
    public Dictionary<string, RowSet> Rows { get; init; } = [];

    /// <summary>The names of the <see cref="Floats"/> arrays that are optimizer state (stored apart from the weights).</summary>
    public HashSet<string> OptimizerState { get; init; } = [];

    /// <summary>An array that must be present, or a clear error naming the learner kind and the part.</summary>
    public T[] Require<T>(Dictionary<string, T[]> part, string name) =>
        part.TryGetValue(name, out var value) ? value : throw new InvalidOperationException($"the stored {Kind} learner has no '{name}'");
}

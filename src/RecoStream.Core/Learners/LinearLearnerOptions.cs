namespace RecoStream.Core.Learners;

/// <summary>Settings of the incremental linear learner (configuration section <c>RecoStream:Learner</c>).</summary>
public sealed class LinearLearnerOptions
{
    /// <summary>The weight table has 2^HashBits slots. Default 18 (262,144 weights, 1 MiB).</summary>
    public int HashBits { get; set; } = 18;

    /// <summary>The SGD step size eta. Default 0.02.</summary>
    public double LearningRate { get; set; } = 0.02;
}

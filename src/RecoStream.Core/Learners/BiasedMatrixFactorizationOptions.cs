namespace RecoStream.Core.Learners;

/// <summary>
/// Settings of the biased matrix factorization learner (configuration <c>RecoStream:Learners:NAME</c> with
/// <c>Kind: BiasedMF</c>). The defaults are the most accurate setting found for prequential (test-then-train)
/// learning on MovieLens 100K in timestamp order; see the README's accuracy table.
/// </summary>
public sealed class BiasedMatrixFactorizationOptions
{
    /// <summary>Latent factors per user and item. Default 32.</summary>
    public int Rank { get; set; } = 32;

    /// <summary>AdaGrad base step size of the latent factors. Default 0.1.</summary>
    public double LearningRate { get; set; } = 0.1;

    /// <summary>L2 regularization of the latent factors. Default 0.01.</summary>
    public double Regularization { get; set; } = 0.01;

    /// <summary>AdaGrad base step size of the user and item biases. Default 0.2.</summary>
    public double BiasLearningRate { get; set; } = 0.2;

    /// <summary>L2 regularization of the biases. Default 0.02.</summary>
    public double BiasRegularization { get; set; } = 0.02;

    /// <summary>
    /// Time constant of the user's session bias, in seconds of event time: a second user bias, learned like the first,
    /// that fades by a factor e for every this many seconds since the user's previous rating (the same user rates higher
    /// or lower than usual in one sitting). Default 1800; 0 leaves it out.
    /// </summary>
    public double SessionBiasSeconds { get; set; } = 1800;

    /// <summary>AdaGrad base step size of the session bias (its accumulator fades with it). Default 0.3.</summary>
    public double SessionBiasLearningRate { get; set; } = 0.3;

    /// <summary>L2 regularization of the session bias. Default 2.</summary>
    public double SessionBiasRegularization { get; set; } = 2.0;

    /// <summary>Standard deviation of the initial latent factors. Default 0.025.</summary>
    public double InitialStd { get; set; } = 0.025;

    /// <summary>Added to AdaGrad's accumulated squared gradients (bias accumulators start at it). Default 0.1.</summary>
    public double AdaGradEpsilon { get; set; } = 0.1;

    /// <summary>Lowest rating; predictions are clipped to [MinRating, MaxRating]. Default 1.</summary>
    public double MinRating { get; set; } = 1.0;

    /// <summary>Highest rating. Default 5.</summary>
    public double MaxRating { get; set; } = 5.0;

    /// <summary>Seed of the factor initialisation (each id's initial factors derive from it and the id). Default 42.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>How the user and item rows are kept: in memory, or a hot set over the store; TTL; admission.</summary>
    public RowTableOptions Rows { get; set; } = new();
}

using RecoStream.Core.Learners;

namespace RecoStream.Worker.Configuration;

/// <summary>One configured learner (section <c>RecoStream:Learners:NAME</c>).</summary>
internal sealed record LearnerSettings(string Name, string Kind, LinearLearnerOptions? Linear, BiasedMatrixFactorizationOptions? Factorization)
{
    /// <summary>The learner kinds that can be configured.</summary>
    public static readonly string[] Kinds = [LinearLearner.KindName, BiasedMatrixFactorization.KindName];

    public IOnlineLearner Build() => Kind switch
    {
        LinearLearner.KindName => new LinearLearner(Linear!, Name),
        _ => new BiasedMatrixFactorization(Factorization!, Name),
    };

    /// <summary>The defaults when no learner is configured: biased MF serving, the linear model in its shadow.</summary>
    public static List<LearnerSettings> Defaults() =>
    [
        new("mf", BiasedMatrixFactorization.KindName, null, new BiasedMatrixFactorizationOptions()),
        new("linear", LinearLearner.KindName, new LinearLearnerOptions(), null),
    ];
}

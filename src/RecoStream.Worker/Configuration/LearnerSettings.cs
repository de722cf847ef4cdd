using RecoStream.Core.Learners;

namespace RecoStream.Worker.Configuration;

/// <summary>One configured learner (section <c>RecoStream:Learners:NAME</c>).</summary>
/// <param name="Name">The learner's name (the section key).</param>
/// <param name="Kind">One of <see cref="Kinds"/>.</param>
/// <param name="Options">The kind's options object.</param>
internal sealed record LearnerSettings(string Name, string Kind, object Options)
{
    /// <summary>The learner kinds that can be configured.</summary>
    public static readonly string[] Kinds =
        [BiasedMatrixFactorization.KindName, ImplicitMatrixFactorization.KindName, FtrlProximal.KindName, LinearLearner.KindName];

    public IOnlineLearner Build() => Options switch
    {
        LinearLearnerOptions linear => new LinearLearner(linear, Name),
        BiasedMatrixFactorizationOptions mf => new BiasedMatrixFactorization(mf, Name),
        ImplicitMatrixFactorizationOptions implicitMf => new ImplicitMatrixFactorization(implicitMf, Name),
        FtrlOptions ftrl => new FtrlProximal(ftrl, Name),
        _ => throw new InvalidOperationException($"no learner for {Options.GetType().Name}"),
    };

    /// <summary>The defaults when no learner is configured: implicit MF first (it serves), the others in its shadow.</summary>
    public static List<LearnerSettings> Defaults() =>
    [
        new("implicit", ImplicitMatrixFactorization.KindName, new ImplicitMatrixFactorizationOptions()),
        new("mf", BiasedMatrixFactorization.KindName, new BiasedMatrixFactorizationOptions()),
        new("ftrl", FtrlProximal.KindName, new FtrlOptions()),
        new("linear", LinearLearner.KindName, new LinearLearnerOptions()),
    ];
}

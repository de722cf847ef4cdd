using RecoStream.Core.Learners;

namespace RecoStream.Worker.Configuration;

/// <summary>One configured learner (section <c>RecoStream:Learners:NAME</c>).</summary>
/// <param name="Name">The learner's name (the section key).</param>
/// <param name="Kind">One of <see cref="Kinds"/>.</param>
/// <param name="Options">The kind's options object.</param>
/// <param name="Mode">Incremental (update per event) or WindowedBatch (update per window).</param>
/// <param name="Window">The window settings, used in WindowedBatch mode.</param>
internal sealed record LearnerSettings(string Name, string Kind, object Options, LearnerMode Mode = LearnerMode.Incremental, WindowedBatchOptions? Window = null)
{
    /// <summary>The learner kinds that can be configured.</summary>
    public static readonly string[] Kinds =
        [BiasedMatrixFactorization.KindName, ImplicitMatrixFactorization.KindName, FtrlProximal.KindName, LinearLearner.KindName];

    public IOnlineLearner Build() => Mode == LearnerMode.WindowedBatch ? new WindowedBatchLearner(BuildIncremental(), Window ?? new WindowedBatchOptions()) : BuildIncremental();

    private IOnlineLearner BuildIncremental() => Options switch
    {
        LinearLearnerOptions linear => new LinearLearner(linear, Name),
        BiasedMatrixFactorizationOptions mf => new BiasedMatrixFactorization(mf, Name),
        ImplicitMatrixFactorizationOptions implicitMf => new ImplicitMatrixFactorization(implicitMf, Name),
        FtrlOptions ftrl => new FtrlProximal(ftrl, Name),
        _ => throw new InvalidOperationException($"no learner for {Options.GetType().Name}"),
    };

    /// <summary>True when the learner keeps only a hot set of its rows in memory and the rest in the store.</summary>
    public bool RowsInStore => Options switch
    {
        BiasedMatrixFactorizationOptions mf => mf.Rows.HotRows > 0,
        ImplicitMatrixFactorizationOptions implicitMf => implicitMf.Rows.HotRows > 0,
        _ => false,
    };

    /// <summary>The same learner in another mode.</summary>
    public LearnerSettings WithMode(LearnerMode mode) => this with { Mode = mode };

    /// <summary>The defaults when no learner is configured: implicit MF first (it serves), the others in its shadow.</summary>
    public static List<LearnerSettings> Defaults() =>
    [
        new("implicit", ImplicitMatrixFactorization.KindName, new ImplicitMatrixFactorizationOptions()),
        new("mf", BiasedMatrixFactorization.KindName, new BiasedMatrixFactorizationOptions()),
        new("ftrl", FtrlProximal.KindName, new FtrlOptions()),
        new("linear", LinearLearner.KindName, new LinearLearnerOptions()),
    ];
}

/// <summary>How a learner is updated.</summary>
internal enum LearnerMode
{
    /// <summary>One update per event.</summary>
    Incremental,
    /// <summary>Events are buffered into windows and learned from in epochs when a window closes.</summary>
    WindowedBatch,
}

namespace RecoStream.Worker.Sources;

/// <summary>What <c>replay</c> was asked to do.</summary>
/// <param name="File">The file to replay.</param>
/// <param name="Format">The format: <c>jsonl</c> or <c>movielens</c>, resolved from <c>auto</c> before the run.</param>
/// <param name="Layout">The MovieLens layout when <paramref name="Format"/> is <c>movielens</c>.</param>
/// <param name="ShowProgress">Print progress lines on stderr.</param>
/// <param name="Learner">Evaluate only this configured learner; null for all (the serving one is summarised).</param>
/// <param name="Mode">Run every learner in this mode; null for each learner's configured mode.</param>
internal sealed record ReplayOptions(string File, string Format, Core.Events.MovieLensLayout? Layout, bool ShowProgress, string? Learner = null,
    Configuration.LearnerMode? Mode = null);

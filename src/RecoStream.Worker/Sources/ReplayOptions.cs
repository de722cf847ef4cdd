namespace RecoStream.Worker.Sources;

/// <summary>What <c>replay</c> was asked to do.</summary>
/// <param name="File">The file to replay.</param>
/// <param name="Format">The format: <c>jsonl</c> or <c>movielens</c>, resolved from <c>auto</c> before the run.</param>
/// <param name="Layout">The MovieLens layout when <paramref name="Format"/> is <c>movielens</c>.</param>
/// <param name="ShowProgress">Print progress lines on stderr.</param>
/// <param name="Learner">Evaluate only this configured learner; null for all (the serving one is summarised).</param>
/// <param name="Mode">Run every learner in this mode; null for each learner's configured mode.</param>
/// <param name="FromStart">Replay from line 1 even when the store holds a position in this file (<c>--from-start</c>).</param>
internal sealed record ReplayOptions(string File, string Format, Core.Events.MovieLensLayout? Layout, bool ShowProgress, string? Learner = null,
    Configuration.LearnerMode? Mode = null, bool FromStart = false)
{
    /// <summary>The source kind stored with the position.</summary>
    public const string PositionSource = "replay";

    /// <summary>Lines of the file already applied to the store: the replay starts after them.</summary>
    public long SkipLines { get; set; }

    /// <summary>Identifies the file by content: SHA-256 of its first 64 KiB and whether it is longer.</summary>
    public static string Fingerprint(string file)
    {
        using var stream = System.IO.File.OpenRead(file);
        var head = new byte[64 * 1024];
        var read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(head.AsSpan(0, read)))[..32];
    }
}

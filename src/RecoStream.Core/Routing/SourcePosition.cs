namespace RecoStream.Core.Routing;

/// <summary>
/// Where a replayable source stands: the last line of the file (1-based) whose effects are in the state, and a
/// fingerprint of the file, so that a restarted replay of the same file resumes after that line and applies every line
/// exactly once.
/// </summary>
/// <param name="Source">The kind of source (<c>replay</c>).</param>
/// <param name="Fingerprint">Identifies the file's content (a hash of its beginning); a different file starts from line 1.</param>
/// <param name="Line">The last line consumed.</param>
public sealed record SourcePosition(string Source, string Fingerprint, long Line);

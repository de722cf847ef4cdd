namespace RecoStream.Worker.Pipeline;

/// <summary>What one run did, for the replay summary line.</summary>
internal sealed record RunResult(long Lines, long Applied, long Rejected, long Requests, double Seconds, double? Rmse, double? Mae);

namespace RecoStream.Worker.Serving;

/// <summary>
/// What <c>/readyz</c> reports: the model is restored, the pipeline is consuming, and the last checkpoint could be
/// written (a failing store stops ingest until a checkpoint succeeds again).
/// </summary>
internal sealed class WorkerStatus
{
    private volatile bool _ingesting;
    private volatile string? _storageProblem;

    public bool Ready => _ingesting && _storageProblem is null;

    /// <summary>Why the store cannot be written, while it cannot; null when it can.</summary>
    public string? StorageProblem => _storageProblem;

    public void PipelineStarted() => _ingesting = true;

    public void PipelineStopped() => _ingesting = false;

    public void StorageFailed(string problem) => _storageProblem = problem;

    public void StorageRecovered() => _storageProblem = null;
}

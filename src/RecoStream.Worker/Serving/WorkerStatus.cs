namespace RecoStream.Worker.Serving;

/// <summary>What <c>/readyz</c> reports: the model is restored and the pipeline is consuming.</summary>
internal sealed class WorkerStatus
{
    private volatile bool _ingesting;

    public bool Ready => _ingesting;

    public void PipelineStarted() => _ingesting = true;

    public void PipelineStopped() => _ingesting = false;
}

using Prometheus;
using RecoStream.Worker.Sources;

namespace RecoStream.Worker.Serving;

/// <summary>One HTTP request speaking the line protocol: its single answer completes a task.</summary>
internal sealed class HttpOrigin : LineOrigin
{
    private readonly TaskCompletionSource<(byte[] Json, bool IsError)> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HttpOrigin(Counter.Child received)
        : base(HttpEndpoint.SourceName, received)
    {
    }

    public Task<(byte[] Json, bool IsError)> Answer => _answer.Task;

    public override void Reply(ReadOnlySpan<byte> json, bool isError) => _answer.TrySetResult((json.ToArray(), isError));
}

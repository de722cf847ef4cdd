using System.Threading.Channels;
using RecoStream.Core.Events;
using RecoStream.Worker.Configuration;

namespace RecoStream.Worker.Sources;

/// <summary>
/// The bounded queue between the sources and the pipeline. When it is full a source waits, so a fast
/// producer is slowed to the learner's pace instead of growing memory (Rx has no back-pressure of its own).
/// </summary>
internal sealed class IngestQueue
{
    private readonly Channel<InputLine> _channel;

    public IngestQueue(IngestOptions options)
    {
        _channel = Channel.CreateBounded<InputLine>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    public ChannelReader<InputLine> Reader => _channel.Reader;

    public ChannelWriter<InputLine> Writer => _channel.Writer;

    /// <summary>Lines waiting in the queue.</summary>
    public int Depth => _channel.Reader.Count;

    /// <summary>Stops accepting lines; what is queued is still drained.</summary>
    public void Close() => _channel.Writer.TryComplete();
}

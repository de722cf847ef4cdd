using System.Threading.Channels;
using RecoStream.Core.Events;
using RecoStream.Worker.Configuration;
using RecoStream.Worker.Metrics;

namespace RecoStream.Worker.Sources;

/// <summary>
/// The bounded queue between the sources and the pipeline. In <see cref="QueueFullMode.Wait"/> a source waits
/// while it is full, so a fast producer is slowed to the learner's pace instead of growing memory (Rx has no
/// back-pressure of its own). Sources hold a lease while they may still produce; when the last lease ends the
/// queue closes and the run ends once it is drained.
/// </summary>
internal sealed class IngestQueue
{
    private readonly Channel<InputLine> _channel;
    private readonly QueueFullMode _fullMode;
    private readonly WorkerMetrics _metrics;
    private int _leases;

    public IngestQueue(IngestOptions options, WorkerMetrics metrics)
    {
        _fullMode = options.FullMode;
        _metrics = metrics;
        _channel = Channel.CreateBounded<InputLine>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    public ChannelReader<InputLine> Reader => _channel.Reader;

    /// <summary>Lines waiting in the queue.</summary>
    public int Depth => _channel.Reader.Count;

    /// <summary>Registers a producer; the queue stays open until every lease is returned with <see cref="EndLease"/>.</summary>
    public void TakeLease() => Interlocked.Increment(ref _leases);

    /// <summary>A producer is done; the last one closes the queue.</summary>
    public void EndLease()
    {
        if (Interlocked.Decrement(ref _leases) == 0)
        {
            Close();
        }
    }

    /// <summary>Stops accepting lines (shutdown); what is queued is still drained.</summary>
    public void Close() => _channel.Writer.TryComplete();

    /// <summary>
    /// Queues a line, waiting while the queue is full (in DropNewest mode only for lines that may be requests).
    /// Returns false when the line was not queued: dropped (counted) or the queue is closed.
    /// </summary>
    public async ValueTask<bool> EnqueueAsync(InputLine line, CancellationToken cancellationToken)
    {
        var writer = _channel.Writer;
        if (writer.TryWrite(line))
        {
            return true;
        }

        if (_fullMode == QueueFullMode.DropNewest && !MayBeRequest(line))
        {
            if (!_channel.Reader.Completion.IsCompleted)
            {
                _metrics.Dropped(line.Origin?.Source ?? "unknown").Inc();
            }

            return false;
        }

        while (await writer.WaitToWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            if (writer.TryWrite(line))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The blocking form of <see cref="EnqueueAsync"/>, for sources that read on their own thread.</summary>
    public bool Enqueue(InputLine line)
    {
        var pending = EnqueueAsync(line, CancellationToken.None);
        return pending.IsCompleted ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }

    // A request must never be dropped silently (its client would wait for an answer forever); an event line
    // holding the text "op" by chance merely waits too.
    private static bool MayBeRequest(InputLine line) => line.Bytes.Span.IndexOf("\"op\""u8) >= 0;
}

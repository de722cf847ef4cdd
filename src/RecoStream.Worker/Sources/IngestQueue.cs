using System.Threading.Channels;
using RecoStream.Core.Events;
using RecoStream.Worker.Configuration;
using RecoStream.Worker.Metrics;

namespace RecoStream.Worker.Sources;

/// <summary>
/// The bounded queue between the sources and the pipeline. Sources hand it lines in batches (what one read
/// delivered, up to <see cref="MaxBatchLines"/>), so the hand-over between threads costs once per batch, not
/// once per line. In <see cref="QueueFullMode.Wait"/> a source waits while the queue is full, so a fast producer
/// is slowed to the learner's pace instead of growing memory (Rx has no back-pressure of its own). Sources hold
/// a lease while they may still produce; when the last lease ends the queue closes and the run ends once it is drained.
/// </summary>
internal sealed class IngestQueue
{
    /// <summary>Most lines in one batch.</summary>
    public const int MaxBatchLines = 256;

    private readonly Channel<InputLine[]> _channel;
    private readonly QueueFullMode _fullMode;
    private readonly WorkerMetrics _metrics;
    private int _leases;
    private long _depth;
    private volatile bool _closed;

    public IngestQueue(IngestOptions options, WorkerMetrics metrics)
    {
        _fullMode = options.FullMode;
        _metrics = metrics;
        // Capacity in batches: QueueCapacity lines, rounded up to whole batches.
        _channel = Channel.CreateBounded<InputLine[]>(new BoundedChannelOptions(Math.Max(1, (options.QueueCapacity + MaxBatchLines - 1) / MaxBatchLines))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    /// <summary>Lines waiting in the queue.</summary>
    public long Depth => Interlocked.Read(ref _depth);

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
    public void Close()
    {
        _closed = true;
        _channel.Writer.TryComplete();
    }

    /// <summary>Every queued line, batch by batch, until the queue is closed and empty.</summary>
    public async IAsyncEnumerable<InputLine[]> ReadAllAsync()
    {
        await foreach (var batch in _channel.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            Interlocked.Add(ref _depth, -batch.Length);
            yield return batch;
        }
    }

    /// <summary>
    /// Queues a batch, waiting while the queue is full; in DropNewest mode a full queue drops the batch's events
    /// (counted) and waits only for its request lines. Lines not queued (dropped, or the queue closed) are
    /// reported to <paramref name="notQueued"/>.
    /// </summary>
    public async ValueTask EnqueueAsync(InputLine[] batch, Action<InputLine>? notQueued, CancellationToken cancellationToken)
    {
        if (batch.Length == 0)
        {
            return;
        }

        var writer = _channel.Writer;
        Interlocked.Add(ref _depth, batch.Length);
        if (writer.TryWrite(batch))
        {
            return;
        }

        if (_fullMode == QueueFullMode.DropNewest)
        {
            var kept = new List<InputLine>();
            foreach (var line in batch)
            {
                if (MayBeRequest(line))
                {
                    kept.Add(line);
                }
                else
                {
                    _metrics.Dropped(line.Origin?.Source ?? "unknown").Inc();
                    notQueued?.Invoke(line);
                }
            }

            Interlocked.Add(ref _depth, kept.Count - batch.Length);
            batch = [.. kept];
            if (batch.Length == 0)
            {
                return;
            }
        }

        while (await writer.WaitToWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            if (writer.TryWrite(batch))
            {
                return;
            }
        }

        Interlocked.Add(ref _depth, -batch.Length);
        if (notQueued is not null)
        {
            foreach (var line in batch)
            {
                notQueued(line);
            }
        }
    }

    /// <summary>The blocking form of <see cref="EnqueueAsync"/>, for sources that read on their own thread; false once the queue is closed.</summary>
    public bool Enqueue(InputLine[] batch)
    {
        var pending = EnqueueAsync(batch, null, CancellationToken.None);
        if (!pending.IsCompleted)
        {
            pending.AsTask().GetAwaiter().GetResult();
        }

        return !_closed;
    }

    // A request must never be dropped silently (its client would wait for an answer forever); an event line
    // holding the text "op" by chance merely waits too.
    private static bool MayBeRequest(InputLine line) => line.Bytes.Span.IndexOf("\"op\""u8) >= 0;
}

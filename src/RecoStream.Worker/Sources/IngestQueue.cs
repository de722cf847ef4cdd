using System.Threading.Channels;
using RecoStream.Core.Events;
using RecoStream.Worker.Configuration;
using RecoStream.Worker.Metrics;

namespace RecoStream.Worker.Sources;

/// <summary>
/// The bounded queue between the sources and the pipeline. Sources hand it lines already parsed (each source parses
/// on its own thread, so parsing runs beside the pipeline instead of on its thread), in batches (what one read
/// delivered, up to <see cref="MaxBatchLines"/>), so the hand-over between threads costs once per batch, not once per
/// line. In <see cref="QueueFullMode.Wait"/> a source waits while the queue is full, so a fast producer is slowed to
/// the learner's pace instead of growing memory (Rx has no back-pressure of its own). Sources hold
/// a lease while they may still produce; when the last lease ends the queue closes and the run ends once it is drained.
/// </summary>
internal sealed class IngestQueue
{
    /// <summary>Most lines in one batch.</summary>
    public const int MaxBatchLines = 256;

    // About 20 microseconds of spinning on an empty or full queue before the thread blocks.
    private const int SpinsBeforeBlocking = 20;
    private const int SpinIterations = 50;

    private readonly Channel<StreamItem[]> _channel;
    private readonly QueueFullMode _fullMode;
    private readonly WorkerMetrics _metrics;
    private int _leases;
    private long _depth;
    private volatile bool _closed;

    // The pipeline thread waits on this gate when the queue is empty, and a source that queues a batch while it waits
    // signals it. No spinning in the wait itself (the thread has spun already): on this kind of VM the yields of a
    // spinning wait (a Task's wait calls sched_yield again and again) took more than a quarter of the pipeline thread
    // when requests trickled in.
    private readonly object _gate = new();
    private bool _signalled;
    private int _readerWaiting;

    public IngestQueue(IngestOptions options, WorkerMetrics metrics)
    {
        _fullMode = options.FullMode;
        _metrics = metrics;
        // Capacity in batches: QueueCapacity lines, rounded up to whole batches.
        _channel = Channel.CreateBounded<StreamItem[]>(new BoundedChannelOptions(Math.Max(1, (options.QueueCapacity + MaxBatchLines - 1) / MaxBatchLines))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    /// <summary>
    /// Batches the pipeline has handled, handed back for the sources to parse new events into (so that steady-state
    /// parsing allocates nothing); each source takes from it through a renter of its own.
    /// </summary>
    public StreamItemPool Recycled { get; } = new();

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
        Wake();
    }

    /// <summary>
    /// Every queued line, batch by batch, until the queue is closed and empty; blocks the calling thread (the pipeline's
    /// own) while the queue is empty. It spins briefly first: at full speed the next batch is microseconds away, and
    /// putting the thread to sleep and waking it costs more than that.
    /// </summary>
    /// <param name="idle">
    /// Called on the reading thread when the queue stayed empty while it spun, before it sleeps; returns true when it did
    /// some work, after which the queue is looked at again.
    /// </param>
    public IEnumerable<StreamItem[]> ReadAll(Func<bool>? idle = null)
    {
        var reader = _channel.Reader;
        while (true)
        {
            if (TryTakeSpinning(out var batch))
            {
                yield return batch;
                continue;
            }

            if (idle is not null && idle())
            {
                continue;
            }

            // Say that the thread is about to wait, then look once more: a batch queued after this look sees the flag
            // and wakes it (Signal), one queued before it is found by the look.
            Interlocked.Exchange(ref _readerWaiting, 1);
            if (TryTake(out batch))
            {
                Volatile.Write(ref _readerWaiting, 0);
                yield return batch;
                continue;
            }

            if (reader.Completion.IsCompleted)
            {
                yield break;
            }

            lock (_gate)
            {
                while (!_signalled)
                {
                    Monitor.Wait(_gate);
                }

                _signalled = false;
            }

            Volatile.Write(ref _readerWaiting, 0);
        }
    }

    /// <summary>Wakes the pipeline thread if it waits for a batch (after one was queued).</summary>
    private void Signal()
    {
        // A full fence before the flag is read: the batch written before must not be passed by this read.
        if (Interlocked.CompareExchange(ref _readerWaiting, 0, 0) != 0)
        {
            Wake();
        }
    }

    /// <summary>
    /// Wakes the pipeline thread if it waits for a batch, or makes its next wait return at once: it then calls its idle
    /// callback again (a background checkpoint write that flushes wait for has ended).
    /// </summary>
    public void WakeReader() => Wake();

    private void Wake()
    {
        lock (_gate)
        {
            _signalled = true;
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>The next queued batch if there is one, without waiting (the pipeline thread looking ahead).</summary>
    public bool TryTake(out StreamItem[] batch)
    {
        if (!_channel.Reader.TryRead(out batch!))
        {
            return false;
        }

        Interlocked.Add(ref _depth, -batch.Length);
        return true;
    }

    private bool TryTakeSpinning(out StreamItem[] batch)
    {
        for (var spins = 0; spins < SpinsBeforeBlocking; spins++)
        {
            if (TryTake(out batch))
            {
                return true;
            }

            Thread.SpinWait(SpinIterations);
        }

        return TryTake(out batch);
    }

    /// <summary>
    /// Queues a batch, waiting while the queue is full; in DropNewest mode a full queue drops the batch's events
    /// (counted) and waits only for its request lines. Lines not queued (dropped, or the queue closed) are
    /// reported to <paramref name="notQueued"/>.
    /// </summary>
    public async ValueTask EnqueueAsync(StreamItem[] batch, Action<StreamItem>? notQueued, CancellationToken cancellationToken)
    {
        if (batch.Length == 0)
        {
            return;
        }

        var writer = _channel.Writer;
        Interlocked.Add(ref _depth, batch.Length);
        if (writer.TryWrite(batch))
        {
            Signal();
            return;
        }

        if (_fullMode == QueueFullMode.DropNewest)
        {
            var kept = new List<StreamItem>();
            foreach (var item in batch)
            {
                if (IsRequest(item))
                {
                    kept.Add(item);
                }
                else
                {
                    _metrics.Dropped(item.Origin?.Source ?? "unknown").Inc();
                    notQueued?.Invoke(item);
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
                Signal();
                return;
            }
        }

        Interlocked.Add(ref _depth, -batch.Length);
        if (notQueued is not null)
        {
            foreach (var item in batch)
            {
                notQueued(item);
            }
        }
    }

    /// <summary>
    /// The blocking form of <see cref="EnqueueAsync"/>, for sources that read on their own thread; false once the queue is
    /// closed. A full queue is retried for a moment (spinning) before the thread blocks.
    /// </summary>
    public bool Enqueue(StreamItem[] batch)
    {
        if (batch.Length > 0 && _fullMode == QueueFullMode.Wait)
        {
            Interlocked.Add(ref _depth, batch.Length);
            for (var spins = 0; spins < SpinsBeforeBlocking; spins++)
            {
                if (_channel.Writer.TryWrite(batch))
                {
                    Signal();
                    return !_closed;
                }

                if (_closed)
                {
                    break;
                }

                Thread.SpinWait(SpinIterations);
            }

            Interlocked.Add(ref _depth, -batch.Length);
        }

        var pending = EnqueueAsync(batch, null, CancellationToken.None);
        if (!pending.IsCompleted)
        {
            pending.AsTask().GetAwaiter().GetResult();
        }

        return !_closed;
    }

    // A request, or a malformed one, must never be dropped silently: its client would wait for an answer forever.
    private static bool IsRequest(StreamItem item) => item.Kind == StreamItemKind.Request || item.WasRequest;
}

using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace RecoStream.Core.Events;

/// <summary>
/// Event items the pipeline is done with, for the sources to parse new lines into, so that a stream of known ids is
/// parsed without allocating (the ids themselves are reused strings, see <see cref="IdStrings"/>). The pipeline thread
/// hands back each batch once every line of it has been handled (<see cref="Return"/>); each source takes items back
/// through a <see cref="Renter"/> of its own. An item whose event something kept (<see cref="UserEvent.Retained"/>), a
/// request and a line the parser rejected are never reused. At most <see cref="MaxBatches"/> batches wait here; batches
/// handed back beyond that are left to the garbage collector.
/// </summary>
public sealed class StreamItemPool
{
    /// <summary>Most batches waiting to be parsed into again.</summary>
    public const int MaxBatches = 64;

    private readonly ConcurrentQueue<StreamItem[]> _returned = new();
    private int _waiting;

    /// <summary>Batches waiting to be parsed into again.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>
    /// Hands back a batch whose every line the pipeline has handled. Nothing may use the batch or its items after this,
    /// except through <see cref="UserEvent.Retained"/> events, which are never reused.
    /// </summary>
    public void Return(StreamItem[] batch)
    {
        if (Interlocked.Increment(ref _waiting) > MaxBatches)
        {
            Interlocked.Decrement(ref _waiting);
            return;
        }

        _returned.Enqueue(batch);
    }

    /// <summary>A source's way into the pool; each source (one thread at a time) has its own.</summary>
    public Renter NewRenter() => new(this);

    private bool TryTake([NotNullWhen(true)] out StreamItem[]? batch)
    {
        if (!_returned.TryDequeue(out batch))
        {
            return false;
        }

        Interlocked.Decrement(ref _waiting);
        return true;
    }

    /// <summary>
    /// Takes items out of handed-back batches one at a time, and gives the spent batch arrays back out as arrays for new
    /// batches. Not thread-safe: one per source.
    /// </summary>
    public sealed class Renter
    {
        private readonly StreamItemPool _pool;
        // Spent arrays kept for new batches: a few, since batch lengths vary (a read's last batch is shorter).
        private readonly StreamItem[]?[] _spares = new StreamItem[]?[4];
        private StreamItem[]? _items;
        private int _next;
        private int _nextSpare;

        internal Renter(StreamItemPool pool)
        {
            _pool = pool;
        }

        /// <summary>The next reusable event item, or null when the pool has none (the parser then makes a new one).</summary>
        internal StreamItem? TakeEvent()
        {
            while (true)
            {
                if (_items is { } items)
                {
                    while (_next < items.Length)
                    {
                        var item = items[_next++];
                        if (item.Recyclable)
                        {
                            return item;
                        }
                    }

                    // Every item of this array has been taken or skipped: the array itself can hold a new batch.
                    _spares[_nextSpare] = items;
                    _nextSpare = (_nextSpare + 1) % _spares.Length;
                    _items = null;
                }

                if (!_pool.TryTake(out _items))
                {
                    return null;
                }

                _next = 0;
            }
        }

        /// <summary>
        /// The lines as a batch to queue: a spent array of the same length when there is one, else a new array. Clears
        /// <paramref name="lines"/>.
        /// </summary>
        public StreamItem[] ToBatch(List<StreamItem> lines)
        {
            StreamItem[]? batch = null;
            for (var i = 0; i < _spares.Length; i++)
            {
                if (_spares[i] is { } spare && spare.Length == lines.Count)
                {
                    batch = spare;
                    _spares[i] = null;
                    break;
                }
            }

            batch ??= new StreamItem[lines.Count];
            lines.CopyTo(batch);
            lines.Clear();
            return batch;
        }
    }
}

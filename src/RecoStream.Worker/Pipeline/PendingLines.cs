using RecoStream.Core.Events;
using RecoStream.Worker.Sources;

namespace RecoStream.Worker.Pipeline;

/// <summary>
/// The lines the pipeline thread has taken from the queue but not pushed through the pipeline yet: the rest of the batch
/// being pushed, and batches taken early to look ahead. Lets the end of the pipeline see which lines come next (to score
/// a run of recommend requests in one pass) without changing the order in which lines are applied. Used on the pipeline
/// thread only.
/// </summary>
internal sealed class PendingLines(IngestQueue queue)
{
    private readonly List<StreamItem[]> _takenEarly = [];
    private StreamItem[] _batch = [];
    private int _next;

    /// <summary>The pipeline is about to push <c>batch[next - 1]</c>; the lines after it are still to come.</summary>
    public void At(StreamItem[] batch, int next)
    {
        _batch = batch;
        _next = next;
    }

    /// <summary>A batch taken from the queue while looking ahead, to be pushed before the queue is read again.</summary>
    public bool TryTakeEarlyBatch(out StreamItem[] batch)
    {
        if (_takenEarly.Count == 0)
        {
            batch = [];
            return false;
        }

        batch = _takenEarly[0];
        _takenEarly.RemoveAt(0);
        return true;
    }

    /// <summary>
    /// Adds to <paramref name="into"/> the lines that come next, in order, while <paramref name="take"/> accepts them and
    /// fewer than <paramref name="max"/> are added: the rest of the current batch, then batches waiting in the queue
    /// (taken from it, without waiting for any).
    /// </summary>
    public void Upcoming(List<StreamItem> into, int max, Func<StreamItem, bool> take)
    {
        var batch = _batch;
        var index = _next;
        var early = 0;
        while (into.Count < max)
        {
            if (index < batch.Length)
            {
                if (!take(batch[index]))
                {
                    return;
                }

                into.Add(batch[index++]);
                continue;
            }

            if (early < _takenEarly.Count)
            {
                batch = _takenEarly[early++];
            }
            else if (queue.TryTake(out var taken))
            {
                _takenEarly.Add(taken);
                batch = taken;
                early++;
            }
            else
            {
                return;
            }

            index = 0;
        }
    }
}

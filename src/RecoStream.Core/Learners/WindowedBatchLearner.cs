using System.Diagnostics.CodeAnalysis;
using RecoStream.Core.Events;

namespace RecoStream.Core.Learners;

/// <summary>
/// The windowed-batch form of any learner: predictions come from the model as it stood when the last window
/// closed (so evaluation stays test-then-train), events are buffered, and at each window close (decided by the
/// pipeline's window stage, <see cref="Processing.TumblingWindows"/>) the inner learner
/// is trained on the window (plus an optional reservoir of older events) for several shuffled epochs, warm-started
/// from its current state. The open window and the reservoir are part of the snapshot, so a restart loses no
/// buffered event; the inner learner's state is the same in both modes, so switching modes keeps what it learned.
/// </summary>
public sealed class WindowedBatchLearner : IOnlineLearner, ILabelledLearner, ICatalogRanker
{
    private readonly IOnlineLearner _inner;
    private readonly WindowedBatchOptions _options;
    private readonly List<(UserEvent Event, double Label)> _window = [];
    private readonly List<(UserEvent Event, double Label)> _reservoir = [];
    private ulong _random;
    private long _seenForReservoir;

    public WindowedBatchLearner(IOnlineLearner inner, WindowedBatchOptions options)
    {
        _inner = inner;
        _options = options;
        _random = (ulong)options.Seed;
    }

    /// <summary>The learner trained at each window close.</summary>
    public IOnlineLearner Inner => _inner;

    /// <summary>Windows closed so far (this process).</summary>
    public long WindowsClosed { get; private set; }

    /// <summary>Events waiting in the open window.</summary>
    public int Pending => _window.Count;

    /// <inheritdoc />
    public string Name => _inner.Name;

    /// <inheritdoc />
    public string Kind => _inner.Kind;

    /// <inheritdoc />
    public bool ReadsFeatures => _inner.ReadsFeatures;

    /// <inheritdoc />
    public LearnerObjective Objective => _inner.Objective;

    /// <inheritdoc />
    public bool Learns(UserEvent e) => _inner.Learns(e);

    /// <inheritdoc />
    public bool IsPositive(UserEvent e) => _inner is ILabelledLearner labelled && labelled.IsPositive(e);

    /// <inheritdoc />
    public double Predict(UserEvent e) => _inner.Predict(e);

    /// <inheritdoc />
    /// <remarks>Predicts with the model as of the last window close and buffers the event; learning happens at <see cref="CloseWindow"/>.</remarks>
    public double Learn(UserEvent e, double label)
    {
        var prediction = _inner.Predict(e);
        e.Retained = true; // kept past its batch: the pipeline must not parse another line into it
        _window.Add((e, label));
        return prediction;
    }

    /// <summary>Trains on the events buffered since the last close (the pipeline's window stage decides when).</summary>
    public void CloseWindow()
    {
        if (_window.Count == 0)
        {
            return;
        }

        var batch = new List<(UserEvent Event, double Label)>(_window.Count + _reservoir.Count);
        batch.AddRange(_window);
        batch.AddRange(_reservoir);
        var order = batch.ToArray();
        for (var epoch = 0; epoch < _options.Epochs; epoch++)
        {
            // Fisher-Yates with a generator whose state is checkpointed, so a restored learner shuffles the same way.
            for (var k = order.Length - 1; k > 0; k--)
            {
                var j = (int)NextBelow(k + 1);
                (order[k], order[j]) = (order[j], order[k]);
            }

            foreach (var (e, label) in order)
            {
                _inner.Learn(e, label);
            }
        }

        foreach (var example in _window)
        {
            AddToReservoir(example);
        }

        _window.Clear();
        WindowsClosed++;
    }

    /// <inheritdoc />
    public void ScoreItems(string user, IReadOnlyList<string> items, Span<float> scores) => _inner.ScoreItems(user, items, scores);

    /// <inheritdoc />
    public void ScoreItems(IReadOnlyList<string> users, IReadOnlyList<string> items, Span<float> scores) => _inner.ScoreItems(users, items, scores);

    /// <inheritdoc />
    public bool TryRankItems(string user, IReadOnlyList<string> items, int k, IReadOnlySet<int> excluded,
        [NotNullWhen(true)] out List<(int Index, float Score)>? top)
    {
        top = null;
        return _inner is ICatalogRanker ranker && ranker.TryRankItems(user, items, k, excluded, out top);
    }

    /// <inheritdoc />
    public double ScoreItem(string user, string item) => _inner.ScoreItem(user, item);

    /// <inheritdoc />
    public LearnerSnapshot Snapshot() => WithWindow(_inner.Snapshot());

    /// <inheritdoc />
    public LearnerSnapshot SnapshotChanges() => WithWindow(_inner.SnapshotChanges());

    /// <inheritdoc />
    public void AttachRowStore(IRowStore store) => _inner.AttachRowStore(store);

    /// <inheritdoc />
    public IReadOnlyList<RowTableStatistics> RowTables => _inner.RowTables;

    private LearnerSnapshot WithWindow(LearnerSnapshot snapshot)
    {
        WindowedEvents.Write(snapshot, "window", _window);
        WindowedEvents.Write(snapshot, "reservoir", _reservoir);
        snapshot.Longs["reservoirSeen"] = [_seenForReservoir];
        snapshot.Longs["windowRandom"] = [unchecked((long)_random)];
        return snapshot;
    }

    /// <inheritdoc />
    public void Restore(LearnerSnapshot snapshot)
    {
        _inner.Restore(snapshot);
        _window.Clear();
        _reservoir.Clear();
        // A snapshot written in incremental mode has no window: the batch form starts with an empty one.
        _window.AddRange(WindowedEvents.Read(snapshot, "window"));
        _reservoir.AddRange(WindowedEvents.Read(snapshot, "reservoir"));
        _seenForReservoir = snapshot.Longs.TryGetValue("reservoirSeen", out var seen) ? seen[0] : 0;
        if (snapshot.Longs.TryGetValue("windowRandom", out var random))
        {
            _random = unchecked((ulong)random[0]);
        }
    }

    private long NextBelow(long bound) => (long)(SplitMix64.Next(ref _random) % (ulong)bound);

    private void AddToReservoir((UserEvent Event, double Label) example)
    {
        if (_options.ReservoirSize == 0)
        {
            return;
        }

        _seenForReservoir++;
        if (_reservoir.Count < _options.ReservoirSize)
        {
            _reservoir.Add(example);
            return;
        }

        var slot = NextBelow(_seenForReservoir);
        if (slot < _options.ReservoirSize)
        {
            _reservoir[(int)slot] = example;
        }
    }
}

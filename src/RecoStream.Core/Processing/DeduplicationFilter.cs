namespace RecoStream.Core.Processing;

/// <summary>
/// Remembers the keys of applied events in tumbling event-time windows and says when one comes again. A window's
/// keys are forgotten once the watermark has passed it (only late events could still fall into it) or, when more than
/// the configured number of keys are held, oldest window first. Allocates nothing per event in steady state:
/// forgotten windows' sets are reused.
/// </summary>
public sealed class DeduplicationFilter
{
    private readonly long _windowMs;
    private readonly int _maxKeys;
    private readonly Dictionary<long, HashSet<ulong>> _windows = [];
    private readonly Stack<HashSet<ulong>> _spare = new();
    private readonly List<long> _expired = [];

    public DeduplicationFilter(long windowMs, int maxKeys)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(windowMs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxKeys);
        _windowMs = windowMs;
        _maxKeys = maxKeys;
    }

    /// <summary>Keys held now.</summary>
    public long Keys { get; private set; }

    /// <summary>Keys forgotten early because more than the maximum were held.</summary>
    public long ForgottenEarly { get; private set; }

    /// <summary>Admitted late events whose window was already forgotten, so they could not be checked.</summary>
    public long Unchecked { get; private set; }

    /// <summary>True when the key was seen before in its window; otherwise records it and returns false.</summary>
    public bool IsDuplicate(ulong key, long timestampMs, long watermarkMs)
    {
        var window = Math.DivRem(timestampMs, _windowMs, out _);
        if (!_windows.TryGetValue(window, out var keys))
        {
            if ((window + 1) * _windowMs <= watermarkMs)
            {
                Unchecked++;
                return false;
            }

            Expire(watermarkMs);
            keys = _spare.Count > 0 ? _spare.Pop() : [];
            _windows.Add(window, keys);
        }

        if (!keys.Add(key))
        {
            return true;
        }

        if (++Keys > _maxKeys)
        {
            ForgetOldest();
        }

        return false;
    }

    /// <summary>The remembered keys per window, for a checkpoint.</summary>
    public IReadOnlyList<(long Window, ulong[] Keys)> Snapshot() =>
        [.. _windows.OrderBy(w => w.Key).Select(w => (w.Key, w.Value.ToArray()))];

    /// <summary>Replaces the remembered keys with a checkpoint's.</summary>
    public void Restore(IReadOnlyList<(long Window, ulong[] Keys)> windows)
    {
        foreach (var keys in _windows.Values)
        {
            keys.Clear();
            _spare.Push(keys);
        }

        _windows.Clear();
        Keys = 0;
        foreach (var (window, stored) in windows)
        {
            var keys = _spare.Count > 0 ? _spare.Pop() : [];
            keys.UnionWith(stored);
            _windows[window] = keys;
            Keys += keys.Count;
        }
    }

    private void Expire(long watermarkMs)
    {
        _expired.Clear();
        foreach (var window in _windows.Keys)
        {
            if ((window + 1) * _windowMs <= watermarkMs)
            {
                _expired.Add(window);
            }
        }

        foreach (var window in _expired)
        {
            Forget(window);
        }
    }

    private void ForgetOldest()
    {
        var oldest = long.MaxValue;
        foreach (var window in _windows.Keys)
        {
            oldest = Math.Min(oldest, window);
        }

        ForgottenEarly += _windows[oldest].Count;
        Forget(oldest);
    }

    private void Forget(long window)
    {
        var keys = _windows[window];
        _windows.Remove(window);
        Keys -= keys.Count;
        keys.Clear();
        _spare.Push(keys);
    }
}

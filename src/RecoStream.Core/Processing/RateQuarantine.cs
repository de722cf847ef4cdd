using System.Runtime.InteropServices;

namespace RecoStream.Core.Processing;

/// <summary>
/// Counts each user's events per second of event time; a user who sends more than the limit in one second is
/// quarantined for a while (event time): their events are rejected until it ends. Entries of users who are neither
/// quarantined nor active within the watermark are pruned as the table grows.
/// </summary>
public sealed class RateQuarantine
{
    private readonly int _limit;
    private readonly long _durationMs;
    private readonly Dictionary<ulong, Entry> _users = [];
    private readonly List<ulong> _prunable = [];
    private int _pruneAt = 4096;
    // The watermark of the last check: entries behind it are prunable (see Prune).
    private long _watermarkMs = long.MinValue;

    public RateQuarantine(int eventsPerSecond, long durationMs)
    {
        _limit = eventsPerSecond;
        _durationMs = durationMs;
    }

    /// <summary>Quarantines started so far (this process).</summary>
    public long Started { get; private set; }

    /// <summary>Users tracked now.</summary>
    public int Tracked => _users.Count;

    /// <summary>
    /// Counts an event; returns the end of the user's quarantine (Unix ms) when the event must be rejected, or 0.
    /// </summary>
    /// <param name="userKey">The user id's <see cref="KeyHash"/> (the table's key: hashing a number is cheaper than a string).</param>
    /// <param name="user">The user id (kept for the checkpoint).</param>
    /// <param name="timestampMs">The event time.</param>
    /// <param name="watermarkMs">The watermark, below which idle entries may be pruned.</param>
    public long Check(ulong userKey, string user, long timestampMs, long watermarkMs)
    {
        if (_limit <= 0)
        {
            return 0;
        }

        _watermarkMs = watermarkMs;
        if (_users.Count >= _pruneAt)
        {
            Prune(watermarkMs);
        }

        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_users, userKey, out var known);
        if (!known)
        {
            entry.User = user;
        }

        if (entry.UntilMs > timestampMs)
        {
            return entry.UntilMs;
        }

        var second = Math.DivRem(timestampMs, 1000, out _);
        if (second != entry.Second)
        {
            entry.Second = second;
            entry.Count = 0;
        }

        if (++entry.Count <= _limit)
        {
            return 0;
        }

        entry.UntilMs = timestampMs + _durationMs;
        Started++;
        return entry.UntilMs;
    }

    /// <summary>
    /// The tracked users that matter, for a checkpoint: those quarantined or active within the watermark of the last
    /// check. The others would be pruned as they are (a checkpoint of every tracked user had written, and allocated, tens
    /// of thousands of entries each time on a stream of many users).
    /// </summary>
    public IReadOnlyList<QuarantineEntry> Snapshot()
    {
        var entries = new List<QuarantineEntry>();
        foreach (var entry in _users.Values)
        {
            if (!Prunable(entry, _watermarkMs))
            {
                entries.Add(new QuarantineEntry(entry.User, entry.Second, entry.Count, entry.UntilMs));
            }
        }

        return entries;
    }

    /// <summary>Replaces the tracked users with a checkpoint's.</summary>
    public void Restore(IReadOnlyList<QuarantineEntry> entries)
    {
        _users.Clear();
        foreach (var e in entries)
        {
            _users[KeyHash.Of('u', e.User)] = new Entry { User = e.User, Second = e.Second, Count = e.Count, UntilMs = e.UntilMs };
        }

        _pruneAt = Math.Max(4096, 2 * _users.Count);
    }

    private void Prune(long watermarkMs)
    {
        _prunable.Clear();
        foreach (var (key, entry) in _users)
        {
            if (Prunable(entry, watermarkMs))
            {
                _prunable.Add(key);
            }
        }

        foreach (var key in _prunable)
        {
            _users.Remove(key);
        }

        _pruneAt = Math.Max(4096, 2 * _users.Count);
    }

    /// <summary>Neither quarantined nor counting a second at or after the watermark: its entry changes nothing.</summary>
    private static bool Prunable(in Entry entry, long watermarkMs) => entry.UntilMs <= watermarkMs && (entry.Second + 1) * 1000 <= watermarkMs;

    private struct Entry
    {
        public string User;
        public long Second;
        public int Count;
        public long UntilMs;
    }
}

/// <summary>One user's rate state in a checkpoint.</summary>
public sealed record QuarantineEntry(string User, long Second, int Count, long UntilMs);

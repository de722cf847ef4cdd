using RecoStream.Core.Events;

namespace RecoStream.Core.Tests;

/// <summary>Events and clocks made up for the preprocessing tests.</summary>
internal static class TestEvents
{
    private static long _line;

    public static StreamItem Item(string user, string item, long ts, EventType type = EventType.Rating, double? value = 4, string? rawType = null) =>
        StreamItem.ForEvent(Interlocked.Increment(ref _line), new UserEvent(user, item, type, value, ts, [], [], rawType));

    public static StreamItem Purchase(string user, string item, long ts, double amount) => Item(user, item, ts, EventType.Purchase, amount);
}

/// <summary>A clock that says what the test tells it.</summary>
internal sealed class ManualTime : TimeProvider
{
    public ManualTime(DateTimeOffset now)
    {
        Now = now;
    }

    public DateTimeOffset Now { get; set; }

    public override DateTimeOffset GetUtcNow() => Now;
}

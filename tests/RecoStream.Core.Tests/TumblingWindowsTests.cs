using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using RecoStream.Core.Events;
using RecoStream.Core.Processing;

namespace RecoStream.Core.Tests;

/// <summary>
/// The window stage in virtual time: a <see cref="HistoricalScheduler"/> drives the quiet timeout, and the event clock is
/// moved by the cleaning stage in front of it, as in the pipeline.
/// </summary>
public sealed class TumblingWindowsTests : IDisposable
{
    private readonly HistoricalScheduler _scheduler = new(DateTimeOffset.UnixEpoch);
    private readonly Subject<StreamItem> _input = new();
    private readonly List<StreamItem> _output = [];
    private bool _completed;

    public void Dispose() => _input.Dispose();

    private void Start(WindowOptions windows, int latenessSeconds = 0)
    {
        var cleaning = new CleaningOptions { AllowedLatenessSeconds = latenessSeconds, MaxFutureSeconds = 0, QuarantineEventsPerSecond = 0 };
        var stages = new Preprocessing(new PreprocessingOptions { Cleaning = cleaning, Windows = windows }, new ManualTime(DateTimeOffset.UnixEpoch));
        _input.Select(stages.Cleaner.Clean).Tumble(stages.Windows, _scheduler).Subscribe(_output.Add, () => _completed = true);
    }

    private void Send(long ts, string user = "u") => _input.OnNext(TestEvents.Item(user, "i" + ts, ts));

    private List<WindowSummary> Closed => [.. _output.Where(i => i.Kind == StreamItemKind.WindowClosed).Select(i => i.Window!)];

    [Fact]
    public void Count_WindowClosesRightAfterItsLastEvent()
    {
        Start(new WindowOptions { Events = 3, EventSeconds = 0, QuietSeconds = 0 });
        Send(1);
        Send(2);
        Assert.Empty(Closed);

        Send(3);
        Assert.Equal(StreamItemKind.WindowClosed, _output[^1].Kind);
        Assert.Equal(new WindowSummary(1, WindowTrigger.Count, 1, long.MaxValue, 3, 1, 3), Closed.Single());

        Send(4);
        Assert.Single(Closed);
        Assert.Equal(StreamItemKind.Event, _output[^1].Kind);
    }

    [Fact]
    public void EventTime_WindowClosesWhenTheWatermarkPassesItsEnd_AndTheEventOpensTheNext()
    {
        Start(new WindowOptions { Events = 1000, EventSeconds = 60, QuietSeconds = 0 });
        Send(5_000);
        Send(30_000);
        Send(59_999);
        Assert.Empty(Closed);

        Send(61_000);
        var first = Closed.Single();
        Assert.Equal((WindowTrigger.EventTime, 0L, 60_000L, 3L), (first.Trigger, first.StartMs, first.EndMs, first.Events));
        // The marker comes before the event that closed the window: that event belongs to the next one.
        Assert.Equal(StreamItemKind.WindowClosed, _output[^2].Kind);
        Assert.Equal(61_000, _output[^1].Event!.TimestampMs);

        Send(200_000);
        Assert.Equal(new WindowSummary(2, WindowTrigger.EventTime, 60_000, 120_000, 1, 61_000, 61_000), Closed[1]);
    }

    [Fact]
    public void Lateness_StragglerWithinTheAllowedLateness_JoinsItsWindow()
    {
        Start(new WindowOptions { Events = 1000, EventSeconds = 60, QuietSeconds = 0 }, latenessSeconds: 10);
        Send(50_000);
        Send(65_000);   // watermark 55 s: window [0, 60 s) stays open
        Send(58_000);   // a straggler of the first window, 7 s behind the newest event: on time
        Assert.Empty(Closed);

        Send(70_000);   // watermark 60 s: the first window closes, with the straggler in it
        var first = Closed.Single();
        Assert.Equal((0L, 60_000L, 3L, 50_000L, 65_000L), (first.StartMs, first.EndMs, first.Events, first.FirstEventMs, first.LastEventMs));
    }

    [Fact]
    public void Quiet_NoEventForTheTimeout_ClosesTheWindowInVirtualTime()
    {
        Start(new WindowOptions { Events = 1000, EventSeconds = 3600, QuietSeconds = 5 });
        Send(1_000);
        _scheduler.AdvanceBy(TimeSpan.FromSeconds(3));
        Send(2_000);                                     // restarts the quiet spell
        _scheduler.AdvanceBy(TimeSpan.FromSeconds(4.9));
        Assert.Empty(Closed);

        _scheduler.AdvanceBy(TimeSpan.FromSeconds(0.2));
        Assert.Equal((WindowTrigger.Quiet, 2L), (Closed.Single().Trigger, Closed.Single().Events));

        _scheduler.AdvanceBy(TimeSpan.FromMinutes(10));  // nothing open: nothing more closes
        Assert.Single(Closed);
    }

    [Fact]
    public void Quiet_MeasuredOnTheGivenClock_NotTheSchedulersTime()
    {
        // The worker reads a cheap clock for every event; the timer still runs on the scheduler.
        long clockMs = 1_000;
        var cleaning = new CleaningOptions { AllowedLatenessSeconds = 0, MaxFutureSeconds = 0, QuarantineEventsPerSecond = 0 };
        var stages = new Preprocessing(new PreprocessingOptions { Cleaning = cleaning, Windows = new WindowOptions { Events = 1000, EventSeconds = 3600, QuietSeconds = 5 } },
            new ManualTime(DateTimeOffset.UnixEpoch));
        _input.Select(stages.Cleaner.Clean).Tumble(stages.Windows, _scheduler, () => clockMs).Subscribe(_output.Add, () => _completed = true);

        Send(1_000);
        clockMs += 3_000;
        _scheduler.AdvanceBy(TimeSpan.FromSeconds(10)); // the scheduler's time has passed the quiet spell, the clock has not
        Assert.Empty(Closed);

        clockMs += 2_000;
        _scheduler.AdvanceBy(TimeSpan.FromSeconds(2));  // the re-armed timer fires after the clock's quiet spell
        Assert.Equal((WindowTrigger.Quiet, 1L), (Closed.Single().Trigger, Closed.Single().Events));
    }

    [Fact]
    public void End_OfInput_ClosesTheOpenWindowBeforeCompleting()
    {
        Start(new WindowOptions { Events = 1000, EventSeconds = 3600, QuietSeconds = 5 });
        Send(1_000);
        _input.OnCompleted();

        Assert.True(_completed);
        Assert.Equal(WindowTrigger.End, Closed.Single().Trigger);
        _scheduler.AdvanceBy(TimeSpan.FromMinutes(1));
        Assert.Single(Closed);
    }

    [Fact]
    public void NonEvents_PassThroughWithoutOpeningAWindow()
    {
        Start(new WindowOptions { Events = 2, EventSeconds = 0, QuietSeconds = 1 });
        _input.OnNext(StreamItem.Blank(1));
        _input.OnNext(StreamItem.Rejected(2, RejectReason.MalformedJson, "x"));
        _scheduler.AdvanceBy(TimeSpan.FromSeconds(5));
        _input.OnCompleted();

        Assert.Empty(Closed);
        Assert.Equal(2, _output.Count);
    }

    [Fact]
    public void Tracker_RestoredFromASnapshot_ClosesTheSameWindow()
    {
        var clock = new EventClock(0);
        var options = new WindowOptions { Events = 5, EventSeconds = 60 };
        var original = new WindowTracker(options, clock);
        clock.Observe(10_000);
        original.Add(10_000);
        clock.Observe(20_000);
        original.Add(20_000);

        var restored = new WindowTracker(options, clock);
        restored.Restore(original.Snapshot());
        Assert.Equal(original.Close(WindowTrigger.End), restored.Close(WindowTrigger.End));
    }
}

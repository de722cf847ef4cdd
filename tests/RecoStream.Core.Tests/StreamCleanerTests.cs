using RecoStream.Core.Events;
using RecoStream.Core.Processing;

namespace RecoStream.Core.Tests;

public class StreamCleanerTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    private static Preprocessing Stages(CleaningOptions cleaning) =>
        new(new PreprocessingOptions { Cleaning = cleaning }, new ManualTime(Now));

    private static StreamItem Clean(Preprocessing stages, StreamItem item) => stages.Cleaner.Clean(stages.Validator.Validate(item));

    private static long T(double seconds) => Now.ToUnixTimeMilliseconds() + (long)(seconds * 1000);

    [Fact]
    public void Duplicate_SameUserItemTypeAndTs_IsAppliedOnce()
    {
        var stages = Stages(new CleaningOptions());
        Assert.Equal(StreamItemKind.Event, Clean(stages, TestEvents.Item("u", "i", T(0))).Kind);

        var again = Clean(stages, TestEvents.Item("u", "i", T(0)));
        Assert.Equal((StreamItemKind.Rejected, RejectReason.Duplicate), (again.Kind, again.Reason));
        Assert.Contains("already applied", again.Message);

        // Another ts, another type or another item is not a duplicate.
        Assert.Equal(StreamItemKind.Event, Clean(stages, TestEvents.Item("u", "i", T(1))).Kind);
        Assert.Equal(StreamItemKind.Event, Clean(stages, TestEvents.Item("u", "i", T(0), EventType.Click, null)).Kind);
        Assert.Equal(StreamItemKind.Event, Clean(stages, TestEvents.Item("u", "j", T(0))).Kind);
    }

    [Fact]
    public void Duplicate_KeysAreForgottenOnceTheWatermarkPassesTheirWindow()
    {
        var stages = Stages(new CleaningOptions { DeduplicateWindowSeconds = 60, AllowedLatenessSeconds = 0 });
        var start = T(0) / 60_000 * 60_000;
        Clean(stages, TestEvents.Item("u", "a", start + 1_000));
        Clean(stages, TestEvents.Item("u", "b", start + 2_000));
        Assert.Equal(2, stages.Cleaner.Deduplication.Keys);

        Clean(stages, TestEvents.Item("u", "c", start + 130_000));
        Assert.Equal(1, stages.Cleaner.Deduplication.Keys);
    }

    [Fact]
    public void Duplicate_BeyondTheMaximumKeys_ForgetsTheOldestWindowFirst()
    {
        var stages = Stages(new CleaningOptions { DeduplicateWindowSeconds = 1, DeduplicateMaxKeys = 3, AllowedLatenessSeconds = 3600 });
        for (var n = 0; n < 4; n++)
        {
            Clean(stages, TestEvents.Item("u" + n, "i", T(n)));
        }

        Assert.Equal(3, stages.Cleaner.Deduplication.Keys);
        Assert.Equal(1, stages.Cleaner.Deduplication.ForgottenEarly);
    }

    [Fact]
    public void Late_WithDrop_IsRejectedWithTheLag()
    {
        var stages = Stages(new CleaningOptions { AllowedLatenessSeconds = 60, Late = LatePolicy.Drop });
        Clean(stages, TestEvents.Item("u", "i", T(0)));
        Assert.Equal(StreamItemKind.Event, Clean(stages, TestEvents.Item("u", "j", T(-59))).Kind);

        var late = Clean(stages, TestEvents.Item("u", "k", T(-61)));
        Assert.Equal(RejectReason.LateEvent, late.Reason);
        Assert.Contains("61 s behind", late.Message);
    }

    [Fact]
    public void Late_WithAdmit_IsAcceptedAndCounted_AndDoesNotMoveTheClockBack()
    {
        var stages = Stages(new CleaningOptions { AllowedLatenessSeconds = 60, Late = LatePolicy.Admit });
        Clean(stages, TestEvents.Item("u", "i", T(0)));
        Assert.Equal(StreamItemKind.Event, Clean(stages, TestEvents.Item("u", "k", T(-600))).Kind);

        Assert.Equal(1, stages.Cleaner.LateAdmitted);
        // Its deduplication window was forgotten long ago: it is admitted without a check, and counted.
        Assert.Equal(1, stages.Cleaner.Deduplication.Unchecked);
        Assert.Equal(T(0), stages.Clock.NewestMs);
        Assert.Equal(T(-60), stages.Clock.WatermarkMs);
    }

    [Fact]
    public void Future_BeyondTheSkewAllowedByTheInjectedClock_IsRejected()
    {
        var stages = Stages(new CleaningOptions { MaxFutureSeconds = 3600 });
        Assert.Equal(StreamItemKind.Event, Clean(stages, TestEvents.Item("u", "i", T(3599))).Kind);

        var future = Clean(stages, TestEvents.Item("u", "j", T(7200)));
        Assert.Equal(RejectReason.FutureTimestamp, future.Reason);
        Assert.Contains("7200 s ahead", future.Message);
        Assert.Equal(T(3599), stages.Clock.NewestMs);
    }

    [Fact]
    public void Range_RatingOutsideTheScale_IsRejectedOrClamped()
    {
        var reject = Stages(new CleaningOptions { MinRating = 1, MaxRating = 5 });
        var rejected = Clean(reject, TestEvents.Item("u", "i", T(0), value: 7));
        Assert.Equal(RejectReason.OutOfRange, rejected.Reason);
        Assert.Contains("[1, 5]", rejected.Message);

        var clamp = Stages(new CleaningOptions { MinRating = 1, MaxRating = 5, OutOfRange = OutOfRangePolicy.Clamp });
        var clamped = Clean(clamp, TestEvents.Item("u", "i", T(0), value: 0));
        Assert.Equal((StreamItemKind.Event, 1.0), (clamped.Kind, clamped.Event!.Value));
        Assert.Equal(1, clamp.Cleaner.Clamped);
    }

    [Fact]
    public void Quarantine_UserOverTheRate_IsRejectedUntilItEnds_OthersAreNot()
    {
        var stages = Stages(new CleaningOptions { QuarantineEventsPerSecond = 5, QuarantineSeconds = 60, AllowedLatenessSeconds = 3600 });
        for (var n = 0; n < 5; n++)
        {
            Assert.Equal(StreamItemKind.Event, Clean(stages, TestEvents.Item("bot", "i" + n, T(0.1 * n))).Kind);
        }

        Assert.Equal(RejectReason.Quarantined, Clean(stages, TestEvents.Item("bot", "i5", T(0.6))).Reason);
        Assert.Equal(RejectReason.Quarantined, Clean(stages, TestEvents.Item("bot", "i6", T(30))).Reason);
        Assert.Equal(StreamItemKind.Event, Clean(stages, TestEvents.Item("human", "i6", T(30))).Kind);
        Assert.Equal(StreamItemKind.Event, Clean(stages, TestEvents.Item("bot", "i7", T(61))).Kind);
        Assert.Equal(1, stages.Cleaner.Quarantine.Started);
    }

    [Fact]
    public void EventTypes_MappedNameIsAccepted_UnknownAndUnlistedAreRejected()
    {
        var stages = Stages(new CleaningOptions
        {
            KnownTypes = [EventType.Click, EventType.Purchase, EventType.Rating],
            TypeMap = new Dictionary<string, EventType> { ["like"] = EventType.Click },
        });

        var like = Clean(stages, TestEvents.Item("u", "i", T(0), EventType.Unknown, null, rawType: "like"));
        Assert.Equal((StreamItemKind.Event, EventType.Click), (like.Kind, like.Event!.Type));
        Assert.Equal(RejectReason.UnknownEventType, Clean(stages, TestEvents.Item("u", "i", T(1), EventType.Unknown, null, rawType: "teleport")).Reason);
        Assert.Equal(RejectReason.UnknownEventType, Clean(stages, TestEvents.Item("u", "i", T(2), EventType.View, null)).Reason);
    }

    [Fact]
    public void Snapshot_RestoredIntoFreshStages_StillKnowsDuplicatesQuarantinesAndTheWatermark()
    {
        var options = new CleaningOptions { QuarantineEventsPerSecond = 2, QuarantineSeconds = 60, Late = LatePolicy.Drop, AllowedLatenessSeconds = 10 };
        var stages = Stages(options);
        Clean(stages, TestEvents.Item("u", "i", T(0)));
        for (var n = 0; n < 3; n++)
        {
            Clean(stages, TestEvents.Item("bot", "i" + n, T(0)));
        }

        var restored = Stages(options);
        restored.Restore(stages.Snapshot());

        Assert.Equal(RejectReason.Duplicate, Clean(restored, TestEvents.Item("u", "i", T(0))).Reason);
        Assert.Equal(RejectReason.Quarantined, Clean(restored, TestEvents.Item("bot", "x", T(1))).Reason);
        Assert.Equal(RejectReason.LateEvent, Clean(restored, TestEvents.Item("v", "i", T(-11))).Reason);
    }

    [Fact]
    public void Snapshot_HoldsOnlyTheQuarantinesAndTheRatesWithinTheWatermark_AndRestoresTheSameRejections()
    {
        // Users last active behind the watermark change nothing (they would be pruned): a checkpoint leaves them out.
        var options = new CleaningOptions { QuarantineEventsPerSecond = 2, QuarantineSeconds = 600, AllowedLatenessSeconds = 10 };
        var stages = Stages(options);
        for (var n = 0; n < 3; n++)
        {
            Clean(stages, TestEvents.Item("bot", "i" + n, T(0))); // quarantined until T(600)
        }

        for (var u = 0; u < 50; u++)
        {
            Clean(stages, TestEvents.Item("old" + u, "i", T(1 + (u * 0.01))));
        }

        Clean(stages, TestEvents.Item("now", "a", T(100)));
        Clean(stages, TestEvents.Item("now", "b", T(100.5))); // at the limit in this second

        var snapshot = stages.Snapshot();
        Assert.Equal(["bot", "now"], snapshot.Quarantine.Select(q => q.User).Order(StringComparer.Ordinal));

        var restored = Stages(options);
        restored.Restore(snapshot);
        Assert.Equal(RejectReason.Quarantined, Clean(restored, TestEvents.Item("bot", "x", T(101))).Reason);
        Assert.Equal(RejectReason.Quarantined, Clean(restored, TestEvents.Item("now", "c", T(100.9))).Reason);
        Assert.Equal(StreamItemKind.Event, Clean(restored, TestEvents.Item("old1", "x", T(101))).Kind);
    }
}

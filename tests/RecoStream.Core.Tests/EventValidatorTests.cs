using RecoStream.Core.Events;
using RecoStream.Core.Processing;

namespace RecoStream.Core.Tests;

public class EventValidatorTests
{
    private static StreamItem Event(EventType type, double? value, string? rawType = null) =>
        StreamItem.ForEvent(1, new UserEvent("u", "i", type, value, 1, [], [], rawType));

    [Fact]
    public void Validate_UnknownType_IsRejectedNamingTheType()
    {
        var item = new EventValidator().Validate(Event(EventType.Unknown, null, "teleport"));

        Assert.Equal(StreamItemKind.Rejected, item.Kind);
        Assert.Equal(RejectReason.UnknownEventType, item.Reason);
        Assert.Contains("teleport", item.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RatingWithoutValue_IsRejected()
    {
        var item = new EventValidator().Validate(Event(EventType.Rating, null));
        Assert.Equal(RejectReason.MissingValue, item.Reason);
    }

    [Fact]
    public void Validate_ViewWithoutValue_Passes()
    {
        Assert.Equal(StreamItemKind.Event, new EventValidator().Validate(Event(EventType.View, null)).Kind);
    }

    [Fact]
    public void Validate_TypeOutsideConfiguredSet_IsRejected()
    {
        var validator = new EventValidator([EventType.Rating]);

        Assert.Equal(RejectReason.UnknownEventType, validator.Validate(Event(EventType.Click, null)).Reason);
        Assert.Equal(StreamItemKind.Event, validator.Validate(Event(EventType.Rating, 3)).Kind);
    }
}

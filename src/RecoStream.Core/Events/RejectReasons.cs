namespace RecoStream.Core.Events;

/// <summary>Metric labels of <see cref="RejectReason"/>.</summary>
public static class RejectReasons
{
    private static readonly string[] Labels =
    [
        "malformed_json", "malformed_line", "not_an_object", "line_too_long", "missing_field", "wrong_type", "duplicate_field",
        "empty_id", "id_too_long", "non_finite_number", "invalid_timestamp", "too_many_features",
        "unknown_event_type", "missing_value", "bad_request", "late_event", "future_timestamp", "out_of_range", "duplicate",
        "quarantined",
    ];

    /// <summary>Every reason, in declaration order.</summary>
    public static IReadOnlyList<RejectReason> All { get; } = Enum.GetValues<RejectReason>();

    /// <summary>The snake_case label of a reason, as used in metrics and logs.</summary>
    public static string Label(RejectReason reason) => Labels[(int)reason];
}

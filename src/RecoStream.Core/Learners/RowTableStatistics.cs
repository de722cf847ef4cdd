namespace RecoStream.Core.Learners;

/// <summary>The state of one keyed table of a learner (users or items), for the gauges.</summary>
/// <param name="Table"><c>user</c> or <c>item</c>.</param>
/// <param name="Rows">Rows in all, in memory and in the store.</param>
/// <param name="HotRows">Rows held in memory.</param>
/// <param name="Hits">Lookups answered from memory.</param>
/// <param name="Misses">Lookups that went to the store.</param>
/// <param name="Evictions">Rows evicted from memory.</param>
/// <param name="Expiries">Rows removed for inactivity.</param>
/// <param name="NotAdmitted">Updates dropped because their id was not admitted yet.</param>
public sealed record RowTableStatistics(string Table, long Rows, int HotRows, long Hits, long Misses, long Evictions, long Expiries, long NotAdmitted);

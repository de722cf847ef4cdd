using RecoStream.Core.Events;

namespace RecoStream.Core.Learners;

/// <summary>Buffered (event, label) pairs as named arrays of a <see cref="LearnerSnapshot"/>.</summary>
internal static class WindowedEvents
{
    public static void Write(LearnerSnapshot snapshot, string prefix, IReadOnlyList<(UserEvent Event, double Label)> events)
    {
        snapshot.Strings[prefix + "Users"] = [.. events.Select(x => x.Event.User)];
        snapshot.Strings[prefix + "Items"] = [.. events.Select(x => x.Event.Item)];
        snapshot.Strings[prefix + "FeatureNames"] = [.. events.SelectMany(x => x.Event.FeatureNames)];
        snapshot.Doubles[prefix + "FeatureValues"] = [.. events.SelectMany(x => x.Event.FeatureValues)];
        snapshot.Doubles[prefix + "Values"] = [.. events.Select(x => x.Event.Value ?? double.NaN)];
        snapshot.Doubles[prefix + "Labels"] = [.. events.Select(x => x.Label)];
        snapshot.Longs[prefix + "Types"] = [.. events.Select(x => (long)x.Event.Type)];
        snapshot.Longs[prefix + "Timestamps"] = [.. events.Select(x => x.Event.TimestampMs)];
        snapshot.Longs[prefix + "FeatureCounts"] = [.. events.Select(x => (long)x.Event.FeatureNames.Length)];
        snapshot.Strings[prefix + "Categories"] = [.. events.SelectMany(x => x.Event.Categories)];
        snapshot.Longs[prefix + "CategoryCounts"] = [.. events.Select(x => (long)x.Event.Categories.Length)];
    }

    public static IEnumerable<(UserEvent Event, double Label)> Read(LearnerSnapshot snapshot, string prefix)
    {
        if (!snapshot.Strings.TryGetValue(prefix + "Users", out var users))
        {
            yield break;
        }

        var items = snapshot.Require(snapshot.Strings, prefix + "Items");
        var names = snapshot.Require(snapshot.Strings, prefix + "FeatureNames");
        var featureValues = snapshot.Require(snapshot.Doubles, prefix + "FeatureValues");
        var values = snapshot.Require(snapshot.Doubles, prefix + "Values");
        var labels = snapshot.Require(snapshot.Doubles, prefix + "Labels");
        var types = snapshot.Require(snapshot.Longs, prefix + "Types");
        var timestamps = snapshot.Require(snapshot.Longs, prefix + "Timestamps");
        var counts = snapshot.Require(snapshot.Longs, prefix + "FeatureCounts");
        if (items.Length != users.Length || values.Length != users.Length || labels.Length != users.Length || types.Length != users.Length
            || timestamps.Length != users.Length || counts.Length != users.Length || names.Length != featureValues.Length || counts.Sum() != names.Length)
        {
            throw new InvalidOperationException($"the stored {snapshot.Kind} learner's {prefix} events are inconsistent");
        }

        // Snapshots written before categorical features existed have none.
        var categories = snapshot.Strings.GetValueOrDefault(prefix + "Categories") ?? [];
        var categoryCounts = snapshot.Longs.GetValueOrDefault(prefix + "CategoryCounts") ?? new long[users.Length];
        if (categoryCounts.Length != users.Length || categoryCounts.Sum() != categories.Length)
        {
            throw new InvalidOperationException($"the stored {snapshot.Kind} learner's {prefix} categorical features are inconsistent");
        }

        var offset = 0;
        var categoryOffset = 0;
        for (var i = 0; i < users.Length; i++)
        {
            var n = (int)counts[i];
            var c = (int)categoryCounts[i];
            var e = new UserEvent(users[i], items[i], (EventType)types[i], double.IsNaN(values[i]) ? null : values[i], timestamps[i],
                names[offset..(offset + n)], featureValues[offset..(offset + n)])
            {
                Categories = categories[categoryOffset..(categoryOffset + c)],
            };
            offset += n;
            categoryOffset += c;
            yield return (e, labels[i]);
        }
    }
}

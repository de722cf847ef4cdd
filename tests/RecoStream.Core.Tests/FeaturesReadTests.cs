using RecoStream.Core.Events;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;
using RecoStream.Core.Routing;

namespace RecoStream.Core.Tests;

/// <summary>
/// The feature stage computes behaviour features, and the normalize stage normalizes, only for a model with a learner
/// that reads them: factorization learners read the user's and the item's factors alone.
/// </summary>
public class FeaturesReadTests
{
    private static BiasedMatrixFactorization Mf() => new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 8 });

    private static LinearLearner Linear() => new LinearLearner(new LinearLearnerOptions { HashBits = 12 });

    public static TheoryData<string, bool> Models => new()
    {
        { "mf", false },
        { "implicit", false },
        { "mf-batch", false },
        { "linear", true },
        { "linear-batch", true },
        { "mf+linear", true },
    };

    private static IOnlineLearner[] Learners(string model) => model switch
    {
        "mf" => [Mf()],
        "implicit" => [new ImplicitMatrixFactorization(new ImplicitMatrixFactorizationOptions { Rank = 8 })],
        "mf-batch" => [new WindowedBatchLearner(Mf(), new WindowedBatchOptions())],
        "linear" => [Linear()],
        "linear-batch" => [new WindowedBatchLearner(Linear(), new WindowedBatchOptions())],
        _ => [Mf(), Linear()],
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void FeatureAndNormalizeStages_WorkOnlyForAModelThatReadsFeatures(string model, bool read)
    {
        var learners = Learners(model);
        var state = new ModelState(new FeatureOptions(), learners, learners[0].Name, maxInteractionsPerUser: 10);
        var stages = state.Preprocessing;

        UserEvent last = null!;
        for (var n = 0; n < 3; n++)
        {
            var item = StreamItem.ForEvent(n + 1, new UserEvent("u1", "i" + n, EventType.Rating, 4, 1_000 * n, ["price"], [200.0]));
            stages.Normalizer.Normalize(stages.Extractor.Extract(item));
            last = item.Event!;
        }

        Assert.Equal(read, stages.FeaturesRead);
        Assert.Equal(read, last.HasBehaviour);
        Assert.Equal(read ? 1 : 0, stages.Extractor.Users);
        Assert.Equal(read ? 3 : 0, stages.Extractor.Items);
        // Normalized: the third of three equal values is at the mean (z-score 0); left as it is: the raw 200.
        Assert.Equal(read ? 0.0 : 200.0, last.FeatureValues[0]);
        Assert.Equal(read ? 1 : 0, stages.Extractor.Snapshot().Users.Count);
    }
}

using RecoStream.Core.Events;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;
using Xunit.Abstractions;

namespace RecoStream.Core.Tests;

public class LinearLearnerTests
{
    private readonly ITestOutputHelper _output;

    public LinearLearnerTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void Learn_CategoricalFeature_IsLearnedAsItsOwnWeight()
    {
        // The same user and item; the label depends only on the device: the categorical feature must carry it.
        var learner = new LinearLearner(new LinearLearnerOptions { HashBits = 14 });
        UserEvent On(string device) => new("u", "i", EventType.Rating, null, 0, [], []) { Categories = ["device=" + device] };
        for (var n = 0; n < 2000; n++)
        {
            learner.Learn(On("phone"), 1.0);
            learner.Learn(On("desktop"), 4.0);
        }

        Assert.Equal(1.0, learner.Predict(On("phone")), 1);
        Assert.Equal(4.0, learner.Predict(On("desktop")), 1);
    }

    [Fact]
    public void Step_HandComputedExample_MatchesGradientDescent()
    {
        // eta 0.1, x = {slot 1: 1, slot 2: 2}, label 3, w = 0.
        // Step 1: prediction 0, error -3: w1 = 0.3, w2 = 0.6.
        // Step 2: prediction 0.3*1 + 0.6*2 = 1.5, error -1.5: w1 = 0.45, w2 = 0.9.
        var learner = new LinearLearner(new LinearLearnerOptions { HashBits = 10, LearningRate = 0.1, AdaGrad = false });
        var x = new SparseFeatures();
        x.Add(1, 1f);
        x.Add(2, 2f);

        Assert.Equal(0.0, learner.Step(x, 3.0));
        Assert.Equal(0.3f, learner.Weights[1], 6);
        Assert.Equal(0.6f, learner.Weights[2], 6);
        Assert.Equal(1.5, learner.Step(x, 3.0), 6);
        Assert.Equal(0.45f, learner.Weights[1], 6);
        Assert.Equal(0.9f, learner.Weights[2], 6);
        Assert.Equal(2.25, learner.Dot(x), 5);
    }

    [Fact]
    public void Learn_RepeatedRating_MovesPredictionTowardsLabel()
    {
        var learner = new LinearLearner(new LinearLearnerOptions());
        var e = new UserEvent("u1", "i1", EventType.Rating, 4.0, 1, [], []);
        var before = learner.Predict(e);

        for (var i = 0; i < 200; i++)
        {
            learner.Learn(e, 4.0);
        }

        Assert.Equal(0.0, before);
        Assert.Equal(4.0, learner.Predict(e), 3);
    }

    [Fact]
    public void Featurize_Event_HasBiasUserItemAndFeatures()
    {
        var learner = new LinearLearner(new LinearLearnerOptions { HashBits = 20 });
        var x = new SparseFeatures();
        learner.Featurize(new UserEvent("u1", "i1", EventType.View, null, 1, ["price", "ignored"], [0.5, double.NaN]), x);

        Assert.Equal(4, x.Count);
        Assert.Equal([1f, 1f, 1f, 0.5f], x.Values.ToArray());
        Assert.Equal(FeatureHasher.Slot(FeatureHasher.UserNamespace, "u1", 20), x.Slots[1]);
        Assert.Equal(FeatureHasher.Slot(FeatureHasher.ItemNamespace, "i1", 20), x.Slots[2]);
        Assert.Equal(FeatureHasher.Slot(FeatureHasher.FeatureNamespace, "price", 20), x.Slots[3]);
    }

    [Fact]
    public void FeatureHasher_Namespaces_SeparateSameName()
    {
        Assert.NotEqual(FeatureHasher.Hash(FeatureHasher.UserNamespace, "42"), FeatureHasher.Hash(FeatureHasher.ItemNamespace, "42"));
        Assert.Equal(FeatureHasher.Hash(FeatureHasher.UserNamespace, "42"), FeatureHasher.Hash(FeatureHasher.UserNamespace, "42"));
    }

    /// <summary>
    /// The textbook example: purchase frequency (~10), purchase amount (~2000) and browsing count (~5) with
    /// true weights 0.2, 0.3 and 0.5 on the raw scales (0.2*10 + 0.3*2000 + 0.5*5 = 604.5) plus small noise.
    /// Returns the prequential RMSE over the last 1,000 of 20,000 events and the label's standard deviation.
    /// </summary>
    private static (double Rmse, double LabelStd) LearnTextbookStream(bool normalize)
    {
        var rng = new Random(2024);
        var normalizer = new FeatureNormalizer(new FeatureOptions { Normalize = normalize });
        var learner = new LinearLearner(new LinearLearnerOptions { LearningRate = 0.02, AdaGrad = false });
        const int Events = 20_000, Tail = 1000;
        var labels = new double[Events];
        var sumSq = 0.0;
        for (var n = 0; n < Events; n++)
        {
            var frequency = 10 + 3 * Gaussian(rng);
            var amount = 2000 + 500 * Gaussian(rng);
            var browsing = 5 + 2 * Gaussian(rng);
            var label = 0.2 * frequency + 0.3 * amount + 0.5 * browsing + Gaussian(rng);
            labels[n] = label;
            var e = new UserEvent("u" + (n % 50), "i" + (n % 20), EventType.Purchase, label, n,
                ["frequency", "amount", "browsing"], [frequency, amount, browsing]);
            normalizer.Normalize(StreamItem.ForEvent(n, e));

            var prediction = learner.Learn(e, label);
            if (n >= Events - Tail)
            {
                sumSq += (prediction - label) * (prediction - label);
            }
        }

        var mean = labels.Average();
        var std = Math.Sqrt(labels.Sum(l => (l - mean) * (l - mean)) / Events);
        return (Math.Sqrt(sumSq / Tail), std);
    }

    [Fact]
    public void Learn_TextbookStreamWithNormalization_RmseBelowFivePercentOfLabelStd()
    {
        var (rmse, std) = LearnTextbookStream(normalize: true);
        _output.WriteLine($"normalized: RMSE over the last 1000 events {rmse:F4}, label std {std:F4}");

        Assert.True(std > 100, $"label std {std}");
        Assert.True(rmse < 0.05 * std, $"RMSE over the last 1000 events {rmse:F3}, label std {std:F3}");
    }

    [Fact]
    public void Learn_TextbookStreamWithoutNormalization_Diverges()
    {
        var (rmse, std) = LearnTextbookStream(normalize: false);
        _output.WriteLine($"raw scales: RMSE over the last 1000 events {rmse}, label std {std:F4}");

        Assert.True(!double.IsFinite(rmse) || rmse > std, $"plain SGD on raw scales gave RMSE {rmse} (label std {std:F3})");
    }

    [Fact]
    public void Restore_FromSnapshot_GivesIdenticalPredictionAndNextUpdate()
    {
        var options = new LinearLearnerOptions { HashBits = 12 };
        var original = new LinearLearner(options);
        for (var i = 0; i < 100; i++)
        {
            original.Learn(new UserEvent("u" + (i % 7), "i" + (i % 5), EventType.Rating, i % 5 + 1, i, ["p"], [i % 3 - 1.0]), i % 5 + 1);
        }

        var restored = new LinearLearner(options);
        restored.Restore(original.Snapshot());
        var probe = new UserEvent("u3", "i2", EventType.Rating, 4, 0, ["p"], [0.5]);

        Assert.Equal(original.Predict(probe), restored.Predict(probe));
        Assert.Equal(original.Learn(probe, 4), restored.Learn(probe, 4));
        Assert.Equal(original.Weights.ToArray(), restored.Weights.ToArray());
    }

    [Fact]
    public void Restore_DifferentHashBits_IsRefused()
    {
        var snapshot = new LinearLearner(new LinearLearnerOptions { HashBits = 12 }).Snapshot();
        var other = new LinearLearner(new LinearLearnerOptions { HashBits = 14 });

        var ex = Assert.Throws<InvalidOperationException>(() => other.Restore(snapshot));
        Assert.Contains("HashBits", ex.Message, StringComparison.Ordinal);
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - rng.NextDouble())) * Math.Cos(2.0 * Math.PI * rng.NextDouble());
}

public class LinearLearnerOptionsTests
{
    private static SparseFeatures Example()
    {
        var x = new SparseFeatures();
        x.Add(1, 1f);
        x.Add(2, 2f);
        return x;
    }

    [Fact]
    public void Step_WithL2_AddsTheDecayToTheGradient()
    {
        // Second step from w = (0.3, 0.6) (see the constant-rate example): prediction 1.5, error -1.5;
        // w1 = 0.3 - 0.1 (-1.5 * 1 + 0.5 * 0.3), w2 = 0.6 - 0.1 (-1.5 * 2 + 0.5 * 0.6).
        var learner = new LinearLearner(new LinearLearnerOptions { HashBits = 10, LearningRate = 0.1, L2 = 0.5, AdaGrad = false });
        var x = Example();
        learner.Step(x, 3.0);
        learner.Step(x, 3.0);

        Assert.Equal(0.3 - 0.1 * (-1.5 + 0.5 * 0.3), learner.Weights[1], 5);
        Assert.Equal(0.6 - 0.1 * (-3.0 + 0.5 * 0.6), learner.Weights[2], 5);
    }

    [Fact]
    public void Step_InverseSqrt_ShrinksTheStepWithUpdates()
    {
        var learner = new LinearLearner(new LinearLearnerOptions { HashBits = 10, LearningRate = 0.1, Schedule = LearningRateSchedule.InverseSqrt, AdaGrad = false });
        var x = Example();
        learner.Step(x, 3.0);
        // Step 2 uses eta / sqrt(2) on the error 3 - (0.3 + 1.2) = 1.5.
        learner.Step(x, 3.0);

        Assert.Equal(0.3 + 0.1 / Math.Sqrt(2) * 1.5, learner.Weights[1], 5);
        Assert.Equal(0.6 + 0.1 / Math.Sqrt(2) * 3.0, learner.Weights[2], 5);
    }

    [Fact]
    public void Step_AdaGrad_UsesPerCoordinateAccumulators_AndRestoreKeepsThem()
    {
        var options = new LinearLearnerOptions { HashBits = 10, LearningRate = 0.1, AdaGrad = true };
        var learner = new LinearLearner(options);
        var x = Example();
        learner.Step(x, 3.0);

        // Gradients (-3, -6); each coordinate moves by eta * g / sqrt(g^2 + 1e-6), about eta.
        Assert.Equal(0.1 * 3 / Math.Sqrt(9 + 1e-6), learner.Weights[1], 5);
        Assert.Equal(0.1 * 6 / Math.Sqrt(36 + 1e-6), learner.Weights[2], 5);

        var restored = new LinearLearner(options);
        restored.Restore(learner.Snapshot());
        Assert.Equal(learner.Step(x, 3.0), restored.Step(x, 3.0));
        Assert.Equal(learner.Weights.ToArray(), restored.Weights.ToArray());
    }
}

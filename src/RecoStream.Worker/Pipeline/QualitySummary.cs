using System.Globalization;
using RecoStream.Core.Learners;
using RecoStream.Core.Routing;

namespace RecoStream.Worker.Pipeline;

/// <summary>A learner's headline prequential figure for log lines: RMSE, log-loss or Recall@10 by its objective.</summary>
internal static class QualitySummary
{
    public static string Of(LearnerSlot slot)
    {
        var evaluator = slot.Evaluator;
        var (name, value) = slot.Learner.Objective switch
        {
            LearnerObjective.Regression => ("RMSE", evaluator.Rmse),
            LearnerObjective.Classification => ("log-loss", evaluator.LogLoss),
            _ => ("Recall@10", evaluator.RecallAt10),
        };
        return string.Create(CultureInfo.InvariantCulture, $"{slot.Name} {name} {(double.IsFinite(value) ? value.ToString("F4", CultureInfo.InvariantCulture) : "n/a")}");
    }
}

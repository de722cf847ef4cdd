using RecoStream.Core.Evaluation;
using RecoStream.Core.Learners;

namespace RecoStream.Core.Routing;

/// <summary>One configured learner with its own prequential evaluator.</summary>
public sealed class LearnerSlot
{
    public LearnerSlot(IOnlineLearner learner)
    {
        Learner = learner;
    }

    public IOnlineLearner Learner { get; }

    public PrequentialEvaluator Evaluator { get; } = new();

    public string Name => Learner.Name;
}

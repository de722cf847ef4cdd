using RecoStream.Core.Evaluation;
using RecoStream.Core.Learners;

namespace RecoStream.Core.Routing;

/// <summary>One configured learner with its own prequential evaluator.</summary>
public sealed class LearnerSlot
{
    private volatile IOnlineLearner _learner;

    public LearnerSlot(IOnlineLearner learner)
    {
        _learner = learner;
    }

    /// <summary>The learner in its current mode (replaced on the pipeline thread when its mode changes).</summary>
    public IOnlineLearner Learner => _learner;

    /// <summary>True when the learner runs in its windowed-batch form.</summary>
    public bool WindowedBatch => _learner is WindowedBatchLearner;

    /// <summary>
    /// Switches between incremental and windowed-batch form, keeping the model: a batch learner's open window is
    /// learned before it becomes incremental. Call on the pipeline thread.
    /// </summary>
    public void SwitchMode(WindowedBatchOptions? windowed)
    {
        switch (_learner, windowed)
        {
            case (WindowedBatchLearner batch, null):
                batch.CloseWindow();
                _learner = batch.Inner;
                break;
            case (WindowedBatchLearner, not null):
                break;
            case (_, not null):
                _learner = new WindowedBatchLearner(_learner, windowed);
                break;
        }
    }

    public PrequentialEvaluator Evaluator { get; } = new();

    public string Name => Learner.Name;
}

using RecoStream.Core.Events;

namespace RecoStream.Core.Learners;

/// <summary>A classification learner that decides itself which events are positive (e.g. clicks) and which negative.</summary>
public interface ILabelledLearner
{
    /// <summary>True when the event is a positive example for this learner.</summary>
    bool IsPositive(UserEvent e);
}

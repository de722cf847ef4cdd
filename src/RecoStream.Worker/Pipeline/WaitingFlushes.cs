using RecoStream.Worker.Sources;

namespace RecoStream.Worker.Pipeline;

/// <summary>
/// The answers of durable flushes not yet sent (group commit), on the pipeline thread: those no checkpoint copy covers
/// yet, and those covered by the copy being written in the background. Each answer is made when its flush line is
/// handled (with its origin's counts then) and sent, in the order the flushes came, once a checkpoint that holds its
/// lines is on disk; the flush line is done for its origin only then.
/// </summary>
internal sealed class WaitingFlushes
{
    private readonly List<(LineOrigin Origin, byte[] Answer)> _uncovered = [];
    private readonly List<(LineOrigin Origin, byte[] Answer)> _onWrite = [];

    /// <summary>Flushes no checkpoint copy covers yet.</summary>
    public bool AnyUncovered => _uncovered.Count > 0;

    /// <summary>Flushes whose checkpoint is being written.</summary>
    public bool AnyOnWrite => _onWrite.Count > 0;

    /// <summary>Any flush not yet answered.</summary>
    public bool Any => _uncovered.Count > 0 || _onWrite.Count > 0;

    /// <summary>
    /// A flush line whose answer waits; its origin's other answers wait for it (<see cref="LineOrigin.FlushWaiting"/>).
    /// With <paramref name="covered"/>, the checkpoint copy being written already holds its lines.
    /// </summary>
    public void Add(LineOrigin origin, ReadOnlySpan<byte> answer, bool covered)
    {
        origin.FlushWaiting = true;
        (covered ? _onWrite : _uncovered).Add((origin, answer.ToArray()));
    }

    /// <summary>A checkpoint copy was taken: it holds the lines of every flush added so far.</summary>
    public void Covered()
    {
        _onWrite.AddRange(_uncovered);
        _uncovered.Clear();
    }

    /// <summary>Sends the answers whose checkpoint is on disk (with <paramref name="all"/>, every answer: all lines are).</summary>
    public void Answer(bool all)
    {
        Send(_onWrite);
        if (all)
        {
            Send(_uncovered);
        }
    }

    private static void Send(List<(LineOrigin Origin, byte[] Answer)> answers)
    {
        foreach (var (origin, answer) in answers)
        {
            origin.FlushWaiting = false;
            origin.Reply(answer, isError: false);
            origin.LineDone();
        }

        answers.Clear();
    }
}

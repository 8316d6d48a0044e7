namespace BnnDsl;

/// <summary>
/// A module whose state does not all fit the checkpoint itself: after a checkpoint is written or read,
/// <see cref="BayesianModule.Save"/> and <see cref="BayesianModule.Load"/> let each such module write or read its own
/// file beside it (the sampler's kept samples beyond its memory budget).
/// </summary>
public interface ICheckpointCompanion
{
    /// <summary>Writes what the checkpoint at <paramref name="checkpointPath"/> leaves out, atomically, beside it.</summary>
    void WriteBeside(string checkpointPath);

    /// <summary>Reads what <see cref="WriteBeside"/> wrote for the checkpoint at <paramref name="checkpointPath"/>.</summary>
    void ReadBeside(string checkpointPath);
}

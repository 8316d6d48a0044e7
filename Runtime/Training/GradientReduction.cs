using System.Collections.Generic;

namespace BnnDsl;

/// <summary>
/// Where data-parallel training of one model would combine its replicas' gradients: once a step, after the backward
/// pass and the complexity gradient, before the update. Each replica trains on its own share of every minibatch;
/// averaging the gradients across replicas (an all-reduce) makes every replica take the same step. The default does
/// nothing: one process trains alone. Collectives (libtorch's c10d over Gloo or NCCL) are not bound by TorchSharp
/// today; docs/SCALING.md says what an implementation would take.
/// </summary>
public interface IGradientReduction
{
    /// <summary>Replaces each parameter's gradient by its mean over the replicas, in place.</summary>
    void Reduce(IReadOnlyList<TorchSharp.Modules.Parameter> parameters);
}

/// <summary>One process, no replicas: the gradients stay as they are.</summary>
public sealed class NoGradientReduction : IGradientReduction
{
    public static readonly NoGradientReduction Instance = new();

    NoGradientReduction() { }

    public void Reduce(IReadOnlyList<TorchSharp.Modules.Parameter> parameters) { }
}

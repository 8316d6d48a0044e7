using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// What the runtime needs of a layer's parameters, whatever the layer kind (Dense, Conv2d) and the family (point
/// estimate, mean-field, …): its complexity term and how that term's gradient reaches the parameters. Generated networks
/// list their layers once (<see cref="BayesianModule.Layers"/>); the trainer and the loss walk that list and never ask
/// which family a layer is. A new family is a new implementation of this interface, and a generator emitter that
/// constructs it and writes its forward pass.
/// </summary>
public interface IBayesianLayer
{
    /// <summary>Whether a forward pass in <see cref="SampleMode.Sample"/> draws noise (false for a point estimate).</summary>
    bool IsStochastic { get; }

    /// <summary>The layer's prior, an instance whose hyper-parameters are state (a curvature fit may retune them).</summary>
    Prior Prior { get; }

    /// <summary>
    /// The layer's complexity term in nats: KL(q ‖ p) for a variational family, −log p(θ) for a point estimate. Its
    /// gradient is attached in closed form (<see cref="ExplicitGradient"/>). After a sampled forward pass with gradients
    /// on, it uses that pass's σ and draw (a Monte Carlo KL is evaluated at the θ the likelihood saw).
    /// </summary>
    Tensor Complexity();

    /// <summary>
    /// Adds <paramref name="scale"/> × ∂<see cref="Complexity"/>/∂θ straight to the parameters' gradients, for a trainer
    /// that differentiates the likelihood alone — except the part listed in <see cref="WeightDecay"/>, which the step
    /// rule applies. Returns whether everything added was finite; off the CPU it returns true without reading the
    /// device, and the caller checks the gradients (the trainer folds them into its once-an-epoch flag).
    /// </summary>
    bool AddComplexityGradient(double scale);

    /// <summary>
    /// Parameters whose complexity gradient is exactly τ θ (a zero-mean Normal prior on a point estimate), with τ: the
    /// step rule folds it in as L2 weight decay, cheaper than a pass of its own. Empty for every other layer.
    /// </summary>
    IReadOnlyList<(Parameter Parameter, double Precision)> WeightDecay { get; }
}

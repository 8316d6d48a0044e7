using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// One step of SGLD, pSGLD or SGHMC (docs/METHODS.md §6) from the gradient of the mean loss ḡ = ∇L̄ (the trainer's
/// backward pass, plus each parameter's weight decay rate · θ, the prior's part that the layers leave to the step rule),
/// with η = η_t of the sampler's own schedule and N the training set's size:
/// <list type="bullet">
/// <item>SGLD: θ ← θ − η ḡ + N(0, 2ηT/N)</item>
/// <item>pSGLD: V ← αV + (1 − α) ḡ², G = 1/(λ + √V), θ ← θ − η G ḡ + N(0, 2ηTG/N) (Li et al. 2016, without the Γ term, as they run it)</item>
/// <item>SGHMC: v ← (1 − α) v − η ḡ + N(0, 2αηT/N), θ ← θ + v (Chen et al. 2014, in Zhang et al.'s form)</item>
/// </list>
/// Each is the method's update on the full-data log posterior with ε = 2η/N. A cyclical schedule's exploration part
/// injects no noise. After each step that the schedule keeps, the parameters are copied into the <see cref="SampleStore"/>
/// (without a store, nothing is kept: the chain alone).
/// The trainer's learning rate does not apply: the step size follows the declared schedule. The noise is
/// <see cref="NormalNoise"/>'s (the compiled generator on the CPU, libtorch's elsewhere).
/// </summary>
public sealed class LangevinStepRule : IResumableStepRule
{
    readonly SamplerSettings settings;
    readonly Parameter[] parameters;
    readonly double[] weightDecays;
    readonly Tensor[] state; // pSGLD: V; SGHMC: v
    readonly long examples, totalSteps;
    readonly SampleStore? store;
    readonly HashSet<long> keptSteps;
    long step;

    public LangevinStepRule(SamplerSettings settings, IReadOnlyList<Parameter> parameters, IReadOnlyList<(Parameter Parameter, double Rate)> weightDecay,
        long examples, long totalSteps, SampleStore? store = null)
    {
        this.settings = settings ?? throw new ArgumentNullException(nameof(settings));
        if (examples < 1 || totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), "A sampler needs data and at least one step.");
        this.parameters = parameters.ToArray();
        weightDecays = this.parameters.Select(p => weightDecay.Where(d => ReferenceEquals(d.Parameter, p)).Sum(d => d.Rate)).ToArray();
        state = settings.Method == PosteriorMethod.SGLD
            ? Array.Empty<Tensor>()
            : this.parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        (this.examples, this.totalSteps, this.store) = (examples, totalSteps, store);
        keptSteps = store is null ? new HashSet<long>() : new HashSet<long>(settings.KeptSteps(totalSteps));
        store?.Clear();
    }

    /// <summary>The step size η_t of the next step, from the declared schedule; setting it has no effect.</summary>
    public double LearningRate
    {
        get => settings.StepSizeAt(step, totalSteps);
        set { }
    }

    /// <summary>Steps taken so far.</summary>
    public long Steps => step;

    /// <summary>pSGLD's running mean of squared gradients, or SGHMC's momenta (none for SGLD).</summary>
    public IReadOnlyList<Tensor> State => state;

    /// <summary>The step count, which places the schedule and the kept steps.</summary>
    public long[] Counters
    {
        get => new[] { step };
        set => step = value.Length == 1 ? value[0] : throw new ArgumentException("A sampler keeps one step count.", nameof(value));
    }

    public void ZeroGrad()
    {
        foreach (var parameter in parameters) parameter.grad = null;
    }

    public void Step()
    {
        double eta = settings.StepSizeAt(step, totalSteps);
        double noiseScale = settings.IsSamplingStep(step, totalSteps) ? settings.Temperature / examples : 0;
        using (var scope = NewDisposeScope())
        using (no_grad())
            for (int i = 0; i < parameters.Length; i++)
            {
                var theta = parameters[i];
                // The gradient is released after the step (ZeroGrad), so it is worked on in place.
                var gradient = theta.grad ?? zeros_like(theta);
                if (weightDecays[i] != 0) gradient.add_(theta, alpha: weightDecays[i]);
                switch (settings.Method)
                {
                    case PosteriorMethod.SGLD:
                        theta.add_(gradient, alpha: -eta);
                        if (noiseScale > 0) theta.add_(NormalNoise.Like(theta), alpha: Math.Sqrt(2 * eta * noiseScale));
                        break;
                    case PosteriorMethod.PSGLD:
                        var average = state[i].mul_(settings.Alpha).addcmul_(gradient, gradient, value: 1 - settings.Alpha);
                        var preconditioner = average.sqrt().add_(settings.Lambda).reciprocal_();
                        theta.addcmul_(preconditioner, gradient, value: -eta);
                        if (noiseScale > 0) theta.addcmul_(preconditioner.sqrt_(), NormalNoise.Like(theta), value: Math.Sqrt(2 * eta * noiseScale));
                        break;
                    case PosteriorMethod.SGHMC:
                        var momentum = state[i].mul_(1 - settings.Friction).add_(gradient, alpha: -eta);
                        if (noiseScale > 0) momentum.add_(NormalNoise.Like(theta), alpha: Math.Sqrt(2 * settings.Friction * eta * noiseScale));
                        theta.add_(momentum);
                        break;
                }
            }
        if (keptSteps.Contains(step)) store!.Keep(step + 1);
        step++;
    }

    public void Dispose()
    {
        foreach (var tensor in state) tensor.Dispose();
    }
}

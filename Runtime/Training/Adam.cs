using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// Adam (Kingma &amp; Ba 2015) as PyTorch defines it (β = 0.9, 0.999, ε = 1e-8, bias-corrected moments), written for
/// the trainer's hot loop: the update makes six elementwise passes over each parameter instead of the eight of
/// TorchSharp's <c>optim.Adam</c>, by folding the second moment's bias correction into the step size and ε:
/// lr/b1 · m / (√v/√b2 + ε) = (lr √b2/b1) · m / (√v + ε √b2). <see cref="ZeroGrad"/> releases the gradients rather
/// than zeroing them, so backward writes fresh ones instead of adding into zeros (PyTorch's <c>set_to_none</c>).
/// For float32 on the CPU the whole update, weight decay included, is one fused pass (<see cref="CpuKernels"/>);
/// elsewhere weight decay adds a seventh pass. The update runs with subnormal numbers flushed to zero
/// (<see cref="SubnormalFlush"/>): on the calling thread, and on each thread of the fused pass.
/// </summary>
public sealed class Adam : IResumableStepRule
{
    readonly Parameter[] parameters;
    readonly Tensor[] firstMoments, secondMoments;
    readonly double beta1, beta2, epsilon;
    double learningRate;
    readonly long[] steps; // per parameter, as in PyTorch: one without a gradient is not stepped
    readonly double[] weightDecays;

    /// <param name="parameters">The parameters to update.</param>
    /// <param name="learningRate">Adam's step size.</param>
    /// <param name="beta1">Decay of the first moment.</param>
    /// <param name="beta2">Decay of the second moment.</param>
    /// <param name="epsilon">Added to the root of the second moment.</param>
    /// <param name="weightDecay">
    /// L2 weight decay per parameter, as PyTorch's Adam applies it: rate · θ added to the gradient before the update
    /// (not AdamW's decoupled decay). Parameters are matched by reference (the instances in
    /// <paramref name="parameters"/>); those not listed have none; each may be listed once, with a rate ≥ 0.
    /// </param>
    public Adam(IEnumerable<Parameter> parameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8,
        IEnumerable<(Parameter Parameter, double Rate)>? weightDecay = null)
    {
        if (!(learningRate > 0 && double.IsFinite(learningRate)))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be positive and finite.");
        this.parameters = parameters.ToArray();
        weightDecays = new double[this.parameters.Length];
        foreach (var (parameter, rate) in weightDecay ?? Array.Empty<(Parameter, double)>())
        {
            int index = Array.FindIndex(this.parameters, p => ReferenceEquals(p, parameter));
            if (index < 0) throw new ArgumentException("Weight decay is given for a parameter the optimiser does not update.", nameof(weightDecay));
            if (!(rate >= 0) || double.IsInfinity(rate)) throw new ArgumentOutOfRangeException(nameof(weightDecay), rate, "A weight decay rate must be finite and ≥ 0.");
            if (weightDecays[index] != 0) throw new ArgumentException("Weight decay is given twice for one parameter.", nameof(weightDecay));
            weightDecays[index] = rate;
        }
        LearningRate = learningRate;
        (this.beta1, this.beta2, this.epsilon) = (beta1, beta2, epsilon);
        firstMoments = this.parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        secondMoments = this.parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        steps = new long[this.parameters.Length];
    }

    /// <summary>Adam's step size, which a schedule may change between steps (<see cref="LearningRateSchedule"/>).</summary>
    public double LearningRate
    {
        get => learningRate;
        set => learningRate = value > 0 && double.IsFinite(value)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "The learning rate must be positive and finite.");
    }

    /// <summary>The moments, first then second, in the parameters' order.</summary>
    public IReadOnlyList<Tensor> State => firstMoments.Concat(secondMoments).ToArray();

    /// <summary>Each parameter's step count.</summary>
    public long[] Counters
    {
        get => (long[])steps.Clone();
        set
        {
            if (value.Length != steps.Length) throw new ArgumentException($"Adam keeps {steps.Length} step counts, not {value.Length}.", nameof(value));
            value.CopyTo(steps, 0);
        }
    }

    /// <summary>Releases every parameter's gradient; the next backward pass creates them afresh.</summary>
    public void ZeroGrad()
    {
        foreach (var parameter in parameters) parameter.grad = null;
    }

    /// <summary>One update of every parameter that has a gradient.</summary>
    public void Step()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var flush = SubnormalFlush.Begin(); // weights decaying towards 0 would otherwise slow the pass (SubnormalFlush)
        for (int i = 0; i < parameters.Length; i++)
        {
            var gradient = parameters[i].grad;
            if (gradient is null) continue;
            long step = ++steps[i];
            double firstCorrection = 1 - Math.Pow(beta1, step);
            double rootSecondCorrection = Math.Sqrt(1 - Math.Pow(beta2, step));
            double stepSize = learningRate * rootSecondCorrection / firstCorrection;
            if (CpuKernels.CanRun(parameters[i].numel(), parameters[i], gradient, firstMoments[i], secondMoments[i]))
            {
                CpuKernels.AdamStep(parameters[i], gradient, firstMoments[i], secondMoments[i],
                    (float)beta1, (float)beta2, (float)stepSize, (float)(epsilon * rootSecondCorrection), (float)weightDecays[i],
                    SubnormalFlush.Enabled);
                continue;
            }
            if (weightDecays[i] != 0) gradient = gradient.add(parameters[i], alpha: weightDecays[i]);
            firstMoments[i].lerp_(gradient, 1 - beta1);
            secondMoments[i].mul_(beta2).addcmul_(gradient, gradient, 1 - beta2);
            parameters[i].addcdiv_(firstMoments[i], secondMoments[i].sqrt().add_(epsilon * rootSecondCorrection), -stepSize);
        }
    }

    public void Dispose()
    {
        foreach (var moment in firstMoments.Concat(secondMoments)) moment.Dispose();
    }
}

using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// A layer's weight and bias as a point estimate (MAP): its complexity term is −log p(θ) under its prior. Under a
/// zero-mean Normal prior that term's gradient is τ θ, which the step rule applies as weight decay
/// (<see cref="WeightDecay"/>); under any other prior <see cref="AddComplexityGradient"/> adds it.
/// <para>
/// With a <see cref="DropoutRate"/> p &gt; 0 the layer is MC dropout's (Gal &amp; Ghahramani 2016): a sampled pass drops
/// each input unit with probability p (the rest scaled by 1/(1 − p)), the posterior-mean pass drops none, and the
/// complexity is the dropout objective's KL up to a constant, (1 − p) · (−log p(W)) − log p(b): under Normal(0, s) the
/// weight decay (1 − p)/s² on the weights and 1/s² on the bias, the approximate variational objective's.
/// </para>
/// State-dict keys: <c>weight</c>, <c>bias</c>.
/// </summary>
public abstract class PointLayer : nn.Module, IBayesianLayer
{
    private protected PointLayer(string name, long[] weightShape, long fanIn, Prior prior, Device? device, double dropoutRate = 0) : base(name)
    {
        Prior = prior ?? throw new ArgumentNullException(nameof(prior));
        if (!(dropoutRate >= 0 && dropoutRate < 1)) throw new ArgumentOutOfRangeException(nameof(dropoutRate), dropoutRate, "A dropout rate lies in [0, 1).");
        DropoutRate = dropoutRate;
        // As torch.nn.Linear and Conv2d initialise: uniform in ±1/√fan-in.
        double bound = 1.0 / Math.Sqrt(fanIn);
        Weight = new Parameter(empty(weightShape, device: device).uniform_(-bound, bound));
        Bias = new Parameter(empty(weightShape[0], device: device).uniform_(-bound, bound));
        register_parameter("weight", Weight);
        register_parameter("bias", Bias);
    }

    public Parameter Weight { get; }
    public Parameter Bias { get; }
    public Prior Prior { get; }

    /// <summary>MC dropout's rate p on the layer's input (0: a plain point estimate).</summary>
    public double DropoutRate { get; }

    public bool IsStochastic => DropoutRate > 0;

    /// <summary>The input a sampled pass sees: units dropped with probability p and the rest scaled by 1/(1 − p); as is otherwise.</summary>
    public Tensor Dropped(Tensor input, SampleMode mode) =>
        mode == SampleMode.Sample && DropoutRate > 0 ? nn.functional.dropout(input, DropoutRate, training: true) : input;

    /// <summary>−log p(θ) of the weight and bias in nats, the weights' part scaled by 1 − p under dropout.</summary>
    public Tensor Complexity() => DropoutRate == 0
        ? Prior.NegativeLogProb(Weight, Bias)
        : Prior.NegativeLogProb(Weight) * (1 - DropoutRate) + Prior.NegativeLogProb(Bias);

    bool IsWeightDecay => Prior is NormalPrior { Mean: 0 };

    public IReadOnlyList<(Parameter Parameter, double Precision)> WeightDecay => IsWeightDecay
        ? new[] { (Weight, (1 - DropoutRate) * ((NormalPrior)Prior).Precision), (Bias, ((NormalPrior)Prior).Precision) }
        : Array.Empty<(Parameter, double)>();

    public bool AddComplexityGradient(double scale)
    {
        if (IsWeightDecay) return true;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        bool finite = true;
        foreach (var parameter in new[] { Weight, Bias })
        {
            var (_, gradient) = Prior.NegativeLogProbAndGradient(parameter, withGradient: true);
            gradient!.mul_(ReferenceEquals(parameter, Weight) ? scale * (1 - DropoutRate) : scale);
            (parameter.grad ?? (parameter.grad = zeros_like(parameter))).add_(gradient);
            // Off the CPU the caller checks the gradients without a read per step (the trainer's epoch flag).
            if (parameter.device_type == TorchSharp.DeviceType.CPU) finite &= gradient.isfinite().all().item<bool>();
        }
        return finite;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { Weight.Dispose(); Bias.Dispose(); }
        base.Dispose(disposing);
    }
}

/// <summary>A dense layer's point estimate: <c>weight</c> [out, in], <c>bias</c> [out].</summary>
public sealed class PointDense : PointLayer
{
    public PointDense(int inputs, int outputs, Prior prior, Device? device = null, double dropoutRate = 0)
        : base(nameof(PointDense), new long[] { outputs, inputs }, inputs, prior, device, dropoutRate)
    {
        Inputs = inputs;
        Outputs = outputs;
    }

    public int Inputs { get; }
    public int Outputs { get; }

    /// <summary>input Wᵀ + b.</summary>
    public Tensor Linear(Tensor input) => nn.functional.linear(input, Weight, Bias);
}

/// <summary>A convolution's point estimate: <c>weight</c> [out, in, k, k], <c>bias</c> [out].</summary>
public sealed class PointConv2d : PointLayer
{
    readonly long[] stride, padding;

    public PointConv2d(int inChannels, int outChannels, int kernelSize, Prior prior, Device? device = null, int stride = 1, int padding = 0,
        double dropoutRate = 0)
        : base(nameof(PointConv2d), new long[] { outChannels, inChannels, kernelSize, kernelSize }, (long)inChannels * kernelSize * kernelSize, prior, device, dropoutRate)
    {
        this.stride = new long[] { stride, stride };
        this.padding = new long[] { padding, padding };
        (KernelSize, Stride, Padding) = (kernelSize, stride, padding);
    }

    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }

    /// <summary>The convolution of <paramref name="input"/> [batch, in, H, W] with the weights, plus the bias.</summary>
    public Tensor Convolve(Tensor input) => nn.functional.conv2d(input, Weight, Bias, stride, padding);
}

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
/// State-dict keys: <c>weight</c>, <c>bias</c>.
/// </summary>
public abstract class PointLayer : nn.Module, IBayesianLayer
{
    private protected PointLayer(string name, long[] weightShape, long fanIn, Prior prior, Device? device) : base(name)
    {
        Prior = prior ?? throw new ArgumentNullException(nameof(prior));
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
    public bool IsStochastic => false;

    /// <summary>−log p(θ) of the weight and bias, in nats.</summary>
    public Tensor Complexity() => Prior.NegativeLogProb(Weight, Bias);

    bool IsWeightDecay => Prior is NormalPrior { Mean: 0 };

    public IReadOnlyList<(Parameter Parameter, double Precision)> WeightDecay => IsWeightDecay
        ? new[] { (Weight, ((NormalPrior)Prior).Precision), (Bias, ((NormalPrior)Prior).Precision) }
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
            gradient!.mul_(scale);
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
    public PointDense(int inputs, int outputs, Prior prior, Device? device = null)
        : base(nameof(PointDense), new long[] { outputs, inputs }, inputs, prior, device)
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

    public PointConv2d(int inChannels, int outChannels, int kernelSize, Prior prior, Device? device = null, int stride = 1, int padding = 0)
        : base(nameof(PointConv2d), new long[] { outChannels, inChannels, kernelSize, kernelSize }, (long)inChannels * kernelSize * kernelSize, prior, device)
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

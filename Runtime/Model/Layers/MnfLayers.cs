using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// The shape of an MNF posterior (docs/METHODS.md §4, Louizos &amp; Welling 2017), as the generated constructor passes it:
/// the flow of q(z) (<paramref name="Flows"/> steps of <paramref name="Kind"/>, coupling networks
/// <paramref name="CouplingWidth"/> wide), the auxiliary model's inverse flow (<paramref name="AuxiliaryFlows"/> steps,
/// <paramref name="AuxiliaryWidth"/> wide), and where the weights' log-variances start.
/// </summary>
public sealed record MnfOptions(
    int Flows = 2,
    FlowKind Kind = FlowKind.Coupling,
    int CouplingWidth = 50,
    int AuxiliaryFlows = 2,
    int AuxiliaryWidth = 100,
    double InitialLogVariance = -9.0)
{
    public static MnfOptions Default { get; } = new();
}

/// <summary>
/// The parameters of one layer under a multiplicative normalising flow posterior (docs/METHODS.md §4). A noise vector
/// z — one entry per input unit of a dense layer, per output filter of a convolution — has q(z): z₀ ~ N(μ_z, σ_z²)
/// pushed through a flow; given z, each weight is Gaussian with its mean scaled by its z entry: q(W | z) = N(z ⊙ μ, σ²).
/// The forward pass draws z per example and the pre-activations by local reparameterisation. The complexity term is the
/// upper bound on KL(q(W) ‖ p(W)) with the auxiliary model r(z_K | W):
/// E[KL(q(W | z_K) ‖ p) + log q(z_K) − log r(z_K | W)], estimated with one draw of z and differentiated by autograd.
/// State-dict keys: <c>weight_mu</c>, <c>weight_log_variance</c>, <c>bias_mu</c>, <c>bias_log_variance</c>,
/// <c>z_mu</c>, <c>z_log_variance</c>, <c>auxiliary_c</c>, <c>auxiliary_b1</c>, <c>auxiliary_b2</c>, and the flows'
/// under <c>q_flow</c> and <c>r_flow</c>.
/// </summary>
public abstract class MnfLayer : nn.Module, IBayesianLayer
{
    /// <summary>
    /// Where the noise's log-variance starts: log 0.1, as the paper's code (a multiplicative noise of standard deviation
    /// 0.32, a mild Gaussian dropout).
    /// </summary>
    static readonly double InitialNoiseLogVariance = Math.Log(0.1);

    readonly NormalPrior prior;

    private protected MnfLayer(string name, long[] weightShape, long fanIn, int noiseSize, Prior prior, MnfOptions options, Device? device)
        : base(name)
    {
        this.prior = prior as NormalPrior ?? throw new ArgumentException(
            $"An MNF layer needs a Normal prior (its KL given z is in closed form); got {prior?.GetType().Name ?? "null"}.", nameof(prior));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.Flows < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Flows, "MNF needs at least one flow step.");
        double bound = 1.0 / Math.Sqrt(fanIn);
        WeightMu = new Parameter(empty(weightShape, device: device).uniform_(-bound, bound));
        WeightLogVariance = new Parameter(full(weightShape, options.InitialLogVariance, device: device));
        BiasMu = new Parameter(empty(weightShape[0], device: device).uniform_(-bound, bound));
        BiasLogVariance = new Parameter(full(weightShape[0], options.InitialLogVariance, device: device));
        // z starts at 1, so the layer starts as its deterministic counterpart with mild noise.
        ZMu = new Parameter(ones(noiseSize, device: device));
        ZLogVariance = new Parameter(full(noiseSize, InitialNoiseLogVariance, device: device));
        AuxiliaryC = new Parameter(randn(noiseSize, device: device) * 0.1);
        AuxiliaryB1 = new Parameter(randn(noiseSize, device: device) * 0.1);
        AuxiliaryB2 = new Parameter(randn(noiseSize, device: device) * 0.1);
        QFlow = new FlowSequence(options.Kind, noiseSize, options.Flows, options.CouplingWidth, device);
        RFlow = new FlowSequence(options.Kind, noiseSize, options.AuxiliaryFlows, options.AuxiliaryWidth, device);
        register_parameter("weight_mu", WeightMu);
        register_parameter("weight_log_variance", WeightLogVariance);
        register_parameter("bias_mu", BiasMu);
        register_parameter("bias_log_variance", BiasLogVariance);
        register_parameter("z_mu", ZMu);
        register_parameter("z_log_variance", ZLogVariance);
        register_parameter("auxiliary_c", AuxiliaryC);
        register_parameter("auxiliary_b1", AuxiliaryB1);
        register_parameter("auxiliary_b2", AuxiliaryB2);
        register_module("q_flow", QFlow);
        register_module("r_flow", RFlow);
    }

    public MnfOptions Options { get; }
    public Parameter WeightMu { get; }
    public Parameter WeightLogVariance { get; }
    public Parameter BiasMu { get; }
    public Parameter BiasLogVariance { get; }
    public Parameter ZMu { get; }
    public Parameter ZLogVariance { get; }
    public Parameter AuxiliaryC { get; }
    public Parameter AuxiliaryB1 { get; }
    public Parameter AuxiliaryB2 { get; }
    public FlowSequence QFlow { get; }
    public FlowSequence RFlow { get; }
    public Prior Prior => prior;
    public bool IsStochastic => true;
    public IReadOnlyList<(Parameter Parameter, double Precision)> WeightDecay => Array.Empty<(Parameter, double)>();

    /// <summary><paramref name="count"/> draws of z_K from q(z), with log |det| of the flow per draw: [count, size], [count].</summary>
    public (Tensor Z, Tensor? LogDeterminant) SampleNoise(long count, bool withLogDeterminant = true)
    {
        var z0 = ZMu + (ZLogVariance * 0.5).exp() * randn(new[] { count, ZMu.shape[0] }, dtype: ZMu.dtype, device: ZMu.device);
        return withLogDeterminant ? QFlow.Forward(z0) : (QFlow.Transform(z0), null);
    }

    /// <summary>z for the posterior-mean pass: the flow applied to the mean of z₀, [1, size].</summary>
    public Tensor MeanNoise() => QFlow.Transform(ZMu.unsqueeze(0));

    /// <summary>
    /// The one-draw estimate of the KL bound (class summary), differentiable by autograd; every term after the draw of
    /// z_K is exact except the auxiliary's, which samples cᵀW by local reparameterisation.
    /// </summary>
    public Tensor Complexity()
    {
        var (draw, logDeterminant) = SampleNoise(1);
        var z = draw.squeeze(0);
        var weightVariance = WeightLogVariance.exp();
        var conditionalKl = ConditionalWeightKl(z, weightVariance) + ConditionalKl(ConditionalBiasMean(z), BiasLogVariance, prior);

        // log q(z_K) = log N(z₀; μ_z, σ_z²) − log |det|, with the first term's expectation in closed form, −½ Σ(log 2πσ_z² + 1).
        var logQ = (ZLogVariance + (Math.Log(2 * Math.PI) + 1)).sum() * -0.5 - logDeterminant!.squeeze(0);

        // r(z_K | W): the inverse flow maps z_K to u, scored under N(ν(W), τ²(W)), ν = b1 · mean tanh(cᵀW), log τ² = b2 · the same.
        var (projectionMean, projectionVariance) = AuxiliaryProjection(z, weightVariance);
        var projection = (projectionMean + projectionVariance.clamp_min(0).sqrt() * randn_like(projectionMean)).tanh().mean();
        var nu = AuxiliaryB1 * projection;
        var logTau2 = AuxiliaryB2 * projection;
        var (u, logDeterminantR) = RFlow.Forward(z.unsqueeze(0));
        var logR = logDeterminantR.squeeze(0)
            + ((u.squeeze(0) - nu).square() * (-logTau2).exp() + logTau2 + Math.Log(2 * Math.PI)).sum() * -0.5;
        return conditionalKl + logQ - logR;
    }

    /// <summary>
    /// <see cref="ConditionalKl"/> of the weights at means z ⊙ μ, factored so that no weight-sized tensor of those means
    /// is formed: Σ (z μ − m0)² = Σ_i z_i² Σ_{j} μ_ij² − 2 m0 Σ_i z_i Σ_j μ_ij + m0² · count, with i along z's axis.
    /// </summary>
    public Tensor ConditionalWeightKl(Tensor z) => ConditionalWeightKl(z, WeightLogVariance.exp());

    Tensor ConditionalWeightKl(Tensor z, Tensor weightVariance)
    {
        var squares = SumAcrossNoise(WeightMu.square()).dot(z.square());
        if (prior.Mean != 0)
            squares = squares - SumAcrossNoise(WeightMu).dot(z) * (2 * prior.Mean) + prior.Mean * prior.Mean * WeightMu.numel();
        return (weightVariance.sum() + squares) * (0.5 * prior.Precision) - WeightLogVariance.sum() * 0.5
            + (Math.Log(prior.Std) - 0.5) * WeightMu.numel();
    }

    /// <summary>
    /// KL(N(mean, e^logVariance) ‖ N(m0, s0²)) summed, in closed form: log(s0/σ) + (σ² + (mean − m0)²)/(2 s0²) − ½ per
    /// weight. With z fixed this is the mean-field layer's KL at means z ⊙ μ.
    /// </summary>
    public static Tensor ConditionalKl(Tensor mean, Tensor logVariance, NormalPrior prior)
    {
        var centred = prior.Mean == 0 ? mean : mean - prior.Mean;
        return ((logVariance.exp() + centred.square()) * (0.5 * prior.Precision) - logVariance * 0.5).sum()
            + (Math.Log(prior.Std) - 0.5) * mean.numel();
    }

    /// <summary>Adds scale × the gradient of a fresh draw of the bound to the parameters' gradients, by autograd.</summary>
    public bool AddComplexityGradient(double scale)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var bound = Complexity();
        (bound * scale).backward();
        // On the CPU the value is read for free, and a non-finite bound means non-finite gradients; elsewhere the trainer's flag covers them.
        return WeightMu.device_type != DeviceType.CPU || double.IsFinite(bound.item<float>());
    }

    /// <summary>A weight-shaped tensor summed over every axis but z's: one entry per z coordinate.</summary>
    private protected abstract Tensor SumAcrossNoise(Tensor weightShaped);

    /// <summary>The mean of q(b | z) for one z [size].</summary>
    private protected abstract Tensor ConditionalBiasMean(Tensor z);

    /// <summary>The mean and variance of cᵀW under q(W | z), the vector the auxiliary's tanh is applied to, for one z.</summary>
    private protected abstract (Tensor Mean, Tensor Variance) AuxiliaryProjection(Tensor z, Tensor weightVariance);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            foreach (var p in new[] { WeightMu, WeightLogVariance, BiasMu, BiasLogVariance, ZMu, ZLogVariance, AuxiliaryC, AuxiliaryB1, AuxiliaryB2 })
                p.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>A dense layer under MNF: weight [out, in], bias [out], one z per input unit (it scales the input).</summary>
public sealed class MnfDense : MnfLayer
{
    public MnfDense(int inputs, int outputs, Prior prior, MnfOptions options, Device? device = null)
        : base(nameof(MnfDense), new long[] { outputs, inputs }, inputs, inputs, prior, options, device)
    {
        Inputs = inputs;
        Outputs = outputs;
    }

    public int Inputs { get; }
    public int Outputs { get; }

    /// <summary>The posterior-mean pass: (x ⊙ z) μᵀ + μ_b at z from the flow of z₀'s mean.</summary>
    public Tensor MeanLinear(Tensor input) => nn.functional.linear(input * MeanNoise(), WeightMu, BiasMu);

    /// <summary>
    /// A sampled pass: z per example from q(z), then the pre-activation by local reparameterisation,
    /// (x ⊙ z) μᵀ + μ_b + sqrt(x² σ²ᵀ + σ_b²) ⊙ ε.
    /// </summary>
    public Tensor SampledLinear(Tensor input)
    {
        var z = SampleNoise(input.shape[0], withLogDeterminant: false).Z;
        var mean = nn.functional.linear(input * z, WeightMu, BiasMu);
        // The standard deviation does not depend on z: a prediction's draws on one input share it.
        var std = RepeatedInputMoments.Active is { } repeated ? repeated.For(this, input, () => OutputStd(input)) : OutputStd(input);
        return mean + std * NormalNoise.Like(mean);
    }

    Tensor OutputStd(Tensor input) => nn.functional.linear(input.square(), WeightLogVariance.exp(), BiasLogVariance.exp()).sqrt();

    private protected override Tensor SumAcrossNoise(Tensor weightShaped) => weightShaped.sum(dim: 0);

    private protected override Tensor ConditionalBiasMean(Tensor z) => BiasMu;

    // cᵀW over the input axis (z's): (z ⊙ μ) c = μ (z ⊙ c), one entry per output.
    private protected override (Tensor Mean, Tensor Variance) AuxiliaryProjection(Tensor z, Tensor weightVariance) =>
        (WeightMu.matmul(z * AuxiliaryC), weightVariance.matmul(AuxiliaryC.square()));
}

/// <summary>
/// A convolution under MNF: weight [out, in, k, k], bias [out], one z per output filter (it scales the filter's
/// output, bias included).
/// </summary>
public sealed class MnfConv2d : MnfLayer
{
    readonly long[] stride, padding;

    public MnfConv2d(int inChannels, int outChannels, int kernelSize, Prior prior, MnfOptions options, Device? device = null,
        int stride = 1, int padding = 0)
        : base(nameof(MnfConv2d), new long[] { outChannels, inChannels, kernelSize, kernelSize }, (long)inChannels * kernelSize * kernelSize,
            outChannels, prior, options, device)
    {
        this.stride = new long[] { stride, stride };
        this.padding = new long[] { padding, padding };
    }

    /// <summary>The posterior-mean pass: the convolution with μ_W plus μ_b, scaled per filter by z from the flow of z₀'s mean.</summary>
    public Tensor MeanConvolve(Tensor input) =>
        nn.functional.conv2d(input, WeightMu, BiasMu, stride, padding) * MeanNoise().view(1, -1, 1, 1);

    /// <summary>
    /// A sampled pass: z per example, then each output ~ N(z_o (x ⋆ μ_W + μ_b), x² ⋆ σ_W² + σ_b²). The variance
    /// convolution is clamped at 0 before σ_b² is added (fast convolution algorithms can round it below).
    /// </summary>
    public Tensor SampledConvolve(Tensor input)
    {
        var z = SampleNoise(input.shape[0], withLogDeterminant: false).Z;
        // Neither convolution depends on z: a prediction's draws on one input share both.
        var (unscaled, std) = RepeatedInputMoments.Active is { } repeated ? repeated.For(this, input, () => OutputMoments(input)) : OutputMoments(input);
        var mean = unscaled * z.view(z.shape[0], -1, 1, 1);
        return mean + std * NormalNoise.Like(mean);
    }

    /// <summary>x ⋆ μ_W + μ_b before z scales it, and the outputs' standard deviation given the input.</summary>
    (Tensor Unscaled, Tensor Std) OutputMoments(Tensor input)
    {
        var unscaled = nn.functional.conv2d(input, WeightMu, BiasMu, stride, padding);
        var variance = nn.functional.conv2d(input.square(), WeightLogVariance.exp(), null, stride, padding).clamp_min(0)
            + BiasLogVariance.exp().view(1, -1, 1, 1);
        return (unscaled, variance.sqrt());
    }

    private protected override Tensor SumAcrossNoise(Tensor weightShaped) => weightShaped.flatten(1).sum(1);

    private protected override Tensor ConditionalBiasMean(Tensor z) => BiasMu * z;

    // cᵀW over the output axis (z's): (z ⊙ c)ᵀ μ, one entry per input position of a filter, plus the bias's (z ⊙ c)ᵀ μ_b.
    private protected override (Tensor Mean, Tensor Variance) AuxiliaryProjection(Tensor z, Tensor weightVariance)
    {
        var scaled = z * AuxiliaryC;
        var c2 = AuxiliaryC.square();
        var mean = scaled.matmul(WeightMu.flatten(1)) + scaled.dot(BiasMu);
        var variance = c2.matmul(weightVariance.flatten(1)) + c2.dot(BiasLogVariance.exp());
        return (mean, variance);
    }
}

using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// The variational parameters of one layer under a mean-field Gaussian posterior (Bayes by Backprop):
/// q(w) = N(μ, σ²) per weight with σ = softplus(ρ). μ starts like a deterministic layer's weights, ρ at a constant:
/// <c>initialRho</c> for the weights, <c>biasInitialRho</c> (default the same) for the biases. The complexity term is
/// KL(q ‖ p): closed form against a Normal prior, a one-sample Monte Carlo estimate against any other.
/// State-dict keys: <c>weight_mu</c>, <c>weight_rho</c>, <c>bias_mu</c>, <c>bias_rho</c>. The layer kinds differ only in
/// their forward passes (<see cref="MeanFieldDense"/>, <see cref="MeanFieldConv2d"/>).
/// </summary>
/// <remarks>
/// A sampled forward pass with gradients on keeps what it computed — σ, and the draw itself when weights are sampled
/// — for the complexity term of the same step (<see cref="TakeWeightSigma"/>, <see cref="TakeWeightDraw"/>): the
/// Monte Carlo KL then uses the θ_s of the likelihood, as Blundell et al. do, and softplus runs once per step.
/// Taking clears it; anything from a disposed, earlier step is ignored and computed afresh.
/// </remarks>
public abstract class MeanFieldLayer : nn.Module, IBayesianLayer
{
    GaussianDraw? weightDraw, biasDraw;
    Tensor? weightSigma, biasSigma;

    private protected MeanFieldLayer(string name, long[] weightShape, long fanIn, Prior prior, double initialRho, Device? device, double? biasInitialRho)
        : base(name)
    {
        Prior = prior ?? throw new System.ArgumentNullException(nameof(prior));
        double bound = 1.0 / System.Math.Sqrt(fanIn);
        WeightMu = new Parameter(empty(weightShape, device: device).uniform_(-bound, bound));
        WeightRho = new Parameter(full(weightShape, initialRho, device: device));
        BiasMu = new Parameter(empty(weightShape[0], device: device).uniform_(-bound, bound));
        BiasRho = new Parameter(full(weightShape[0], biasInitialRho ?? initialRho, device: device));
        register_parameter("weight_mu", WeightMu);
        register_parameter("weight_rho", WeightRho);
        register_parameter("bias_mu", BiasMu);
        register_parameter("bias_rho", BiasRho);
    }

    public Parameter WeightMu { get; }
    public Parameter WeightRho { get; }
    public Parameter BiasMu { get; }
    public Parameter BiasRho { get; }
    public Prior Prior { get; }
    public bool IsStochastic => true;
    public IReadOnlyList<(Parameter Parameter, double Precision)> WeightDecay => System.Array.Empty<(Parameter, double)>();

    /// <summary>KL(q ‖ p) of the weights and the bias: closed form against a Normal prior, Molchanov et al.'s approximation against the log-uniform, else one Monte Carlo draw.</summary>
    public Tensor Complexity() => Prior switch
    {
        NormalPrior normal => Kl.GaussianVsNormal(WeightMu, TakeWeightSigma(), normal.Mean, normal.Std) + Kl.GaussianVsNormal(BiasMu, TakeBiasSigma(), normal.Mean, normal.Std),
        LogUniformPrior => Kl.GaussianVsLogUniform(WeightMu, TakeWeightSigma()) + Kl.GaussianVsLogUniform(BiasMu, TakeBiasSigma()),
        _ => Kl.MonteCarlo(Prior, TakeWeightDraw(), TakeBiasDraw()),
    };

    /// <summary>The KL's gradient added straight to μ's and ρ's gradients (<see cref="AddKlGradient"/>).</summary>
    public bool AddComplexityGradient(double scale) => AddKlGradient(Prior, scale);

    /// <summary>Keeps what a sampled pass with gradients computed, for the complexity term of the same step.</summary>
    private protected void KeepForComplexity(GaussianDraw? weight, GaussianDraw? bias, Tensor? weightSigma, Tensor? biasSigma)
    {
        if (!is_grad_enabled()) return;
        (weightDraw, biasDraw, this.weightSigma, this.biasSigma) = (weight, bias, weightSigma, biasSigma);
    }

    /// <summary>A draw of the weights for a Monte Carlo KL: this step's forward draw if there was one, else a fresh one.</summary>
    public GaussianDraw TakeWeightDraw() => TakeDraw(ref weightDraw, ref weightSigma, WeightMu, WeightRho);

    /// <summary>A draw of the bias for a Monte Carlo KL: this step's forward draw if there was one, else a fresh one.</summary>
    public GaussianDraw TakeBiasDraw() => TakeDraw(ref biasDraw, ref biasSigma, BiasMu, BiasRho);

    /// <summary>σ of the weights for a closed-form KL: this step's forward σ if there was one, else softplus(ρ).</summary>
    public Tensor TakeWeightSigma() => TakeSigma(ref weightDraw, ref weightSigma, WeightRho);

    /// <summary>σ of the bias for a closed-form KL: this step's forward σ if there was one, else softplus(ρ).</summary>
    public Tensor TakeBiasSigma() => TakeSigma(ref biasDraw, ref biasSigma, BiasRho);

    /// <summary>
    /// Adds <paramref name="scale"/> times the gradient of this layer's KL against <paramref name="prior"/> (weights
    /// and bias) straight to the parameters' gradients (<see cref="Kl.AddGradient"/>), for a trainer that
    /// differentiates the likelihood alone: at this step's σ, and for a Monte Carlo KL at this step's forward draw when
    /// there was one, as <see cref="TakeWeightDraw"/> hands them over. Returns whether everything added was finite.
    /// </summary>
    public bool AddKlGradient(Prior prior, double scale)
    {
        bool monteCarlo = prior is not (NormalPrior or LogUniformPrior);
        var (weight, bias) = monteCarlo ? (TakeWeightDraw(), TakeBiasDraw()) : (default(GaussianDraw?), default(GaussianDraw?));
        var (weightSigmaNow, biasSigmaNow) = monteCarlo ? (weight!.Value.Sigma, bias!.Value.Sigma) : (TakeWeightSigma(), TakeBiasSigma());
        return Kl.AddGradient(WeightMu, WeightRho, weightSigmaNow, prior, weight, scale)
            & Kl.AddGradient(BiasMu, BiasRho, biasSigmaNow, prior, bias, scale);
    }

    static GaussianDraw TakeDraw(ref GaussianDraw? draw, ref Tensor? sigma, Tensor mu, Tensor rho)
    {
        var (keptDraw, keptSigma) = (draw, sigma);
        (draw, sigma) = (null, null);
        if (keptDraw is { IsAlive: true } alive) return alive;
        // A draw for the KL alone stays out of the graph (the Monte Carlo KL then gives μ and σ their gradients
        // directly) and is made by the KL itself (GaussianDraw.Deferred).
        return GaussianDraw.Deferred(mu, keptSigma is { IsInvalid: false } ? keptSigma : Reparameterization.Sigma(rho));
    }

    static Tensor TakeSigma(ref GaussianDraw? draw, ref Tensor? sigma, Tensor rho)
    {
        var (keptDraw, keptSigma) = (draw, sigma);
        (draw, sigma) = (null, null);
        if (keptDraw is { IsAlive: true } alive) return alive.Sigma;
        return keptSigma is { IsInvalid: false } ? keptSigma : Reparameterization.Sigma(rho);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { WeightMu.Dispose(); WeightRho.Dispose(); BiasMu.Dispose(); BiasRho.Dispose(); }
        base.Dispose(disposing);
    }
}

/// <summary>A dense layer under a mean-field Gaussian posterior: μ and ρ of <c>weight</c> [out, in] and <c>bias</c> [out].</summary>
public sealed class MeanFieldDense : MeanFieldLayer
{
    public MeanFieldDense(int inputs, int outputs, Prior prior, double initialRho, Device? device = null, double? biasInitialRho = null)
        : base(nameof(MeanFieldDense), new long[] { outputs, inputs }, inputs, prior, initialRho, device, biasInitialRho)
    {
        Inputs = inputs;
        Outputs = outputs;
    }

    public int Inputs { get; }
    public int Outputs { get; }

    /// <summary>The posterior-mean pass: input μ_Wᵀ + μ_b.</summary>
    public Tensor MeanLinear(Tensor input) => nn.functional.linear(input, WeightMu, BiasMu);

    /// <summary>Per-weight sampling: one W = μ + σ ⊙ ε for the whole minibatch.</summary>
    public Tensor SampledLinear(Tensor input)
    {
        var weight = Reparameterization.Draw(WeightMu, WeightRho);
        var bias = Reparameterization.Draw(BiasMu, BiasRho);
        KeepForComplexity(weight, bias, null, null);
        return nn.functional.linear(input, weight.Sample, bias.Sample);
    }

    /// <summary>
    /// Local reparameterisation (Kingma et al. 2015): the pre-activation is Gaussian given the input, so sample it
    /// directly, b = x μ + sqrt(x² σ²) ⊙ ε with one ε per example and unit.
    /// </summary>
    public Tensor LocalReparameterizedLinear(Tensor input)
    {
        if (RepeatedInputMoments.Active is { } repeated)
        {
            var (mean, variance) = repeated.For(this, input, () => Reparameterization.LocalLinearMoments(input, WeightMu, WeightRho, BiasMu, BiasRho));
            return Reparameterization.SampleGivenMoments(mean, variance);
        }
        var (output, wSigma, bSigma) = Reparameterization.LocalLinear(input, WeightMu, WeightRho, BiasMu, BiasRho);
        KeepForComplexity(null, null, wSigma, bSigma);
        return output;
    }

}

/// <summary>
/// A convolution under a mean-field Gaussian posterior: μ and ρ of <c>weight</c> [out, in, k, k] and <c>bias</c> [out].
/// </summary>
public sealed class MeanFieldConv2d : MeanFieldLayer
{
    readonly long[] stride, padding;

    public MeanFieldConv2d(int inChannels, int outChannels, int kernelSize, Prior prior, double initialRho, Device? device = null,
        double? biasInitialRho = null, int stride = 1, int padding = 0)
        : base(nameof(MeanFieldConv2d), new long[] { outChannels, inChannels, kernelSize, kernelSize }, (long)inChannels * kernelSize * kernelSize,
            prior, initialRho, device, biasInitialRho)
    {
        this.stride = new long[] { stride, stride };
        this.padding = new long[] { padding, padding };
    }

    /// <summary>The posterior-mean pass: the convolution with μ_W, plus μ_b.</summary>
    public Tensor MeanConvolve(Tensor input) => nn.functional.conv2d(input, WeightMu, BiasMu, stride, padding);

    /// <summary>Per-weight sampling: one filter bank W = μ + σ ⊙ ε for the whole minibatch.</summary>
    public Tensor SampledConvolve(Tensor input)
    {
        var weight = Reparameterization.Draw(WeightMu, WeightRho);
        var bias = Reparameterization.Draw(BiasMu, BiasRho);
        KeepForComplexity(weight, bias, null, null);
        return nn.functional.conv2d(input, weight.Sample, bias.Sample, stride, padding);
    }

    /// <summary>
    /// Local reparameterisation for a convolution: each output is a sum of independent Gaussian terms given the input,
    /// so it is N(x ⋆ μ_W + μ_b, x² ⋆ σ_W² + σ_b²) — a mean convolution and a variance convolution — sampled with one ε
    /// per example, channel and position. libtorch's fast convolution algorithms (Winograd) can round a sum of
    /// non-negative terms below 0, so the variance convolution is clamped at 0 before σ_b² &gt; 0 is added, which keeps the
    /// square root and its gradient finite.
    /// </summary>
    public Tensor LocalReparameterizedConvolve(Tensor input)
    {
        var (mean, std) = RepeatedInputMoments.Active is { } repeated ? repeated.For(this, input, () => OutputMoments(input)) : OutputMoments(input);
        return DrawGivenMoments(mean, std);
    }

    /// <summary>
    /// The mean and the standard deviation of each output given <paramref name="input"/>, as
    /// <see cref="LocalReparameterizedConvolve"/> draws from them; with gradients on, σ is kept for the step's KL.
    /// </summary>
    internal (Tensor Mean, Tensor Std) OutputMoments(Tensor input)
    {
        var weightSigma = Reparameterization.Sigma(WeightRho);
        var biasSigma = Reparameterization.Sigma(BiasRho);
        KeepForComplexity(null, null, weightSigma, biasSigma);
        var mean = nn.functional.conv2d(input, WeightMu, BiasMu, stride, padding);
        var weightVariance = nn.functional.conv2d(input.square(), weightSigma.square(), null, stride, padding).clamp_min(0);
        return (mean, (weightVariance + biasSigma.square().view(1, -1, 1, 1)).sqrt());
    }

    /// <summary>One draw mean + std ⊙ ε of the outputs.</summary>
    internal static Tensor DrawGivenMoments(Tensor mean, Tensor std) => mean + std * NormalNoise.Like(mean);
}

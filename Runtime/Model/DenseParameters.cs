using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// The parameters of one dense layer with a point estimate (MAP): <c>weight</c> [out, in] and <c>bias</c> [out],
/// initialised like <c>torch.nn.Linear</c> (uniform in ±1/√in).
/// </summary>
public sealed class PointDense : nn.Module
{
    public PointDense(int inputs, int outputs, Device? device = null) : base(nameof(PointDense))
    {
        Inputs = inputs;
        Outputs = outputs;
        double bound = 1.0 / System.Math.Sqrt(inputs);
        Weight = new Parameter(empty(outputs, inputs, device: device).uniform_(-bound, bound));
        Bias = new Parameter(empty(outputs, device: device).uniform_(-bound, bound));
        register_parameter("weight", Weight);
        register_parameter("bias", Bias);
    }

    public int Inputs { get; }
    public int Outputs { get; }
    public Parameter Weight { get; }
    public Parameter Bias { get; }

    /// <summary>input Wᵀ + b.</summary>
    public Tensor Linear(Tensor input) => nn.functional.linear(input, Weight, Bias);

    protected override void Dispose(bool disposing)
    {
        if (disposing) { Weight.Dispose(); Bias.Dispose(); }
        base.Dispose(disposing);
    }
}

/// <summary>
/// The variational parameters of one dense layer under a mean-field Gaussian posterior:
/// q(w) = N(μ, σ²) per weight with σ = softplus(ρ). μ starts like a deterministic layer's weights, ρ at a constant:
/// <c>initialRho</c> for the weights, <c>biasInitialRho</c> (default the same) for the biases.
/// State-dict keys: <c>weight_mu</c>, <c>weight_rho</c>, <c>bias_mu</c>, <c>bias_rho</c>.
/// </summary>
/// <remarks>
/// A sampled forward pass with gradients on keeps what it computed — σ, and the draw itself when weights are sampled
/// — for the complexity term of the same step (<see cref="TakeWeightSigma"/>, <see cref="TakeWeightDraw"/>): the
/// Monte Carlo KL then uses the θ_s of the likelihood, as Blundell et al. do, and softplus runs once per step.
/// Taking clears it; anything from a disposed, earlier step is ignored and computed afresh.
/// </remarks>
public sealed class MeanFieldDense : nn.Module
{
    GaussianDraw? weightDraw, biasDraw;
    Tensor? weightSigma, biasSigma;

    public MeanFieldDense(int inputs, int outputs, double initialRho, Device? device = null, double? biasInitialRho = null)
        : base(nameof(MeanFieldDense))
    {
        Inputs = inputs;
        Outputs = outputs;
        double bound = 1.0 / System.Math.Sqrt(inputs);
        WeightMu = new Parameter(empty(outputs, inputs, device: device).uniform_(-bound, bound));
        WeightRho = new Parameter(full(outputs, inputs, initialRho, device: device));
        BiasMu = new Parameter(empty(outputs, device: device).uniform_(-bound, bound));
        BiasRho = new Parameter(full(outputs, biasInitialRho ?? initialRho, device: device));
        register_parameter("weight_mu", WeightMu);
        register_parameter("weight_rho", WeightRho);
        register_parameter("bias_mu", BiasMu);
        register_parameter("bias_rho", BiasRho);
    }

    public int Inputs { get; }
    public int Outputs { get; }
    public Parameter WeightMu { get; }
    public Parameter WeightRho { get; }
    public Parameter BiasMu { get; }
    public Parameter BiasRho { get; }

    /// <summary>The posterior-mean pass: input μ_Wᵀ + μ_b.</summary>
    public Tensor MeanLinear(Tensor input) => nn.functional.linear(input, WeightMu, BiasMu);

    /// <summary>Per-weight sampling: one W = μ + σ ⊙ ε for the whole minibatch.</summary>
    public Tensor SampledLinear(Tensor input)
    {
        var weight = Reparameterization.Draw(WeightMu, WeightRho);
        var bias = Reparameterization.Draw(BiasMu, BiasRho);
        if (is_grad_enabled()) { weightDraw = weight; biasDraw = bias; }
        return nn.functional.linear(input, weight.Sample, bias.Sample);
    }

    /// <summary>
    /// Local reparameterisation (Kingma et al. 2015): the pre-activation is Gaussian given the input, so sample it
    /// directly, b = x μ + sqrt(x² σ²) ⊙ ε with one ε per example and unit.
    /// </summary>
    public Tensor LocalReparameterizedLinear(Tensor input)
    {
        if (RepeatedInputMoments.Active is { } repeated) return repeated.Draw(this, input);
        var (output, wSigma, bSigma) = Reparameterization.LocalLinear(input, WeightMu, WeightRho, BiasMu, BiasRho);
        if (is_grad_enabled()) { weightSigma = wSigma; biasSigma = bSigma; }
        return output;
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
        bool monteCarlo = prior is not NormalPrior;
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

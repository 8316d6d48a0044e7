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
/// q(w) = N(μ, σ²) per weight with σ = softplus(ρ). μ starts like a deterministic layer's weights, ρ at a constant.
/// State-dict keys: <c>weight_mu</c>, <c>weight_rho</c>, <c>bias_mu</c>, <c>bias_rho</c>.
/// </summary>
public sealed class MeanFieldDense : nn.Module
{
    GaussianDraw? retainedWeight, retainedBias;

    public MeanFieldDense(int inputs, int outputs, double initialRho, Device? device = null) : base(nameof(MeanFieldDense))
    {
        Inputs = inputs;
        Outputs = outputs;
        double bound = 1.0 / System.Math.Sqrt(inputs);
        WeightMu = new Parameter(empty(outputs, inputs, device: device).uniform_(-bound, bound));
        WeightRho = new Parameter(full(outputs, inputs, initialRho, device: device));
        BiasMu = new Parameter(empty(outputs, device: device).uniform_(-bound, bound));
        BiasRho = new Parameter(full(outputs, initialRho, device: device));
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

    /// <summary>
    /// Keep the weights drawn by <see cref="SampledLinear"/> so that a Monte Carlo KL can reuse them (the same θ_s
    /// in the likelihood and the KL, as Blundell et al.). Set by generated code when the prior has no closed-form KL.
    /// </summary>
    public bool RetainSamples { get; init; }

    /// <summary>The posterior-mean pass: input μ_Wᵀ + μ_b.</summary>
    public Tensor MeanLinear(Tensor input) => nn.functional.linear(input, WeightMu, BiasMu);

    /// <summary>Per-weight sampling: one W = μ + σ ⊙ ε for the whole minibatch.</summary>
    public Tensor SampledLinear(Tensor input)
    {
        var weight = Reparameterization.Draw(WeightMu, WeightRho);
        var bias = Reparameterization.Draw(BiasMu, BiasRho);
        if (RetainSamples) { retainedWeight = weight; retainedBias = bias; }
        return nn.functional.linear(input, weight.Sample, bias.Sample);
    }

    /// <summary>
    /// Local reparameterisation (Kingma et al. 2015): the pre-activation is Gaussian given the input, so sample it
    /// directly, b = x μ + sqrt(x² σ²) ⊙ ε with one ε per example and unit.
    /// </summary>
    public Tensor LocalReparameterizedLinear(Tensor input) =>
        Reparameterization.LocalLinear(input, WeightMu, WeightRho, BiasMu, BiasRho);

    /// <summary>The weights of the last <see cref="SampledLinear"/> call when retained and still alive, else a fresh draw.</summary>
    public GaussianDraw TakeWeightDraw() => Take(ref retainedWeight) ?? Reparameterization.Draw(WeightMu, WeightRho);

    /// <summary>The bias of the last <see cref="SampledLinear"/> call when retained and still alive, else a fresh draw.</summary>
    public GaussianDraw TakeBiasDraw() => Take(ref retainedBias) ?? Reparameterization.Draw(BiasMu, BiasRho);

    static GaussianDraw? Take(ref GaussianDraw? retained)
    {
        var draw = retained;
        retained = null;
        // A draw from an earlier, already disposed step must not be reused.
        return draw is { IsAlive: true } ? draw : null;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { WeightMu.Dispose(); WeightRho.Dispose(); BiasMu.Dispose(); BiasRho.Dispose(); }
        base.Dispose(disposing);
    }
}

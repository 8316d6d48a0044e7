using System;
using System.Collections.Generic;
using System.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>The terms of the per-example training loss, all scalar tensors.</summary>
/// <param name="Loss">What is minimised: <see cref="Nll"/> + <see cref="Complexity"/> / N.</param>
/// <param name="Nll">Mean negative log likelihood over the minibatch (averaged over posterior samples).</param>
/// <param name="Complexity">KL(q ‖ p) in nats for variational posteriors; −log p(θ) for MAP.</param>
public readonly record struct LossTerms(Tensor Loss, Tensor Nll, Tensor Complexity);

/// <summary>
/// The base class of every generated network. Generated code supplies the layers, the forward pass, the
/// complexity term and the parameters; this class holds what is the same for every network: the loss, the
/// predictive, persistence.
/// </summary>
/// <remarks>
/// <b>ELBO scaling — the one place it is defined.</b> For a minibatch B of M examples out of N, with S posterior
/// samples, the loss is the negative ELBO divided by N:
/// <code>ℓ = −(1/M) Σ_{n∈B} (1/S) Σ_s log p(y_n | x_n, θ_s) + (1/N) KL(q ‖ p)</code>
/// Its expectation over minibatches is −ELBO/N, so learning rates do not depend on the data set size, and
/// the KL is weighted by 1/N (not 1/M and not 1/number-of-batches). MAP uses the same formula with
/// −log p(θ) in place of the KL, which is L2 weight decay of 1/(N s0²) for a Normal(0, s0) prior.
/// </remarks>
public abstract class BayesianModule : nn.Module<Tensor, Tensor>
{
    protected BayesianModule(string name) : base(name) { }

    // Before any network computes: the runtime's kernels load, and with them MKL's choice of code path is settled
    // before the first matrix product (CpuKernels.MklChoosesByInstructionSets).
    static BayesianModule() => _ = CpuKernels.IsNative;

    /// <summary>The likelihood declared on the class.</summary>
    public abstract Likelihood Likelihood { get; }

    /// <summary>The inference method declared on the class.</summary>
    public abstract PosteriorMethod Method { get; }

    /// <summary>Whether forward passes in <see cref="SampleMode.Sample"/> are random (false for MAP).</summary>
    public bool IsStochastic => Method != PosteriorMethod.MAP;

    /// <summary>Number of input features of the first layer.</summary>
    public abstract int InputSize { get; }

    /// <summary>Number of outputs of the last layer: classes, regression targets, or twice the targets when heteroscedastic.</summary>
    public abstract int OutputSize { get; }

    /// <summary>One line describing the declaration: layers, posterior, prior and likelihood.</summary>
    public abstract string Summary { get; }

    /// <summary>How forward passes treat the weights. Sampling by default.</summary>
    public SampleMode Mode { get; set; } = SampleMode.Sample;

    /// <summary>When set, every layer records its input and pre-activation here (for curvature).</summary>
    public LayerTrace? Trace { get; set; }

    /// <summary>KL(q ‖ p) in nats for variational posteriors; −log p(θ) for MAP. See the class remarks.</summary>
    public abstract Tensor Complexity();

    /// <summary>
    /// For a point estimate whose every prior is a zero-mean Normal: each parameter with its prior precision 1/s0².
    /// −log p(θ) is then Σ ½ τ θ² + const, whose gradient the trainer applies as the optimiser's L2 weight decay (τ/N)
    /// rather than by differentiating <see cref="Complexity"/>, whose value, gradient and surrogate cost ~15% of a MAP step
    /// for a network of this size (<c>bnndsl-bench --profile</c>).
    /// Null for every other declaration.
    /// </summary>
    public virtual IReadOnlyList<(Parameter Parameter, double Precision)>? GaussianPriorPrecisions => null;

    /// <summary>
    /// For a mean-field network: each layer's variational parameters with the prior of its weights and bias, in the
    /// order <see cref="Complexity"/> evaluates them (so both draw the same noise). <see cref="Complexity"/> is then
    /// Σ KL over this list, and the trainer applies it as it applies a MAP prior: it differentiates the likelihood alone
    /// and adds each layer's KL gradient to the parameters' gradients directly (<see cref="MeanFieldDense.AddKlGradient"/>),
    /// one fused pass per tensor at the forward pass's σ, without the KL's value (evaluated once an epoch for the report)
    /// or the autograd route's gradient tensors, surrogate and accumulation: the default Fashion-MNIST declaration's step
    /// took 4.9 ms instead of 5.8 in one run of <c>bnndsl-bench --profile</c>. Null for every other declaration.
    /// </summary>
    public virtual IReadOnlyList<(MeanFieldDense Layer, Prior Prior)>? MeanFieldPriors => null;

    /// <summary>
    /// Gaussian likelihood with input-dependent noise: the network's output holds a mean and a raw variance per target
    /// (<see cref="SplitHeteroscedastic"/>), and <see cref="NoiseStd"/> does not exist.
    /// </summary>
    public virtual bool Heteroscedastic => false;

    /// <summary>The number of regression targets (or classes): half the output width for a heteroscedastic network.</summary>
    public int TargetSize => Heteroscedastic ? OutputSize / 2 : OutputSize;

    /// <summary>The Gaussian likelihood's noise standard deviation s (a scalar tensor). Homoscedastic regression only.</summary>
    public virtual Tensor NoiseStd() =>
        throw new InvalidOperationException(Heteroscedastic
            ? $"{GetType().Name} is heteroscedastic: its noise is an output of the network (SplitHeteroscedastic), not one level."
            : $"{GetType().Name} has a {Likelihood} likelihood, which has no noise level.");

    /// <summary>
    /// The mean and the noise variance s² = softplus(v) + 1e-6 of a heteroscedastic network's output [n, 2k]
    /// (means in the first k columns, raw variances v in the last k; METHODS.md §1).
    /// </summary>
    public static (Tensor Mean, Tensor Variance) SplitHeteroscedastic(Tensor output)
    {
        var halves = output.chunk(2, 1);
        return (halves[0], nn.functional.softplus(halves[1]) + 1e-6);
    }

    /// <summary>log p(y_n | x_n, θ) per example for the network outputs of one forward pass.</summary>
    public Tensor LogLikelihood(Tensor output, Tensor targets)
    {
        if (Likelihood == Likelihood.Categorical)
            return nn.functional.log_softmax(output, 1).gather(1, targets.view(-1, 1)).squeeze(1);
        if (Heteroscedastic)
        {
            var (mean, variance) = SplitHeteroscedastic(output);
            var error = targets.view(mean.shape) - mean;
            return ((error.square() / variance + variance.log()) * -0.5 - 0.5 * Math.Log(2 * Math.PI)).sum(dim: 1);
        }
        var std = NoiseStd();
        var residual = (targets.view(output.shape) - output) / std;
        return (residual.square() * -0.5 - std.log() - 0.5 * Math.Log(2 * Math.PI)).sum(dim: 1);
    }

    /// <summary>
    /// The per-example negative ELBO of a minibatch (the class remarks define the scaling), with its NLL and
    /// complexity terms. <paramref name="samples"/> posterior draws are averaged (one is usual for training); each
    /// draw's complexity is evaluated right after its forward pass, so a Monte Carlo KL uses that pass's draw.
    /// </summary>
    public LossTerms Loss(Tensor inputs, Tensor targets, long datasetSize, int samples = 1)
    {
        if (datasetSize <= 0) throw new ArgumentOutOfRangeException(nameof(datasetSize), datasetSize, "The data set size N must be positive.");
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "At least one posterior sample is needed.");
        CheckInput(inputs);
        Mode = SampleMode.Sample;
        int draws = IsStochastic ? samples : 1;
        Tensor? nll = null, complexity = null;
        for (int s = 0; s < draws; s++)
        {
            var sampleNll = MeanNegativeLogLikelihood(forward(inputs), targets);
            var sampleComplexity = Complexity();
            nll = nll is null ? sampleNll : nll + sampleNll;
            complexity = complexity is null ? sampleComplexity : complexity + sampleComplexity;
        }
        if (draws > 1) { nll = nll! / draws; complexity = complexity! / draws; }
        return new LossTerms(nll! + complexity! / datasetSize, nll!, complexity!);
    }

    /// <summary>
    /// The mean negative log likelihood of a minibatch under one forward pass, without the complexity term: what a
    /// trainer differentiates when it applies the complexity's gradient itself (<see cref="GaussianPriorPrecisions"/>,
    /// <see cref="MeanFieldPriors"/>).
    /// </summary>
    public Tensor NegativeLogLikelihood(Tensor inputs, Tensor targets)
    {
        CheckInput(inputs);
        Mode = SampleMode.Sample;
        return MeanNegativeLogLikelihood(forward(inputs), targets);
    }

    /// <summary>
    /// Differentiates <paramref name="objective"/> into the parameters' gradients (<c>.grad</c>, added to any there):
    /// <c>objective.backward()</c>, except that locally reparameterised layers write their parameters' gradients
    /// themselves, sparing autograd a copy of each (<see cref="LocalLinearFunction"/>). What the trainer runs each step.
    /// </summary>
    public static void Backward(Tensor objective)
    {
        using var direct = LocalLinearFunction.ParameterGradientsWrittenDirectly();
        objective.backward();
    }

    // Cross-entropy is log-softmax and the mean of the picked entries in one kernel.
    Tensor MeanNegativeLogLikelihood(Tensor output, Tensor targets) => Likelihood == Likelihood.Categorical
        ? nn.functional.cross_entropy(output, targets.view(-1))
        : LogLikelihood(output, targets).mean().neg();

    /// <summary>
    /// The posterior predictive for <paramref name="inputs"/>: class probabilities averaged over
    /// <paramref name="samples"/> posterior draws (never averaged logits), or the mean and variance of the
    /// Gaussian mixture for regression. MAP networks use one pass. Runs without gradients, in batches.
    /// </summary>
    public Predictive Predict(Tensor inputs, int samples = 32, int batchSize = 1000)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "At least one posterior sample is needed.");
        CheckInput(inputs);
        int draws = IsStochastic ? samples : 1;
        var previous = Mode;
        Mode = IsStochastic ? SampleMode.Sample : SampleMode.Mean;
        try
        {
            using var noGrad = no_grad();
            using var repeatedInputs = RepeatedInputMoments.Open(); // the first layer's moments once per batch
            long n = inputs.shape[0];
            var first = new System.Collections.Generic.List<Tensor>();
            var second = new System.Collections.Generic.List<Tensor>();
            for (long start = 0; start < n; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var batch = inputs.narrow(0, start, Math.Min(batchSize, n - start));
                Tensor? sum = null, sumSquares = null, sumNoise = null;
                for (int s = 0; s < draws; s++)
                {
                    // Each draw's activations are freed before the next, so memory does not grow with the samples.
                    using var drawScope = NewDisposeScope();
                    var output = forward(batch);
                    if (Likelihood == Likelihood.Categorical)
                    {
                        Accumulate(ref sum, nn.functional.softmax(output, 1));
                        continue;
                    }
                    var (value, noise) = Heteroscedastic ? SplitHeteroscedastic(output) : (output, null);
                    Accumulate(ref sum, value);
                    Accumulate(ref sumSquares, value.square());
                    if (noise is not null) Accumulate(ref sumNoise, noise);
                }
                var mean = sum! / draws;
                first.Add(mean.MoveToOuterDisposeScope());
                if (Likelihood == Likelihood.Gaussian)
                {
                    // Mixture of N(f_s, s_s²): variance = E[f²] − E[f]² + E[s²].
                    var noise = sumNoise is null ? NoiseStd().square() : sumNoise / draws;
                    var variance = (sumSquares! / draws - mean.square()).clamp_min(0) + noise;
                    second.Add(variance.MoveToOuterDisposeScope());
                }
            }
            var firstAll = cat(first.ToArray(), 0);
            foreach (var t in first) t.Dispose();
            if (Likelihood == Likelihood.Categorical) return Predictive.Categorical(firstAll, draws);
            var secondAll = cat(second.ToArray(), 0);
            foreach (var t in second) t.Dispose();
            return Predictive.Gaussian(firstAll, secondAll, draws);
        }
        finally { Mode = previous; }
    }

    // A running sum over draws that outlives the draw's dispose scope: a copy of the first term (a hand-written forward
    // may return a tensor it does not own), then each later term added in place.
    static void Accumulate(ref Tensor? sum, Tensor term)
    {
        if (sum is null) sum = term.clone().MoveToOuterDisposeScope();
        else sum.add_(term);
    }

    /// <summary>
    /// Writes the trained parameters (the state dict) to <paramref name="path"/> atomically: to a temporary file
    /// beside it, then renamed over it, so a crash never leaves a half-written checkpoint.
    /// </summary>
    public void Save(string path) => AtomicFile.Replace(path, temporary => save(temporary));

    /// <summary>Reads parameters written by <see cref="Save"/> into this network, which must have the same declaration.</summary>
    public void Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No checkpoint at '{path}'.", path);
        try
        {
            load(path, strict: true);
        }
        catch (Exception e) when (e is not FileNotFoundException)
        {
            throw new InvalidDataException(
                $"'{path}' is not a checkpoint of {GetType().Name} (its parameters or shapes differ, or the file is damaged): {e.Message}", e);
        }
    }

    void CheckInput(Tensor inputs)
    {
        if (inputs.dim() != 2 || inputs.shape[1] != InputSize)
            throw new ArgumentException(
                $"{GetType().Name} expects inputs of shape [batch, {InputSize}], got [{string.Join(", ", inputs.shape)}].", nameof(inputs));
    }
}

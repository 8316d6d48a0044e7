using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
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
/// The base class of every generated network. Generated code supplies the layers (<see cref="Layers"/>, one
/// <see cref="IBayesianLayer"/> per layer with parameters) and the forward pass; this class holds what is the same for
/// every network — the loss, the complexity term summed over the layers, persistence — and reaches what differs between
/// inference methods through small seams: the layers' complexity terms, <see cref="Predictor"/> and
/// <see cref="AfterTraining"/>.
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

    // The fused kernels load with the first network (libtorch first, so that both share one OpenMP runtime).
    static BayesianModule() => _ = CpuKernels.IsNative;

    /// <summary>The likelihood declared on the class.</summary>
    public abstract Likelihood Likelihood { get; }

    /// <summary>The inference method declared on the class (for reports; the runtime asks the layers, not this).</summary>
    public abstract PosteriorMethod Method { get; }

    /// <summary>
    /// Every layer with parameters, in declaration order: what the loss, the trainer and the fits after training walk.
    /// Layers without parameters (pooling, flattening) are not in it.
    /// </summary>
    public abstract IReadOnlyList<IBayesianLayer> Layers { get; }

    /// <summary>Whether forward passes in <see cref="SampleMode.Sample"/> are random: whether any layer samples.</summary>
    public virtual bool IsStochastic
    {
        get
        {
            foreach (var layer in Layers) if (layer.IsStochastic) return true;
            return false;
        }
    }

    /// <summary>
    /// The shape of one input example, without the batch dimension: <c>[784]</c>, or <c>[channels, height, width]</c>
    /// for a network of convolutions (the declaration's <c>Input</c>, else the first layer's inputs).
    /// </summary>
    public abstract IReadOnlyList<int> InputShape { get; }

    /// <summary>Number of input features of one example: the product of <see cref="InputShape"/>.</summary>
    public int InputSize
    {
        get
        {
            int size = 1;
            foreach (var d in InputShape) size *= d;
            return size;
        }
    }

    /// <summary>
    /// How predictions are made from this network's posterior (<see cref="Predict"/>): Monte Carlo over q by default;
    /// methods with a predictive of their own (stored samples, a linearised model) return theirs.
    /// </summary>
    public virtual IPredictiveMethod Predictor => MonteCarloPredictive.Instance;

    /// <summary>What runs on the training data after training (a curvature fit), or null: nothing for MAP and VI.</summary>
    public virtual IPosteriorFit? AfterTraining => null;

    /// <summary>The step rule the trainer uses unless <see cref="FitOptions.StepRule"/> names another: Adam; a sampler's own for SG-MCMC.</summary>
    public virtual StepRuleFactory StepRule => StepRules.Adam;

    /// <summary>Number of outputs of the last layer: classes, regression targets, or twice the targets when heteroscedastic.</summary>
    public abstract int OutputSize { get; }

    /// <summary>One line describing the declaration: layers, posterior, prior and likelihood.</summary>
    public abstract string Summary { get; }

    /// <summary>How forward passes treat the weights. Sampling by default.</summary>
    public SampleMode Mode { get; set; } = SampleMode.Sample;

    /// <summary>When set, every layer records its input and pre-activation here (for curvature).</summary>
    public LayerTrace? Trace { get; set; }

    /// <summary>
    /// The complexity term in nats, summed over <see cref="Layers"/>: KL(q ‖ p) for variational layers, −log p(θ) for
    /// point estimates (see the class remarks). Its gradient is attached in closed form.
    /// </summary>
    public virtual Tensor Complexity()
    {
        Tensor? sum = null;
        foreach (var layer in Layers)
        {
            var term = layer.Complexity();
            sum = sum is null ? term : sum + term;
        }
        return sum ?? zeros(1).squeeze();
    }

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
    /// (means in the first k columns, raw variances v in the last k; docs/METHODS.md §1).
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
    /// trainer differentiates when it applies the complexity's gradient itself (<see cref="IBayesianLayer.AddComplexityGradient"/>,
    /// <see cref="IBayesianLayer.WeightDecay"/>).
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
    /// The posterior predictive for <paramref name="inputs"/> as <see cref="Predictor"/> makes it: class probabilities
    /// averaged over posterior draws (never averaged logits), or the mean and variance of the Gaussian mixture for
    /// regression. Runs without gradients, in batches of <paramref name="batchSize"/>.
    /// </summary>
    public Predictive Predict(Tensor inputs, int samples = 32, int batchSize = 1000)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "At least one posterior sample is needed.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        CheckInput(inputs);
        return Predictor.Predict(this, inputs, samples, batchSize);
    }

    /// <summary>
    /// Writes the trained parameters, with the network and declaration that wrote them, to <paramref name="path"/>
    /// atomically: to a temporary file beside it, then renamed over it, so a crash never leaves a half-written checkpoint
    /// (<see cref="Checkpoint"/>).
    /// </summary>
    public void Save(string path)
    {
        Checkpoint.Write(this, path);
        foreach (var companion in modules().OfType<ICheckpointCompanion>()) companion.WriteBeside(path);
    }

    /// <summary>
    /// Reads parameters written by <see cref="Save"/> into this network, which must be the network and declaration that
    /// wrote them; anything else (another network or declaration, a truncated, damaged or foreign file) is an
    /// <see cref="InvalidDataException"/> naming the file and what is wrong.
    /// </summary>
    public void Load(string path)
    {
        Checkpoint.Read(this, path);
        foreach (var companion in modules().OfType<ICheckpointCompanion>()) companion.ReadBeside(path);
    }

    /// <summary>
    /// <paramref name="input"/> in the declared <see cref="InputShape"/>: a view of flat inputs [batch, C·H·W] as
    /// [batch, C, H, W] for a network of convolutions, else the input itself. Generated forward passes start with it;
    /// the predictive shapes each batch once, so that every draw hands the first layer the same tensor.
    /// </summary>
    public Tensor AsInputShape(Tensor input)
    {
        var shape = InputShape;
        if (shape.Count < 2 || input.dim() == shape.Count + 1) return input;
        var viewed = new long[shape.Count + 1];
        viewed[0] = input.shape[0];
        for (int i = 0; i < shape.Count; i++) viewed[i + 1] = shape[i];
        return input.view(viewed);
    }

    void CheckInput(Tensor inputs)
    {
        var shape = InputShape;
        bool flat = inputs.dim() == 2 && inputs.shape[1] == InputSize;
        bool shaped = inputs.dim() == shape.Count + 1;
        for (int i = 0; shaped && i < shape.Count; i++) shaped = inputs.shape[i + 1] == shape[i];
        if (!flat && !shaped)
        {
            var expected = shape.Count == 1 ? $"[batch, {InputSize}]" : $"[batch, {string.Join(", ", shape)}] or [batch, {InputSize}]";
            throw new ArgumentException(
                $"{GetType().Name} expects inputs of shape {expected}, got [{string.Join(", ", inputs.shape)}].", nameof(inputs));
        }
    }
}

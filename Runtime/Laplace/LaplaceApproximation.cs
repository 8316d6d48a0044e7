using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// The Laplace approximation (docs/METHODS.md §5; Daxberger et al. 2021): the network trains as MAP, then one pass over
/// the training data gives the curvature H of the log likelihood at the mode over a subset of the weights — the last
/// layer, or all of them — and the posterior over those weights is N(θ_MAP, (H + P0)⁻¹), P0 the prior precisions chosen
/// by the Laplace marginal likelihood (one for the network, or one per layer). The predictive linearises the outputs in
/// the weights, f ~ N(f_MAP, J Σ Jᵀ), and classifies with the probit approximation or Monte Carlo over that Gaussian;
/// or it samples the weights and runs the network. Everything fitted is a buffer, saved and loaded with the checkpoint.
/// </summary>
/// <remarks>
/// <para>Each layer's weights are θ = [W | b] as an [O, J] matrix (<see cref="LaplaceLayer"/>). The likelihood's Hessian
/// in the outputs is factored as Λ = L Lᵀ (softmax GGN: L = diag √p − p √pᵀ; Gaussian: I/s; empirical Fisher: the
/// gradient itself, one column), so the curvature is Σ_n Σ_c j_nc j_ncᵀ with j_nc = J_nᵀ L_nc, the per-example gradient
/// that one backward pass of L's column c gives. Diagonal keeps Σ j², Kron keeps A = Σ U Uᵀ and G = Σ g gᵀ per layer
/// (H ≈ A ⊗ G / rows, exact for one dense example), Full keeps the whole matrix.</para>
/// <para>The last-layer subset needs no backward pass: the last layer's outputs are the network's, so its g is L itself.
/// Products run in the network's dtype; they are summed and solved in float64.</para>
/// </remarks>
public sealed class LaplaceApproximation : nn.Module, IPosteriorFit, IPredictiveMethod
{
    readonly LaplaceLayer[] layers;
    readonly Tensor[] first, second, rows;
    readonly Tensor full, fitted, priorPrecisions, logLikelihood, count, squaredResiduals, noiseStd;

    /// <param name="subset">The last layer (its pre-activation must be the network's output) or all the layers listed.</param>
    /// <param name="layers">The point-estimate layers covered, each under a Normal prior: the last one alone for <see cref="LaplaceSubset.LastLayer"/>.</param>
    /// <param name="indices">Each layer's index in forward order, as its generated body records it in the trace.</param>
    /// <param name="hessian">How the curvature is stored: Kron (default), Diagonal or Full.</param>
    /// <param name="curvature">GGN (default) or the empirical Fisher.</param>
    /// <param name="link">Probit (default), Monte Carlo over the outputs' Gaussian, or sampling the weights.</param>
    /// <param name="priorPrecision">One prior precision for all the weights covered (default) or one per layer.</param>
    /// <param name="device">Where the curvature lives: the network's device.</param>
    public LaplaceApproximation(LaplaceSubset subset, IReadOnlyList<PointLayer> layers, IReadOnlyList<int> indices,
        LaplaceHessian hessian = LaplaceHessian.Kron, LaplaceCurvature curvature = LaplaceCurvature.Ggn, LaplaceLink link = LaplaceLink.Probit,
        LaplacePriorPrecision priorPrecision = LaplacePriorPrecision.Scalar, Device? device = null)
        : base(nameof(LaplaceApproximation))
    {
        if (layers is null || indices is null || layers.Count == 0 || layers.Count != indices.Count)
            throw new ArgumentException("List the covered layers and their trace indices, one each.", nameof(layers));
        if (subset == LaplaceSubset.LastLayer && (layers.Count != 1 || layers[0] is not PointDense))
            throw new ArgumentException("The last-layer subset covers one dense layer: the network's output layer.", nameof(layers));
        if (hessian == LaplaceHessian.Full && priorPrecision == LaplacePriorPrecision.PerLayer && layers.Count > 1)
            throw new ArgumentException("A Full Hessian couples the layers: tune one prior precision (Scalar), or store Kron or Diagonal.", nameof(priorPrecision));
        (Subset, Hessian, Curvature, Link, PriorPrecisionTuning) = (subset, hessian, curvature, link, priorPrecision);
        this.layers = layers.Select((layer, i) => new LaplaceLayer(layer, indices[i])).ToArray();
        var float64 = ScalarType.Float64;
        first = new Tensor[this.layers.Length];
        second = new Tensor[this.layers.Length];
        rows = new Tensor[this.layers.Length];
        for (int i = 0; i < this.layers.Length; i++)
        {
            var layer = this.layers[i];
            (first[i], second[i]) = hessian switch
            {
                LaplaceHessian.Kron => (zeros(new[] { layer.Width, layer.Width }, float64, device), zeros(new[] { layer.Outputs, layer.Outputs }, float64, device)),
                LaplaceHessian.Diagonal => (zeros(new[] { layer.Outputs, layer.Width }, float64, device), zeros(1, float64, device)),
                LaplaceHessian.Full => (zeros(1, float64, device), zeros(1, float64, device)),
                _ => throw new ArgumentOutOfRangeException(nameof(hessian), hessian, "Unknown Hessian structure."),
            };
            rows[i] = zeros(1, float64, device);
            register_buffer($"layer{i}_curvature", first[i]);
            register_buffer($"layer{i}_curvature_second_factor", second[i]);
            register_buffer($"layer{i}_rows", rows[i]);
        }
        long p = hessian == LaplaceHessian.Full ? ParameterCount : 1;
        full = zeros(new[] { p, p }, float64, device);
        fitted = zeros(1, float64, device);
        int groups = priorPrecision == LaplacePriorPrecision.PerLayer ? this.layers.Length : 1;
        priorPrecisions = tensor(this.layers.Take(groups).Select(l => l.Prior.Precision).ToArray(), float64, device);
        logLikelihood = zeros(1, float64, device);
        count = zeros(1, float64, device);
        squaredResiduals = zeros(1, float64, device);
        noiseStd = zeros(1, float64, device);
        register_buffer("full_curvature", full);
        register_buffer("fitted", fitted);
        register_buffer("prior_precision", priorPrecisions);
        register_buffer("log_likelihood", logLikelihood);
        register_buffer("count", count);
        register_buffer("squared_residuals", squaredResiduals);
        register_buffer("noise_std", noiseStd);
    }

    /// <summary>The last layer alone (its trace index <paramref name="index"/>): the common, cheap case.</summary>
    public static LaplaceApproximation OfLastLayer(PointDense layer, int index, LaplaceHessian hessian = LaplaceHessian.Kron,
        LaplaceCurvature curvature = LaplaceCurvature.Ggn, LaplaceLink link = LaplaceLink.Probit, Device? device = null) =>
        new(LaplaceSubset.LastLayer, new PointLayer[] { layer }, new[] { index }, hessian, curvature, link, LaplacePriorPrecision.Scalar, device);

    public LaplaceSubset Subset { get; }
    public LaplaceHessian Hessian { get; }
    public LaplaceCurvature Curvature { get; }
    public LaplaceLink Link { get; }
    public LaplacePriorPrecision PriorPrecisionTuning { get; }

    /// <summary>Whether <see cref="Fit"/> has run (or a fitted checkpoint was loaded).</summary>
    public bool IsFitted => fitted.item<double>() > 0;

    /// <summary>The prior precision τ (the first layer's when tuned per layer): the declared prior's until the fit, then the marginal likelihood's.</summary>
    public double PriorPrecision => priorPrecisions[0].item<double>();

    /// <summary>The prior precisions: one, or one per covered layer.</summary>
    public double[] PriorPrecisions => priorPrecisions.data<double>().ToArray();

    /// <summary>The number of weights the approximation covers.</summary>
    public long ParameterCount => layers.Sum(l => l.ParameterCount);

    /// <summary>Seconds the last <see cref="Fit"/> in this process took (the curvature pass and the tuning); null before.</summary>
    public double? FitSeconds { get; private set; }

    /// <summary>The noise level the marginal likelihood chose for a regression network that learns it; null otherwise.</summary>
    public double? NoiseStd => noiseStd.item<double>() > 0 ? noiseStd.item<double>() : null;

    /// <summary>The last layer alone: its outputs are the network's, so its Jacobian is the identity and no backward pass runs.</summary>
    bool OutputLayerOnly => Subset == LaplaceSubset.LastLayer;

    /// <summary>Examples per batch: the backward passes of all-weights curvature hold [n, K, O, T] gradients per layer.</summary>
    int BatchSize => OutputLayerOnly ? 1000 : 250;

    // ───────────────────────────── the fit ─────────────────────────────

    /// <summary>
    /// One pass over <paramref name="data"/> at the trained parameters: accumulates the curvature and the log likelihood,
    /// then sets the prior precisions (and a learned regression noise) to the maximiser of the marginal likelihood.
    /// </summary>
    public void Fit(BayesianModule model, LabelledData data, FitOptions options)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        ResetCurvature();
        AccumulateCurvature(model, data);
        CompleteFit(model);
        FitSeconds = clock.Elapsed.TotalSeconds;
    }

    /// <summary>Zeroes the sums a fit accumulates, and marks the approximation as not fitted.</summary>
    public void ResetCurvature()
    {
        using var noGrad = no_grad();
        foreach (var buffer in Sums.Concat(new[] { fitted, noiseStd })) buffer.zero_();
    }

    /// <summary>
    /// Adds <paramref name="data"/>'s unnormalised curvature sums, log likelihood and example count at the trained
    /// parameters to those held: a fit's data may be split into shards, each accumulated anywhere (the Diagonal, Kron
    /// factors and Full sums add exactly), then combined with <see cref="AddCurvature"/> and finished once with
    /// <see cref="CompleteFit"/>.
    /// </summary>
    public void AccumulateCurvature(BayesianModule model, LabelledData data)
    {
        if (model.Heteroscedastic) throw new NotSupportedException("Laplace does not support a heteroscedastic likelihood yet.");
        Traced(model, trace =>
        {
            long n = data.Count;
            for (long start = 0; start < n; start += BatchSize)
            {
                using var scope = NewDisposeScope();
                long size = Math.Min(BatchSize, n - start);
                var inputs = data.Inputs.narrow(0, start, size).to(fitted.device);
                var targets = data.Targets.narrow(0, start, size).to(fitted.device);
                Tensor output;
                using (OutputLayerOnly ? no_grad() : enable_grad()) output = model.forward(inputs);
                using var noGrad = no_grad();
                logLikelihood.add_(model.LogLikelihood(output, targets).sum().to(ScalarType.Float64));
                var f = output.detach().to(ScalarType.Float64);
                if (model.Likelihood == Likelihood.Gaussian)
                    squaredResiduals.add_((f - targets.view(output.shape).to(ScalarType.Float64)).square().sum());
                var factor = LikelihoodHessianFactor(model, f, targets);
                if (Hessian == LaplaceHessian.Full && OutputLayerOnly) AccumulateOutputLayerFull(trace, factor.matmul(factor.transpose(1, 2)), output.dtype);
                else Accumulate(trace, Backpropagate(output, trace, factor.to(output.dtype)));
                trace.Clear();
            }
            using (no_grad()) count.add_(n);
            return true;
        });
    }

    /// <summary>Adds the sums another approximation accumulated (a shard: the same declaration at the same weights).</summary>
    public void AddCurvature(LaplaceApproximation shard)
    {
        if (shard.Hessian != Hessian || shard.Subset != Subset || shard.layers.Length != layers.Length)
            throw new ArgumentException($"A shard of a {shard.Subset} {shard.Hessian} approximation cannot add to a {Subset} {Hessian} one.", nameof(shard));
        using var noGrad = no_grad();
        foreach (var (mine, theirs) in Sums.Zip(shard.Sums))
        {
            if (!mine.shape.SequenceEqual(theirs.shape))
                throw new ArgumentException($"The shard's sums are [{string.Join(", ", theirs.shape)}], these [{string.Join(", ", mine.shape)}].", nameof(shard));
            mine.add_(theirs.to(mine.device));
        }
    }

    /// <summary>The examples whose curvature the sums hold.</summary>
    public long CurvatureExamples => (long)count.item<double>();

    /// <summary>
    /// Finishes a fit from the sums accumulated: sets the prior precisions (and a learned regression noise) to the
    /// maximiser of the marginal likelihood.
    /// </summary>
    public void CompleteFit(BayesianModule model)
    {
        long n = CurvatureExamples;
        if (n <= 0) throw new InvalidOperationException("No curvature to finish: accumulate it over the training data first.");
        using var noGrad = no_grad();
        fitted.fill_(1);
        // A learned noise level (a parameter, so its tensor records gradients) is tuned with τ; a declared one is kept.
        bool learnedNoise;
        using (enable_grad()) learnedNoise = model.Likelihood == Likelihood.Gaussian && model.NoiseStd().requires_grad;
        if (learnedNoise && Curvature == LaplaceCurvature.Ggn) TuneNoiseAndPriorPrecisions(ModelNoiseStd(model), n * model.OutputSize);
        else TunePriorPrecision();
    }

    /// <summary>The buffers a fit sums over examples.</summary>
    IEnumerable<Tensor> Sums => first.Concat(second).Concat(rows).Concat(new[] { full, logLikelihood, count, squaredResiduals });

    /// <summary>Runs <paramref name="body"/> with the network at its posterior mean and every layer traced, then restores both.</summary>
    static T Traced<T>(BayesianModule model, Func<LayerTrace, T> body)
    {
        var (previousMode, previousTrace) = (model.Mode, model.Trace);
        var trace = new LayerTrace();
        (model.Mode, model.Trace) = (SampleMode.Mean, trace);
        try { return body(trace); }
        finally { (model.Mode, model.Trace) = (previousMode, previousTrace); }
    }

    /// <summary>
    /// L [n, K, C] with L Lᵀ the likelihood's Hessian in the outputs (GGN: softmax diag √p − p √pᵀ, Gaussian I/s), or
    /// its gradient at the observed target as one column (empirical Fisher), in float64.
    /// </summary>
    Tensor LikelihoodHessianFactor(BayesianModule model, Tensor f, Tensor targets)
    {
        long k = f.shape[1];
        if (model.Likelihood == Likelihood.Categorical)
        {
            var p = nn.functional.softmax(f, 1);
            if (Curvature == LaplaceCurvature.EmpiricalFisher)
                return (p - nn.functional.one_hot(targets, k).to(ScalarType.Float64)).unsqueeze(2);
            var root = p.sqrt();
            return diag_embed(root) - p.unsqueeze(2) * root.unsqueeze(1);
        }
        double precision = 1 / Math.Pow(ModelNoiseStd(model), 2);
        return Curvature == LaplaceCurvature.Ggn
            ? eye(k, dtype: ScalarType.Float64, device: f.device).expand(f.shape[0], k, k) * Math.Sqrt(precision)
            : ((f - targets.view(f.shape).to(ScalarType.Float64)) * precision).unsqueeze(2);
    }

    /// <summary>
    /// Per covered layer, the gradients of ⟨vectors[:, :, c], f⟩ with respect to its pre-activation, [n, C, O, T]: C
    /// backward passes through the traced forward pass (none for the last layer alone, whose pre-activation is f).
    /// </summary>
    Tensor[] Backpropagate(Tensor output, LayerTrace trace, Tensor vectors)
    {
        if (OutputLayerOnly) return new[] { vectors.transpose(1, 2).unsqueeze(3) };
        long c = vectors.shape[2];
        var preActivations = layers.Select(l => trace.PreActivation(l.Index)).ToArray();
        var perVector = new Tensor[c][];
        using (enable_grad())
            for (long i = 0; i < c; i++)
                perVector[i] = autograd.grad(new[] { output }, preActivations, new[] { vectors.select(2, i).contiguous() }, retain_graph: i < c - 1)
                    .Select((g, l) => layers[l].Positions(g)).ToArray();
        return layers.Select((_, l) => stack(perVector.Select(v => v[l]).ToArray(), 1)).ToArray();
    }

    /// <summary>Adds one batch's curvature: per layer from its patches U [n, T, J] and its gradients g [n, C, O, T].</summary>
    void Accumulate(LayerTrace trace, Tensor[] gradients)
    {
        var jacobians = new List<Tensor>();
        for (int i = 0; i < layers.Length; i++)
        {
            var layer = layers[i];
            var g = gradients[i];
            var u = layer.Patches(trace.Input(layer.Index), g.dtype);
            switch (Hessian)
            {
                case LaplaceHessian.Diagonal when u.shape[1] == 1:
                    // Dense: Σ_c (g_c a ᵀ)² = (Σ_c g_c²) (a²)ᵀ, one product for the batch.
                    first[i].add_(g.square().sum(dim: 1).squeeze(2).t().matmul(u.squeeze(1).square()).to(ScalarType.Float64));
                    break;
                case LaplaceHessian.Diagonal:
                    first[i].add_(einsum("ncot,ntj->ncoj", g, u).square().sum(new long[] { 0, 1 }).to(ScalarType.Float64));
                    break;
                case LaplaceHessian.Kron:
                    var patches = u.reshape(-1, layer.Width);
                    var outputs = g.permute(0, 1, 3, 2).reshape(-1, layer.Outputs);
                    first[i].add_(patches.t().matmul(patches).to(ScalarType.Float64));
                    second[i].add_(outputs.t().matmul(outputs).to(ScalarType.Float64));
                    rows[i].add_(u.shape[0] * u.shape[1]);
                    break;
                case LaplaceHessian.Full:
                    jacobians.Add(einsum("ncot,ntj->ncoj", g, u).flatten(2));
                    break;
            }
        }
        if (Hessian == LaplaceHessian.Full)
        {
            var jacobian = cat(jacobians.ToArray(), 2).flatten(0, 1); // [n·C, P]
            full.add_(jacobian.t().matmul(jacobian).to(ScalarType.Float64));
        }
    }

    /// <summary>
    /// Full over the last layer: H = Σ_n Λ_n ⊗ ã_n ã_nᵀ, block (k, l) gaining Ãᵀ diag(Λ[:, k, l]) Ã — K(K+1)/2 products of
    /// the batch's inputs instead of a [n·K, K·J] Jacobian.
    /// </summary>
    void AccumulateOutputLayerFull(LayerTrace trace, Tensor lambda, ScalarType dtype)
    {
        var layer = layers[0];
        var a = layer.Patches(trace.Input(layer.Index), dtype).squeeze(1);
        long k = layer.Outputs, width = layer.Width;
        var blocks = full.view(k, width, k, width);
        for (long i = 0; i < k; i++)
            for (long j = i; j < k; j++)
            {
                var block = a.t().matmul(a * lambda[.., i, j].to(dtype).unsqueeze(1)).to(ScalarType.Float64);
                blocks[i, .., j, ..].add_(block);
                if (j != i) blocks[j, .., i, ..].add_(block.t());
            }
    }

    // ─────────────────────── curvature, covariance, marginal likelihood ───────────────────────

    /// <summary>The likelihood's curvature H as a dense [P, P] matrix in float64, whatever the structure (small nets).</summary>
    public Tensor LikelihoodCurvature()
    {
        RequireFit();
        if (Hessian == LaplaceHessian.Full) return full.clone();
        return BlockDiagonal(layers.Select((_, i) => Hessian == LaplaceHessian.Kron ? kron(second[i], first[i]) / rows[i] : diag_embed(first[i].flatten())));
    }

    /// <summary>The posterior covariance Σ = (H + P0)⁻¹, [P, P] in float64, layers in order and each θ row by row (small nets).</summary>
    public Tensor Covariance()
    {
        RequireFit();
        if (Hessian == LaplaceHessian.Full) return FullCovariance();
        using var factors = Decompose();
        return BlockDiagonal(factors.Layers.Select(f =>
        {
            if (f.OutputVectors is null) return diag_embed(f.Variances.flatten());
            var q = kron(f.OutputVectors, f.InputVectors!);
            return q.matmul(diag_embed(f.Variances.flatten())).matmul(q.t());
        }));
    }

    Tensor FullCovariance() => linalg.inv(full + diag_embed(PriorPrecisionPerWeight()));

    static Tensor BlockDiagonal(IEnumerable<Tensor> blocks)
    {
        var list = blocks.ToList();
        long size = list.Sum(b => b.shape[0]), at = 0;
        var result = zeros(new[] { size, size }, ScalarType.Float64, list[0].device);
        foreach (var block in list)
        {
            result.narrow(0, at, block.shape[0]).narrow(1, at, block.shape[0]).copy_(block);
            at += block.shape[0];
        }
        return result;
    }

    /// <summary>The prior precision of every covered weight, [P] (Full's diagonal loading).</summary>
    Tensor PriorPrecisionPerWeight() =>
        cat(layers.Select((l, i) => full(l.ParameterCount, PrecisionOfLayer(i), ScalarType.Float64, fitted.device)).ToArray());

    double PrecisionOfLayer(int layer) => priorPrecisions[PriorPrecisionTuning == LaplacePriorPrecision.PerLayer ? layer : 0].item<double>();

    /// <summary>Per prior group (one, or one per layer): the likelihood curvature's eigenvalues, the weights' ‖θ − m0‖², their count.</summary>
    (Tensor Eigenvalues, double SquaredDistance, long Size)[] Groups()
    {
        RequireFit();
        var perLayer = layers.Select((layer, i) =>
        {
            double distance;
            using (var theta = layer.Parameters()) distance = (theta - layer.Prior.Mean).square().sum().item<double>();
            var eigenvalues = Hessian switch
            {
                LaplaceHessian.Kron => linalg.eigvalsh(second[i]).unsqueeze(1).mul(linalg.eigvalsh(first[i]).unsqueeze(0)).flatten() / rows[i],
                LaplaceHessian.Diagonal => first[i].flatten().clone(),
                _ => null,
            };
            return (Eigenvalues: eigenvalues, SquaredDistance: distance, Size: layer.ParameterCount);
        }).ToArray();
        if (Hessian == LaplaceHessian.Full)
            return new[] { (linalg.eigvalsh(full), perLayer.Sum(l => l.SquaredDistance), ParameterCount) };
        if (PriorPrecisionTuning == LaplacePriorPrecision.PerLayer) return perLayer.Select(l => (l.Eigenvalues!, l.SquaredDistance, l.Size)).ToArray();
        return new[] { (cat(perLayer.Select(l => l.Eigenvalues!).ToArray()), perLayer.Sum(l => l.SquaredDistance), ParameterCount) };
    }

    /// <summary>The eigenvalues of the likelihood's curvature H (float64, one per weight).</summary>
    public Tensor CurvatureEigenvalues() => cat(Groups().Select(g => g.Eigenvalues).ToArray());

    /// <summary>
    /// The Laplace marginal likelihood: log p(D | θ) + log p(θ) + (P/2) log 2π − ½ log det(H + P0)
    /// = log p(D | θ) + Σ_groups [(P_g/2) log τ_g − τ_g ‖θ_g − m0‖²/2 − ½ Σ_i log(λ_i + τ_g)], at prior precisions
    /// <paramref name="taus"/> (one per group; the fitted ones when null).
    /// </summary>
    public double LogMarginalLikelihood(double[]? taus = null)
    {
        var groups = Groups();
        taus ??= PriorPrecisions;
        double total = logLikelihood.item<double>();
        for (int i = 0; i < groups.Length; i++)
        {
            var (eigenvalues, distance, size) = groups[i];
            total += 0.5 * size * Math.Log(taus[i]) - 0.5 * taus[i] * distance - 0.5 * (eigenvalues + taus[i]).log().sum().item<double>();
            eigenvalues.Dispose();
        }
        return total;
    }

    /// <summary>The marginal likelihood with every group's prior precision at <paramref name="tau"/>.</summary>
    public double LogMarginalLikelihood(double tau) => LogMarginalLikelihood(Enumerable.Repeat(tau, (int)priorPrecisions.shape[0]).ToArray());

    /// <summary>
    /// d/d log τ of the marginal likelihood with every group at τ: Σ_g [P_g/2 − τ ‖θ_g − m0‖²/2 − ½ Σ τ/(λ_i + τ)], each
    /// term strictly decreasing in τ, so each group's own slope has one root, its maximiser.
    /// </summary>
    public double LogMarginalLikelihoodSlope(double tau) => Groups().Sum(g => { using var e = g.Eigenvalues; return SlopeInLogTau(tau, g); });

    static double SlopeInLogTau(double tau, (Tensor Eigenvalues, double SquaredDistance, long Size) group) =>
        0.5 * group.Size - 0.5 * tau * group.SquaredDistance - 0.5 * (tau / (group.Eigenvalues + tau)).sum().item<double>();

    /// <summary>Sets each group's τ to the maximiser of the marginal likelihood, the root of its slope in log τ.</summary>
    public void TunePriorPrecision()
    {
        var groups = Groups();
        for (int i = 0; i < groups.Length; i++)
        {
            var group = groups[i];
            priorPrecisions[i].fill_(RootOfSlope(tau => SlopeInLogTau(tau, group)));
            group.Eigenvalues.Dispose();
        }
    }

    /// <summary>
    /// The root of a slope that decreases in log x, by bisection over log x ∈ [−20, 20] (exact to the last halving):
    /// x itself, or log x when <paramref name="logarithm"/> (the slope then takes log x).
    /// </summary>
    static double RootOfSlope(Func<double, double> slope, bool logarithm = false)
    {
        double At(double logX) => slope(logarithm ? logX : Math.Exp(logX));
        double low = -20, high = 20;
        if (At(high) > 0) low = high;
        else if (At(low) < 0) high = low;
        for (int i = 0; i < 100 && high - low > 1e-12; i++)
        {
            double middle = 0.5 * (low + high);
            if (At(middle) > 0) low = middle; else high = middle;
        }
        double root = 0.5 * (low + high);
        return logarithm ? root : Math.Exp(root);
    }

    static double ModelNoiseStd(BayesianModule model)
    {
        using var noGrad = no_grad();
        return model.NoiseStd().to(ScalarType.Float64).item<double>();
    }

    /// <summary>
    /// For a Gaussian likelihood whose noise s is learned: maximises the marginal likelihood over s and the prior
    /// precisions together, by turns (each a bisection on a monotone slope), then keeps s. With the GGN,
    /// H = H_fit · s_fit²/s², and log p(D | θ) = −M log s − R/(2s²) − (M/2) log 2π (M targets, R the squared residuals),
    /// so the slope in log s is −M + R/s² + Σ_g Σ_i cλ_i/(cλ_i + τ_g), c = s_fit²/s², decreasing in s. The curvature and
    /// the log likelihood are rescaled to the chosen s, so everything after sees one consistent fit.
    /// </summary>
    void TuneNoiseAndPriorPrecisions(double fittedStd, long targets)
    {
        var groups = Groups(); // eigenvalues at s_fit
        double residuals = squaredResiduals.item<double>(), s = fittedStd;
        for (int round = 0; round < 50; round++)
        {
            double scale = fittedStd * fittedStd / (s * s);
            for (int i = 0; i < groups.Length; i++)
            {
                using var scaled = groups[i].Eigenvalues * scale;
                var group = (scaled, groups[i].SquaredDistance, groups[i].Size);
                priorPrecisions[i].fill_(RootOfSlope(tau => SlopeInLogTau(tau, group)));
            }
            var taus = PriorPrecisions;
            double previous = s;
            s = Math.Exp(RootOfSlope(logS =>
            {
                double candidate = Math.Exp(logS), c = fittedStd * fittedStd / (candidate * candidate);
                double slope = -targets + residuals / (candidate * candidate);
                for (int i = 0; i < groups.Length; i++)
                {
                    using var scaled = groups[i].Eigenvalues * c;
                    slope += (scaled / (scaled + taus[i])).sum().item<double>();
                }
                return slope;
            }, logarithm: true));
            if (Math.Abs(Math.Log(s / previous)) < 1e-10) break;
        }
        foreach (var group in groups) group.Eigenvalues.Dispose();
        double factor = fittedStd * fittedStd / (s * s);
        foreach (var curvature in Hessian switch { LaplaceHessian.Kron => second, LaplaceHessian.Diagonal => first, _ => new[] { full } })
            curvature.mul_(factor);
        noiseStd.fill_(s);
        logLikelihood.fill_(-targets * Math.Log(s) - residuals / (2 * s * s) - 0.5 * targets * Math.Log(2 * Math.PI));
    }

    // ───────────────────────────── the predictive ─────────────────────────────

    /// <summary>
    /// One layer's posterior covariance in its eigenbasis: θ = Q_G δ̃ Q_Aᵀ with δ̃ independent, of variances
    /// <see cref="Variances"/> [O, J] (Diagonal: no rotation; Kron: 1/(λ_g λ_a / rows + τ)).
    /// </summary>
    sealed record LayerFactors(Tensor Variances, Tensor? OutputVectors, Tensor? InputVectors);

    /// <summary>What the predictive needs, made once per prediction: per layer its factors, or Full's covariance.</summary>
    sealed class Factors(LayerFactors[] layers, Tensor? covariance) : IDisposable
    {
        public LayerFactors[] Layers { get; } = layers;
        public Tensor? Covariance { get; } = covariance;
        Tensor? cholesky;

        /// <summary>C with C Cᵀ = Σ, for drawing weights (a tiny jitter keeps it real).</summary>
        public Tensor Cholesky => cholesky ??= linalg.cholesky(Covariance! + eye(Covariance!.shape[0], dtype: Covariance.dtype, device: Covariance.device) * 1e-12);

        public void Dispose()
        {
            foreach (var f in Layers) { f.Variances.Dispose(); f.OutputVectors?.Dispose(); f.InputVectors?.Dispose(); }
            Covariance?.Dispose();
            cholesky?.Dispose();
        }
    }

    Factors Decompose()
    {
        RequireFit();
        if (Hessian == LaplaceHessian.Full) return new Factors(Array.Empty<LayerFactors>(), FullCovariance());
        return new Factors(layers.Select((_, i) =>
        {
            double tau = PrecisionOfLayer(i);
            if (Hessian == LaplaceHessian.Diagonal) return new LayerFactors((first[i] + tau).reciprocal(), null, null);
            var (a, qa) = linalg.eigh(first[i]);
            var (g, qg) = linalg.eigh(second[i]);
            return new LayerFactors((g.unsqueeze(1) * a.unsqueeze(0) / rows[i] + tau).reciprocal(), qg, qa);
        }).ToArray(), null);
    }

    /// <summary>
    /// The linearised predictive: per batch one posterior-mean pass (and, for all weights, K backward passes for the
    /// Jacobians of the outputs), the outputs' covariance J Σ Jᵀ, then the link. <see cref="LaplaceLink.Sampling"/>
    /// instead runs the network at <paramref name="samples"/> draws of the weights.
    /// </summary>
    public Predictive Predict(BayesianModule model, Tensor inputs, int samples, int batchSize)
    {
        RequireFit();
        using var factors = Decompose();
        if (Link == LaplaceLink.Sampling) return SampledPredictive(model, inputs, samples, batchSize, factors);
        return Traced(model, trace =>
        {
            bool categorical = model.Likelihood == Likelihood.Categorical;
            var first = new List<Tensor>();
            var second = new List<Tensor>();
            long n = inputs.shape[0];
            batchSize = Math.Min(batchSize, BatchSize);
            for (long start = 0; start < n; start += batchSize)
            {
                using var scope = NewDisposeScope();
                Tensor output;
                using (OutputLayerOnly ? no_grad() : enable_grad()) output = model.forward(inputs.narrow(0, start, Math.Min(batchSize, n - start)).to(fitted.device));
                var covariance = OutputCovariance(output, trace, factors);
                trace.Clear();
                using var noGrad = no_grad();
                var f = output.detach().to(ScalarType.Float64);
                if (categorical)
                {
                    var probabilities = Link == LaplaceLink.Probit
                        ? nn.functional.softmax(f / (1 + Math.PI / 8 * CentredVariances(covariance)).sqrt(), 1)
                        : MonteCarloSoftmax(f, covariance, samples);
                    first.Add(probabilities.to(output.dtype).MoveToOuterDisposeScope());
                }
                else
                {
                    first.Add(output.detach().MoveToOuterDisposeScope());
                    second.Add((covariance.diagonal(0, 1, 2) + Math.Pow(NoiseStd ?? ModelNoiseStd(model), 2)).to(output.dtype).MoveToOuterDisposeScope());
                }
            }
            return categorical
                ? Predictive.Categorical(cat(first.ToArray(), 0), Link == LaplaceLink.Probit ? 1 : samples)
                : Predictive.Gaussian(cat(first.ToArray(), 0), cat(second.ToArray(), 0), 1);
        });
    }

    /// <summary>The linearised model's covariance of the outputs at <paramref name="inputs"/>, V_n = J_n Σ J_nᵀ [n, K, K] in float64.</summary>
    public Tensor OutputCovariance(BayesianModule model, Tensor inputs)
    {
        RequireFit();
        using var factors = Decompose();
        return Traced(model, trace =>
        {
            Tensor output;
            using (OutputLayerOnly ? no_grad() : enable_grad()) output = model.forward(inputs.to(fitted.device));
            return OutputCovariance(output, trace, factors);
        });
    }

    /// <summary>
    /// The linearised model's covariance of the outputs, V_n = J_n Σ J_nᵀ [n, K, K] in float64, per layer from its
    /// patches and the Jacobians of the outputs in its pre-activation — never a Jacobian of all weights (Full aside,
    /// which is for small nets).
    /// </summary>
    Tensor OutputCovariance(Tensor output, LayerTrace trace, Factors factors)
    {
        long k = output.shape[1], n = output.shape[0];
        var dtype = Hessian == LaplaceHessian.Full ? ScalarType.Float64 : output.dtype;
        var oneHot = eye(k, dtype: output.dtype, device: output.device).expand(n, k, k);
        var jacobians = Backpropagate(output, trace, oneHot); // per layer [n, K, O, T]
        using var noGrad = no_grad();
        if (Hessian == LaplaceHessian.Full && OutputLayerOnly)
        {
            // V[n, k, l] = ã_nᵀ Σ_kl ã_n: per k, one product of ã with Σ's row of blocks, then dot products with ã.
            var layer = layers[0];
            var a = layer.Patches(trace.Input(layer.Index), ScalarType.Float32).squeeze(1);
            var blockRows = factors.Covariance!.view(k, layer.Width, k * layer.Width).to(ScalarType.Float32);
            var rowsOfV = new Tensor[k];
            for (long i = 0; i < k; i++)
                rowsOfV[i] = (a.matmul(blockRows[i]).view(-1, k, layer.Width) * a.unsqueeze(1)).sum(dim: 2);
            return stack(rowsOfV, 1).to(ScalarType.Float64);
        }
        if (Hessian == LaplaceHessian.Full)
        {
            var jacobian = cat(layers.Select((l, i) => einsum("nkot,ntj->nkoj", jacobians[i], l.Patches(trace.Input(l.Index), jacobians[i].dtype)).flatten(2)).ToArray(), 2)
                .to(ScalarType.Float64); // [n, K, P]
            return jacobian.matmul(factors.Covariance!).matmul(jacobian.transpose(1, 2));
        }
        Tensor? v = null;
        for (int i = 0; i < layers.Length; i++)
        {
            var layer = layers[i];
            var f = factors.Layers[i];
            var g = jacobians[i];
            var u = layer.Patches(trace.Input(layer.Index), dtype);
            if (f.OutputVectors is not null)
            {
                // Kron: rotate into the eigenbasis, where the covariance is diagonal.
                g = einsum("nkot,op->nkpt", g, f.OutputVectors.to(dtype));
                u = u.matmul(f.InputVectors!.to(dtype));
            }
            var variances = f.Variances.to(dtype);
            Tensor part;
            if (u.shape[1] == 1)
            {
                // Dense: Σ_oj g_ko g_lo a_j² s_oj = Σ_o g_ko g_lo (a² sᵀ)_o.
                var weights = u.squeeze(1).square().matmul(variances.t()); // [n, O]
                var gs = g.squeeze(3);
                part = (gs * weights.unsqueeze(1)).matmul(gs.transpose(1, 2));
            }
            else
            {
                var jacobian = einsum("nkot,ntj->nkoj", g, u).flatten(2); // [n, K, O·J]: this layer's only
                part = (jacobian * variances.flatten().unsqueeze(0).unsqueeze(0)).matmul(jacobian.transpose(1, 2));
            }
            part = part.to(ScalarType.Float64);
            v = v is null ? part : v + part;
        }
        return v!;
    }

    /// <summary>
    /// The variances of the logits after removing their common shift, diag(C V C) with C = I − 11ᵀ/K. The softmax ignores
    /// a shift of all logits, so f and C f give the same predictive; the probit approximation scales each logit by its own
    /// variance alone, and a shared variance (the softmax GGN's null direction, whose posterior variance is 1/τ) would
    /// flatten every prediction for nothing.
    /// </summary>
    static Tensor CentredVariances(Tensor covariance)
    {
        var rowMeans = covariance.mean(new long[] { 2 });
        var total = rowMeans.mean(new long[] { 1 }, keepdim: true);
        return covariance.diagonal(0, 1, 2) - 2 * rowMeans + total;
    }

    /// <summary>The average softmax over <paramref name="samples"/> draws f + L ε, L Lᵀ = V (a tiny jitter keeps L real).</summary>
    static Tensor MonteCarloSoftmax(Tensor f, Tensor covariance, int samples)
    {
        long k = f.shape[1];
        var cholesky = linalg.cholesky(covariance + eye(k, dtype: covariance.dtype, device: covariance.device) * 1e-10);
        Tensor? sum = null;
        for (int s = 0; s < samples; s++)
        {
            var draw = f + cholesky.matmul(randn_like(f).unsqueeze(2)).squeeze(2);
            var p = nn.functional.softmax(draw, 1);
            sum = sum is null ? p : sum + p;
        }
        return sum! / samples;
    }

    /// <summary>
    /// The sampling predictive: <paramref name="samples"/> draws θ ~ N(θ_MAP, Σ), each shifted into the layers, the
    /// network run at it and shifted back; classification averages the softmax, regression takes the mixture's moments.
    /// </summary>
    Predictive SampledPredictive(BayesianModule model, Tensor inputs, int samples, int batchSize, Factors factors)
    {
        if (Hessian == LaplaceHessian.Full) _ = factors.Cholesky; // made once, outside the per-draw scopes
        return WeightAverage.Predict(model, inputs, fitted.device, batchSize, samples, _ =>
        {
            var offsets = DrawOffsets(factors);
            for (int i = 0; i < layers.Length; i++) layers[i].Shift(offsets[i]);
            return () => { for (int i = 0; i < layers.Length; i++) layers[i].Shift(-offsets[i]); };
        }, () => Math.Pow(NoiseStd ?? ModelNoiseStd(model), 2));
    }

    /// <summary>One draw δ ~ N(0, Σ) per layer, [O, J] each: Q_G (√s ⊙ E) Q_Aᵀ per layer, or C ε split by layer for Full.</summary>
    Tensor[] DrawOffsets(Factors factors)
    {
        if (Hessian == LaplaceHessian.Full)
        {
            var draw = factors.Cholesky.matmul(randn(ParameterCount, dtype: ScalarType.Float64, device: fitted.device));
            long at = 0;
            return layers.Select(l => { var part = draw.narrow(0, at, l.ParameterCount).view(l.Outputs, l.Width); at += l.ParameterCount; return part; }).ToArray();
        }
        return factors.Layers.Select(f =>
        {
            var rotated = randn_like(f.Variances) * f.Variances.sqrt();
            return f.OutputVectors is null ? rotated : f.OutputVectors.matmul(rotated).matmul(f.InputVectors!.t());
        }).ToArray();
    }

    void RequireFit()
    {
        if (!IsFitted) throw new InvalidOperationException("The Laplace approximation is not fitted yet: train the network (Trainer.Fit fits it) or load a fitted checkpoint.");
    }
}

using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// The last-layer Laplace approximation (docs/METHODS.md §5; Daxberger et al. 2021): the network trains as MAP, then one
/// pass over the training data gives the curvature of the last dense layer's log likelihood at the mode, H, from that
/// layer's inputs a and outputs f alone (no backward pass: for the last layer the Jacobian of f is the input itself).
/// The posterior over its weights and bias θ = [W | b] is N(θ_MAP, (H + τ I)⁻¹), τ the prior precision chosen by the
/// Laplace marginal likelihood; the predictive linearises f in θ, so f ~ N(f_MAP, V) per example, and classification
/// uses the probit approximation or Monte Carlo over that Gaussian. The fitted curvature, τ and the data's log
/// likelihood are buffers, saved and loaded with the network's checkpoint.
/// </summary>
/// <remarks>
/// Parameters are ordered as W̃ = [W | b] row by row (index k·(D+1) + d, the bias as a constant-1 input), so the
/// curvature of one example is Λ ⊗ ã ãᵀ, Λ the likelihood's Hessian in f (GGN) or g gᵀ (empirical Fisher). Full keeps
/// Σ_n Λ_n ⊗ ã_n ã_nᵀ; Kron keeps A = Σ ã ãᵀ and G = Σ Λ and uses G ⊗ A / N; Diagonal keeps Σ_n diag(Λ_n) ã_n².
/// Each batch's products run in the network's dtype; they are summed and solved in float64.
/// </remarks>
public sealed class LastLayerLaplace : nn.Module, IPosteriorFit, IPredictiveMethod
{
    readonly PointDense layer;
    readonly int layerIndex;
    readonly Tensor fitted, priorPrecision, logLikelihood, count, first, second, squaredResiduals, noiseStd;

    /// <param name="layer">The last layer's parameters (a point estimate under a Normal prior).</param>
    /// <param name="layerIndex">Its index in forward order, as its generated body records it in the trace.</param>
    /// <param name="hessian">How the curvature is stored: Kron (default), Diagonal or Full.</param>
    /// <param name="curvature">GGN (default) or the empirical Fisher.</param>
    /// <param name="link">Probit (default) or Monte Carlo over the outputs' Gaussian.</param>
    /// <param name="device">Where the curvature lives: the network's device.</param>
    public LastLayerLaplace(PointDense layer, int layerIndex, LaplaceHessian hessian = LaplaceHessian.Kron,
        LaplaceCurvature curvature = LaplaceCurvature.Ggn, LaplaceLink link = LaplaceLink.Probit, Device? device = null)
        : base(nameof(LastLayerLaplace))
    {
        this.layer = layer ?? throw new ArgumentNullException(nameof(layer));
        if (layer.Prior is not NormalPrior) throw new ArgumentException("Laplace needs a Normal prior on the last layer.", nameof(layer));
        this.layerIndex = layerIndex;
        (Hessian, Curvature, Link) = (hessian, curvature, link);
        long k = layer.Outputs, d = layer.Inputs + 1;
        var (firstShape, secondShape) = hessian switch
        {
            LaplaceHessian.Full => (new[] { k * d, k * d }, new[] { 1L }),
            LaplaceHessian.Kron => (new[] { d, d }, new[] { k, k }),
            LaplaceHessian.Diagonal => (new[] { k, d }, new[] { 1L }),
            _ => throw new ArgumentOutOfRangeException(nameof(hessian), hessian, "Unknown Hessian structure."),
        };
        first = zeros(firstShape, ScalarType.Float64, device);
        second = zeros(secondShape, ScalarType.Float64, device);
        fitted = zeros(1, ScalarType.Float64, device);
        priorPrecision = full(1, ((NormalPrior)layer.Prior).Precision, ScalarType.Float64, device);
        logLikelihood = zeros(1, ScalarType.Float64, device);
        count = zeros(1, ScalarType.Float64, device);
        squaredResiduals = zeros(1, ScalarType.Float64, device);
        noiseStd = zeros(1, ScalarType.Float64, device);
        register_buffer("curvature", first);
        register_buffer("curvature_second_factor", second);
        register_buffer("fitted", fitted);
        register_buffer("prior_precision", priorPrecision);
        register_buffer("log_likelihood", logLikelihood);
        register_buffer("count", count);
        register_buffer("squared_residuals", squaredResiduals);
        register_buffer("noise_std", noiseStd);
    }

    public LaplaceHessian Hessian { get; }
    public LaplaceCurvature Curvature { get; }
    public LaplaceLink Link { get; }

    /// <summary>Whether <see cref="Fit"/> has run (or a fitted checkpoint was loaded).</summary>
    public bool IsFitted => fitted.item<double>() > 0;

    /// <summary>The prior precision τ: the declared prior's until the fit, then the one the marginal likelihood chose.</summary>
    public double PriorPrecision => priorPrecision.item<double>();

    /// <summary>The number of weights the approximation covers, K·(D + 1).</summary>
    public long ParameterCount => (long)layer.Outputs * (layer.Inputs + 1);

    /// <summary>Seconds the last <see cref="Fit"/> in this process took (the curvature pass and the prior's tuning); null before.</summary>
    public double? FitSeconds { get; private set; }

    /// <summary>
    /// One pass over <paramref name="data"/> at the trained parameters: accumulates the curvature and the log likelihood,
    /// then sets τ to the maximiser of the marginal likelihood (<see cref="TunePriorPrecision"/>).
    /// </summary>
    public void Fit(BayesianModule model, LabelledData data, FitOptions options)
    {
        if (model.Heteroscedastic) throw new NotSupportedException("Laplace does not support a heteroscedastic likelihood yet.");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Traced(model, trace =>
        {
            using var noGrad = no_grad();
            foreach (var buffer in new[] { first, second, logLikelihood, count, squaredResiduals, noiseStd }) buffer.zero_();
            long n = data.Count;
            const int BatchSize = 1000;
            for (long start = 0; start < n; start += BatchSize)
            {
                using var scope = NewDisposeScope();
                long size = Math.Min(BatchSize, n - start);
                var inputs = data.Inputs.narrow(0, start, size).to(first.device);
                var targets = data.Targets.narrow(0, start, size).to(first.device);
                var output = model.forward(inputs);
                logLikelihood.add_(model.LogLikelihood(output, targets).sum().to(ScalarType.Float64));
                if (model.Likelihood == Likelihood.Gaussian)
                    squaredResiduals.add_((output.to(ScalarType.Float64) - targets.view(output.shape).to(ScalarType.Float64)).square().sum());
                // The products run in the network's dtype (float32: twice float64's speed) and sum into float64 buffers.
                var input = trace.Input(layerIndex);
                var augmented = Augmented(input, input.dtype);
                Accumulate(augmented, OutputCurvature(model, trace.PreActivation(layerIndex).to(ScalarType.Float64), targets));
                trace.Clear();
            }
            count.fill_(n);
            fitted.fill_(1);
            // A learned noise level (a parameter, so its tensor records gradients) is tuned with τ; a declared one is kept.
            bool learnedNoise;
            using (enable_grad()) learnedNoise = model.Likelihood == Likelihood.Gaussian && model.NoiseStd().requires_grad;
            if (learnedNoise && Curvature == LaplaceCurvature.Ggn) TuneNoiseAndPriorPrecision(ModelNoiseStd(model), n * model.OutputSize);
            else TunePriorPrecision();
            return true;
        });
        FitSeconds = clock.Elapsed.TotalSeconds;
    }

    /// <summary>Runs <paramref name="body"/> with the network at its posterior mean and every layer traced, then restores both.</summary>
    static T Traced<T>(BayesianModule model, Func<LayerTrace, T> body)
    {
        var (previousMode, previousTrace) = (model.Mode, model.Trace);
        var trace = new LayerTrace();
        (model.Mode, model.Trace) = (SampleMode.Mean, trace);
        try { return body(trace); }
        finally { (model.Mode, model.Trace) = (previousMode, previousTrace); }
    }

    /// <summary>[a, 1] in float64: the bias as a constant-1 input.</summary>
    static Tensor Augmented(Tensor input, ScalarType dtype = ScalarType.Float64) =>
        cat(new[] { input.flatten(1).to(dtype), ones(input.shape[0], 1, dtype, input.device) }, 1);

    /// <summary>
    /// Λ_n = diag(d_n) + sign · u_n u_nᵀ, the likelihood's Hessian in f (GGN: softmax d = p, u = p, sign −1; Gaussian
    /// d = 1/s², no u) or the outer product of its gradient (empirical Fisher: d = 0, u = g, sign +1). The structure
    /// lets every Hessian form accumulate with matrix products instead of a [n, K, K] tensor per example.
    /// </summary>
    (Tensor D, Tensor? U, double Sign) OutputCurvature(BayesianModule model, Tensor f, Tensor targets)
    {
        long k = f.shape[1];
        if (model.Likelihood == Likelihood.Categorical)
        {
            var p = nn.functional.softmax(f, 1);
            return Curvature == LaplaceCurvature.Ggn
                ? (p, p, -1.0)
                : (zeros_like(p), p - nn.functional.one_hot(targets, k).to(ScalarType.Float64), 1.0);
        }
        double precision = 1 / Math.Pow(ModelNoiseStd(model), 2);
        return Curvature == LaplaceCurvature.Ggn
            ? (full_like(f, precision), null, 0.0)
            : (zeros_like(f), (f - targets.view(f.shape).to(ScalarType.Float64)) * precision, 1.0);
    }

    void Accumulate(Tensor a, (Tensor D, Tensor? U, double Sign) lambda)
    {
        var (d, u, sign) = lambda;
        long k = d.shape[1], width = a.shape[1];
        switch (Hessian)
        {
            case LaplaceHessian.Full:
                // Block (i, j) gains Ãᵀ diag(Λ[:, i, j]) Ã; Λ is symmetric, so each block below the diagonal is a transpose.
                var blocks = first.view(k, width, k, width);
                for (long i = 0; i < k; i++)
                    for (long j = i; j < k; j++)
                    {
                        var weight = u is null ? (i == j ? d[.., i] : null) : (i == j ? d[.., i] : zeros_like(d[.., i])) + sign * u[.., i] * u[.., j];
                        if (weight is null) continue;
                        var block = a.t().matmul(a * weight.to(a.dtype).unsqueeze(1)).to(ScalarType.Float64);
                        blocks[i, .., j, ..].add_(block);
                        if (j != i) blocks[j, .., i, ..].add_(block.t());
                    }
                break;
            case LaplaceHessian.Kron:
                first.add_(a.t().matmul(a).to(ScalarType.Float64));
                second.add_(diag(d.sum(dim: 0)));
                if (u is not null) second.add_(u.t().matmul(u), alpha: sign);
                break;
            case LaplaceHessian.Diagonal:
                var diagonal = u is null ? d : d + sign * u.square();
                first.add_(diagonal.to(a.dtype).t().matmul(a.square()).to(ScalarType.Float64));
                break;
        }
    }

    /// <summary>The likelihood's curvature H as a dense [P, P] matrix in float64, whatever the structure (small layers).</summary>
    public Tensor LikelihoodCurvature()
    {
        RequireFit();
        return Hessian switch
        {
            LaplaceHessian.Full => first.clone(),
            LaplaceHessian.Kron => kron(second, first) / count,
            _ => diag_embed(first.flatten()),
        };
    }

    /// <summary>The eigenvalues of the likelihood's curvature H (float64, one per weight).</summary>
    public Tensor CurvatureEigenvalues()
    {
        RequireFit();
        return Hessian switch
        {
            LaplaceHessian.Full => linalg.eigvalsh(first),
            LaplaceHessian.Kron => linalg.eigvalsh(second).unsqueeze(1).mul(linalg.eigvalsh(first).unsqueeze(0)).flatten() / count,
            _ => first.flatten(),
        };
    }

    /// <summary>‖θ_MAP − m0‖² over the last layer's weights and bias.</summary>
    double SquaredDistanceFromPriorMean()
    {
        double mean = ((NormalPrior)layer.Prior).Mean;
        using var noGrad = no_grad();
        return (layer.Weight.to(ScalarType.Float64) - mean).square().sum().item<double>() + (layer.Bias.to(ScalarType.Float64) - mean).square().sum().item<double>();
    }

    /// <summary>
    /// The Laplace marginal likelihood at prior precision <paramref name="tau"/>:
    /// log p(D | θ) + log p(θ) + (P/2) log 2π − ½ log det(H + τ I) = log p(D | θ) + (P/2) log τ − τ ‖θ − m0‖²/2 − ½ Σ log(λ_i + τ).
    /// </summary>
    public double LogMarginalLikelihood(double tau)
    {
        RequireFit();
        using var eigenvalues = CurvatureEigenvalues();
        return logLikelihood.item<double>() + 0.5 * ParameterCount * Math.Log(tau) - 0.5 * tau * SquaredDistanceFromPriorMean()
            - 0.5 * (eigenvalues + tau).log().sum().item<double>();
    }

    /// <summary>The marginal likelihood at the fitted τ.</summary>
    public double LogMarginalLikelihood() => LogMarginalLikelihood(PriorPrecision);

    /// <summary>
    /// d/d log τ of the marginal likelihood: P/2 − τ ‖θ − m0‖²/2 − ½ Σ τ/(λ_i + τ), strictly decreasing in τ, so its one
    /// root is the maximiser.
    /// </summary>
    public double LogMarginalLikelihoodSlope(double tau)
    {
        using var eigenvalues = CurvatureEigenvalues();
        return SlopeInLogTau(tau, eigenvalues);
    }

    double SlopeInLogTau(double tau, Tensor eigenvalues) =>
        0.5 * ParameterCount - 0.5 * tau * SquaredDistanceFromPriorMean() - 0.5 * (tau / (eigenvalues + tau)).sum().item<double>();

    /// <summary>Sets τ to the maximiser of the marginal likelihood, the root of its slope in log τ.</summary>
    public void TunePriorPrecision()
    {
        using var eigenvalues = CurvatureEigenvalues();
        priorPrecision.fill_(RootOfSlope(tau => SlopeInLogTau(tau, eigenvalues)));
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

    /// <summary>The noise level the marginal likelihood chose for a regression network that learns it; null otherwise.</summary>
    public double? NoiseStd => noiseStd.item<double>() > 0 ? noiseStd.item<double>() : null;

    /// <summary>
    /// For a Gaussian likelihood whose noise s is learned: maximises the marginal likelihood over s and τ together, by
    /// turns (each a bisection on a monotone slope), then keeps s. With the GGN, H = H_fit · s_fit²/s², and
    /// log p(D | θ) = −M log s − R/(2s²) − (M/2) log 2π (M targets, R the squared residuals), so the slope in log s is
    /// −M + R/s² + Σ cλ_i/(cλ_i + τ), c = s_fit²/s², decreasing in s. The curvature and the log likelihood are rescaled
    /// to the chosen s, so everything after sees one consistent fit.
    /// </summary>
    void TuneNoiseAndPriorPrecision(double fittedStd, long targets)
    {
        using var eigenvalues = CurvatureEigenvalues(); // at s_fit
        double residuals = squaredResiduals.item<double>(), s = fittedStd;
        for (int round = 0; round < 50; round++)
        {
            double scale = fittedStd * fittedStd / (s * s);
            using (var scaled = eigenvalues * scale) priorPrecision.fill_(RootOfSlope(tau => SlopeInLogTau(tau, scaled)));
            double tau = PriorPrecision;
            double previous = s;
            s = Math.Exp(RootOfSlope(logS =>
            {
                double candidate = Math.Exp(logS), c = fittedStd * fittedStd / (candidate * candidate);
                using var scaled = eigenvalues * c;
                return -targets + residuals / (candidate * candidate) + (scaled / (scaled + tau)).sum().item<double>();
            }, logarithm: true));
            if (Math.Abs(Math.Log(s / previous)) < 1e-10) break;
        }
        double factor = fittedStd * fittedStd / (s * s);
        if (Hessian == LaplaceHessian.Kron) second.mul_(factor); else first.mul_(factor);
        noiseStd.fill_(s);
        logLikelihood.fill_(-targets * Math.Log(s) - residuals / (2 * s * s) - 0.5 * targets * Math.Log(2 * Math.PI));
    }

    /// <summary>The posterior covariance (H + τ I)⁻¹ over θ = [W | b] row by row, [P, P] in float64 (small layers: it is dense).</summary>
    public Tensor Covariance()
    {
        RequireFit();
        double tau = PriorPrecision;
        switch (Hessian)
        {
            case LaplaceHessian.Full:
                return linalg.inv(first + eye(first.shape[0], dtype: first.dtype, device: first.device) * tau);
            case LaplaceHessian.Kron:
                using (var factors = Decompose())
                {
                    var q = kron(factors.SecondVectors!, factors.Vectors);
                    return q.matmul(diag_embed(KronInverseEigenvalues(factors).flatten())).matmul(q.t());
                }
            default:
                return diag_embed((first.flatten() + tau).reciprocal());
        }
    }

    /// <summary>
    /// The linearised model's covariance of the outputs, V_n = J_n Σ J_nᵀ [n, K, K], from the last layer's augmented
    /// inputs ã [n, D + 1] (J_n = I_K ⊗ ã_nᵀ) — per structure, never a Jacobian of all weights.
    /// </summary>
    public Tensor OutputCovariance(Tensor augmented)
    {
        using var factors = Decompose();
        return OutputCovariance(augmented, factors);
    }

    /// <summary>What the predictive needs, made once per prediction (Full: Σ's rows of blocks; Kron: the eigendecompositions of A and G).</summary>
    sealed class Factors(Tensor values, Tensor vectors, Tensor? secondValues = null, Tensor? secondVectors = null) : IDisposable
    {
        public Tensor Values { get; } = values;
        public Tensor Vectors { get; } = vectors;
        public Tensor? SecondValues { get; } = secondValues;
        public Tensor? SecondVectors { get; } = secondVectors;

        public void Dispose()
        {
            Values.Dispose(); Vectors.Dispose(); SecondValues?.Dispose(); SecondVectors?.Dispose();
        }
    }

    Factors Decompose()
    {
        RequireFit();
        switch (Hessian)
        {
            case LaplaceHessian.Full:
            {
                // Σ's rows of blocks side by side, K × [D+1, K·(D+1)], in float32: the products for V_n need no more.
                long k = layer.Outputs, d = layer.Inputs + 1;
                using var sigma = Covariance();
                var rows = sigma.view(k, d, k * d).to(ScalarType.Float32);
                return new Factors(rows, rows.alias());
            }
            case LaplaceHessian.Kron:
                var (a, qa) = linalg.eigh(first);
                var (g, qg) = linalg.eigh(second);
                return new Factors(a, qa, g, qg);
            default:
                return new Factors(first.alias(), first.alias());
        }
    }

    /// <summary>1/(λ_g λ_a / N + τ) [K, D+1]: the posterior covariance's eigenvalues in the basis Q_G ⊗ Q_A.</summary>
    Tensor KronInverseEigenvalues(Factors factors) =>
        (factors.SecondValues!.unsqueeze(1) * factors.Values.unsqueeze(0) / count + PriorPrecision).reciprocal();

    Tensor OutputCovariance(Tensor augmented, Factors factors)
    {
        double tau = PriorPrecision;
        long k = layer.Outputs, d = layer.Inputs + 1;
        switch (Hessian)
        {
            case LaplaceHessian.Full:
            {
                // V[n, k, l] = ã_nᵀ Σ_kl ã_n: per k, one product of ã with the row of blocks Σ_k·, then dot products with ã.
                var single = augmented.to(ScalarType.Float32);
                var rows = new Tensor[k];
                for (long i = 0; i < k; i++)
                    rows[i] = (single.matmul(factors.Values[i]).view(-1, k, d) * single.unsqueeze(1)).sum(dim: 2);
                return stack(rows, 1).to(ScalarType.Float64);
            }
            case LaplaceHessian.Kron:
            {
                var scale = augmented.matmul(factors.Vectors).square().matmul(KronInverseEigenvalues(factors).t()); // [n, K]
                return einsum("ki,ni,li->nkl", factors.SecondVectors!, scale, factors.SecondVectors!);
            }
            default:
                return diag_embed(augmented.square().matmul((first + tau).reciprocal().t()));
        }
    }

    /// <summary>
    /// The linearised (GLM) predictive: one posterior-mean pass per batch, the outputs' covariance from the last layer's
    /// inputs, then for classification the probit approximation or <paramref name="samples"/> Monte Carlo draws of the
    /// outputs; for regression the mean f_MAP and the variance diag V + s².
    /// </summary>
    public Predictive Predict(BayesianModule model, Tensor inputs, int samples, int batchSize)
    {
        RequireFit();
        return Traced(model, trace =>
        {
            using var noGrad = no_grad();
            using var factors = Decompose();
            bool categorical = model.Likelihood == Likelihood.Categorical;
            var first = new List<Tensor>();
            var second = new List<Tensor>();
            long n = inputs.shape[0];
            for (long start = 0; start < n; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var output = model.forward(inputs.narrow(0, start, Math.Min(batchSize, n - start)));
                var f = output.to(ScalarType.Float64);
                var covariance = OutputCovariance(Augmented(trace.Input(layerIndex)), factors);
                trace.Clear();
                if (categorical)
                {
                    var probabilities = Link == LaplaceLink.Probit
                        ? nn.functional.softmax(f / (1 + Math.PI / 8 * CentredVariances(covariance)).sqrt(), 1)
                        : MonteCarloSoftmax(f, covariance, samples);
                    first.Add(probabilities.to(output.dtype).MoveToOuterDisposeScope());
                }
                else
                {
                    first.Add(output.MoveToOuterDisposeScope());
                    second.Add((covariance.diagonal(0, 1, 2) + Math.Pow(NoiseStd ?? ModelNoiseStd(model), 2)).to(output.dtype).MoveToOuterDisposeScope());
                }
            }
            return categorical
                ? Predictive.Categorical(cat(first.ToArray(), 0), Link == LaplaceLink.Probit ? 1 : samples)
                : Predictive.Gaussian(cat(first.ToArray(), 0), cat(second.ToArray(), 0), 1);
        });
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

    /// <summary>The average softmax over <paramref name="samples"/> draws f + L ε, L L ᵀ = V (a tiny jitter keeps L real).</summary>
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

    void RequireFit()
    {
        if (!IsFitted) throw new InvalidOperationException("The Laplace approximation is not fitted yet: train the network (Trainer.Fit fits it) or load a fitted checkpoint.");
    }
}

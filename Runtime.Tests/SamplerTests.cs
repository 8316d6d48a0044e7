using System;
using System.IO;
using System.Linq;
using TorchSharp.Modules;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>
/// The samplers against exact answers (docs/METHODS.md §6, §8). On the conjugate linear regression, and on a 2-D
/// regression whose posterior is strongly correlated, 10,000 independent chains (one parameter row each) run the
/// sampler's own update; their final states are compared with the stationary law the update has at its step size:
/// for SGLD and SGHMC that law is Gaussian with mean m_N and a covariance computed exactly per eigenmode of the posterior
/// precision (the step-size bias, stated, not tolerated); pSGLD's preconditioner varies, so it is held to the posterior
/// within the bias bound h λ_max G_max / 4. Tolerances are Monte Carlo errors of 10,000 independent draws.
/// </summary>
public class SamplerTests(ITestOutputHelper output)
{
    const int Chains = 10000;
    const double Noise = 0.5;

    static T InDouble<T>(Func<T> body)
    {
        set_default_dtype(ScalarType.Float64);
        try { return body(); }
        finally { set_default_dtype(ScalarType.Float32); }
    }

    /// <summary>A regression: design X̃ [N, D] (bias column last), targets y, the posterior precision P = X̃ᵀX̃/s² + I and mean m_N.</summary>
    static (Tensor Design, Tensor Y, Tensor Precision, Tensor Mean) Regression(int dimensions)
    {
        random.manual_seed(20 + dimensions);
        const int N = 200;
        var x = dimensions == 2 ? randn(N, 1) + 2 : randn(N, dimensions - 1);
        var design = cat(new[] { x, ones(N, 1) }, 1);
        var truth = dimensions == 2 ? tensor(new[] { 1.5, -0.5 }) : tensor(new[] { 1.0, -2.0, 0.5, 0.3 });
        var y = design.matmul(truth) + randn(N) * Noise;
        var precision = design.t().matmul(design) / (Noise * Noise) + eye(dimensions);
        var mean = linalg.solve(precision, design.t().matmul(y)) / (Noise * Noise);
        return (design, y, precision, mean);
    }

    /// <summary>
    /// Runs <paramref name="steps"/> steps of the sampler on every chain from m_N: the gradient is the mean loss's,
    /// (1/N) X̃ᵀ(X̃θ − y)/s², and the prior's part, θ/N, reaches the rule as weight decay, as the trainer passes it.
    /// </summary>
    static Tensor RunChains(SamplerSettings settings, Tensor design, Tensor y, Tensor mean, int steps)
    {
        long n = design.shape[0];
        // Σ_n (x̃_nᵀθ − y_n)² = θᵀ(X̃ᵀX̃)θ − 2θᵀX̃ᵀy + yᵀy: the sufficient statistics make a step cheap for 10,000 chains.
        var gram = design.t().matmul(design);
        var projection = design.t().matmul(y);
        var theta = new Parameter(mean.unsqueeze(0).repeat(Chains, 1).contiguous());
        using var rule = new LangevinStepRule(settings, new[] { theta }, new[] { (theta, 1.0 / n) }, n, steps);
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            rule.ZeroGrad();
            var squares = (theta.matmul(gram) * theta).sum() - 2 * theta.matmul(projection).sum();
            (squares / (2 * Noise * Noise * n)).backward();
            rule.Step();
        }
        return theta.detach();
    }

    /// <summary>Var and covariance of the chains' states, with the largest deviation in units of its Monte Carlo standard error.</summary>
    static (double MeanError, double CovarianceError) Compare(Tensor states, Tensor mean, Tensor covariance)
    {
        var centred = states - states.mean(new long[] { 0 });
        var sampleCovariance = centred.t().matmul(centred) / (Chains - 1);
        var variances = covariance.diagonal();
        var meanError = ((states.mean(new long[] { 0 }) - mean).abs() / (variances / Chains).sqrt()).max().item<double>();
        // The standard error of a Gaussian sample covariance entry ij is √((Σ_ij² + Σ_ii Σ_jj) / n).
        var standardErrors = ((covariance.square() + variances.unsqueeze(1) * variances.unsqueeze(0)) / Chains).sqrt();
        var covarianceError = ((sampleCovariance - covariance).abs() / standardErrors).max().item<double>();
        return (meanError, covarianceError);
    }

    /// <summary>
    /// The exact stationary covariance of the linear recursion z' = A z + b ξ in each eigenmode λ of P (θ in the mode,
    /// and for SGHMC its momentum), assembled back as Q diag(c) Qᵀ: the sampler's law at its step size.
    /// </summary>
    static Tensor StationaryCovariance(SamplerSettings settings, Tensor precision, long n)
    {
        var (eigenvalues, vectors) = linalg.eigh(precision);
        double eta = settings.StepSize, h = 2 * eta / n;
        var c = eigenvalues.data<double>().Select(lambda =>
        {
            if (settings.Method == PosteriorMethod.SGLD) return 1 / (lambda * (1 - h * lambda / 4));
            // SGHMC: v' = (1 − α) v − (η/N) λ θ + s ξ, θ' = θ + v', s = √(2αη/N).
            double alpha = settings.Friction, k = eta / n * lambda, s = Math.Sqrt(2 * alpha * eta / n);
            var a = tensor(new[,] { { 1 - k, 1 - alpha }, { -k, 1 - alpha } });
            var b = tensor(new[] { s, s });
            var vecC = linalg.solve(eye(4) - kron(a, a), b.outer(b).flatten());
            return vecC[0].item<double>();
        }).ToArray();
        return vectors.matmul(diag(tensor(c))).matmul(vectors.t());
    }

    [Theory]
    [InlineData(PosteriorMethod.SGLD, 4)]
    [InlineData(PosteriorMethod.SGLD, 2)]
    [InlineData(PosteriorMethod.SGHMC, 4)]
    [InlineData(PosteriorMethod.SGHMC, 2)]
    public void ChainsReachTheStationaryLawOfTheirStepSize(PosteriorMethod method, int dimensions) => InDouble(() =>
    {
        var (design, y, precision, mean) = Regression(dimensions);
        long n = design.shape[0];
        double lambdaMax = linalg.eigvalsh(precision).max().item<double>();
        // SGLD: h λ_max = 0.5, a bias of 14% on the stiffest mode, which the stated law includes. SGHMC: η λ/N = 0.05.
        var settings = method == PosteriorMethod.SGLD
            ? new SamplerSettings { Method = method, StepSize = 0.25 * n / lambdaMax, DecayExponent = 0.55, DecayOffset = 1e12 }
            : new SamplerSettings { Method = method, StepSize = 0.05 * n / lambdaMax, Friction = 0.1, DecayOffset = 1e12 };
        var stationary = StationaryCovariance(settings, precision, n);
        var posterior = linalg.inv(precision);
        random.manual_seed(30);
        var states = RunChains(settings, design, y, mean, steps: 3000);
        var (meanError, covarianceError) = Compare(states, mean, stationary);
        double bias = ((stationary - posterior).abs() / posterior.diagonal().max()).max().item<double>();
        output.WriteLine($"{method} D={dimensions}: mean off by {meanError:F2} s.e., covariance by {covarianceError:F2} s.e. of the law at this step "
            + $"(which differs from S_N by {bias:P1} of its largest variance); posterior correlation {posterior[0, 1].item<double>() / Math.Sqrt(posterior[0, 0].item<double>() * posterior[1, 1].item<double>()):F2}");
        Assert.True(meanError < 4.5, $"mean {meanError}");
        Assert.True(covarianceError < 4.5, $"covariance {covarianceError}");
        return 0;
    });

    /// <summary>
    /// pSGLD and cyclical SGLD: their step sizes vary (the preconditioner per weight, the cosine within a cycle), so no
    /// fixed law applies; both must reach N(m_N, S_N) within Monte Carlo error plus the bias of their largest effective
    /// step, h λ_max G / 4 of a variance.
    /// </summary>
    [Theory]
    [InlineData(PosteriorMethod.PSGLD, 0)]
    [InlineData(PosteriorMethod.SGLD, 2)]
    [InlineData(PosteriorMethod.SGHMC, 2)]
    public void VaryingStepsReachThePosteriorWithinTheirBias(PosteriorMethod method, int cycles) => InDouble(() =>
    {
        var (design, y, precision, mean) = Regression(4);
        long n = design.shape[0];
        double lambdaMax = linalg.eigvalsh(precision).max().item<double>();
        var posterior = linalg.inv(precision);
        const int Steps = 4000;
        SamplerSettings settings;
        double bias;
        if (method == PosteriorMethod.PSGLD)
        {
            // At stationarity √V ≈ the mean gradient's spread, √(λ/N²) per mode; G ≤ 1/λ_p bounds the effective step.
            settings = new SamplerSettings { Method = method, StepSize = 2e-3, Alpha = 0.999, Lambda = 0.05, DecayOffset = 1e12 };
            double h = 2 * settings.StepSize / n / settings.Lambda;
            bias = h * lambdaMax / 4;
        }
        else
        {
            settings = new SamplerSettings { Method = method, Cycles = cycles, SamplingFraction = 0.5, StepSize = method == PosteriorMethod.SGLD ? 0.1 * n / lambdaMax : 0.02 * n / lambdaMax, Friction = 0.1 };
            bias = method == PosteriorMethod.SGLD ? 0.1 / 2 : 0.02 / 0.1; // h λ_max / 4 at the cycle's largest sampling step (SGHMC: η λ/(Nα), as SGLD's h λ/2)
        }
        random.manual_seed(31);
        var states = RunChains(settings, design, y, mean, Steps);
        var centred = states - states.mean(new long[] { 0 });
        var covariance = centred.t().matmul(centred) / (Chains - 1);
        var variances = posterior.diagonal();
        var meanError = ((states.mean(new long[] { 0 }) - mean).abs() / (variances / Chains).sqrt()).max().item<double>();
        var relative = ((covariance - posterior).abs() / (variances.unsqueeze(1) * variances.unsqueeze(0)).sqrt()).max().item<double>();
        double monteCarlo = 4.5 * Math.Sqrt(2.0 / Chains);
        output.WriteLine($"{method}, {cycles} cycles: mean off by {meanError:F2} s.e.; covariance off by {relative:P2} of √(Σ_ii Σ_jj), allowed {monteCarlo:P2} + bias {bias:P2}");
        Assert.True(meanError < 4.5, $"mean {meanError}");
        Assert.True(relative < monteCarlo + bias, $"covariance {relative}");
        return 0;
    });

    /// <summary>Each sampler's injected noise per step, against its formula, on 200,000 weights (standard errors ≈ 0.3%).</summary>
    [Theory]
    [InlineData(PosteriorMethod.SGLD)]
    [InlineData(PosteriorMethod.PSGLD)]
    [InlineData(PosteriorMethod.SGHMC)]
    public void TheInjectedNoiseHasItsFormulasVariance(PosteriorMethod method) => InDouble(() =>
    {
        const long N = 1000, Size = 200000;
        const double Eta = 0.01, T = 0.5, G = 0.3;
        var settings = new SamplerSettings { Method = method, StepSize = Eta, Temperature = T, Alpha = 0.9, Lambda = 0.01, Friction = 0.2, DecayOffset = 1e12 };
        var theta = new Parameter(zeros(Size));
        using var rule = new LangevinStepRule(settings, new[] { theta }, Array.Empty<(Parameter, double)>(), N, 10);
        random.manual_seed(32);
        theta.grad = full(Size, G);
        rule.Step();
        var change = theta.detach();
        // First step from V = 0, v = 0: pSGLD's V = (1 − α) g², so G_p = 1/(λ + √(1 − α) g).
        double preconditioner = 1 / (settings.Lambda + Math.Sqrt(1 - settings.Alpha) * G);
        var (expectedMean, expectedVariance) = method switch
        {
            PosteriorMethod.SGLD => (-Eta * G, 2 * Eta * T / N),
            PosteriorMethod.PSGLD => (-Eta * preconditioner * G, 2 * Eta * T * preconditioner / N),
            _ => (-Eta * G, 2 * settings.Friction * Eta * T / N),
        };
        double mean = change.mean().item<double>(), variance = change.var().item<double>();
        output.WriteLine($"{method}: mean {mean:E4} (formula {expectedMean:E4}), variance {variance:E4} (formula {expectedVariance:E4})");
        Assert.True(Math.Abs(mean - expectedMean) < 5 * Math.Sqrt(expectedVariance / Size));
        Assert.True(Math.Abs(variance / expectedVariance - 1) < 5 * Math.Sqrt(2.0 / Size));
        return 0;
    });

    [Fact]
    public void KeptStepsFollowTheScheduleAndAShortRunIsAClearError()
    {
        var polynomial = new SamplerSettings { Samples = 4, BurnIn = 0.5 };
        Assert.Equal(new long[] { 64, 76, 88, 100 }, polynomial.KeptSteps(100).Select(s => s + 1).ToArray()); // window 50 steps, 12 apart
        var cyclical = new SamplerSettings { Samples = 4, Cycles = 2, SamplingFraction = 0.2, Thinning = 5 };
        Assert.Equal(new long[] { 45, 50, 95, 100 }, cyclical.KeptSteps(100).Select(s => s + 1).ToArray());
        Assert.True(cyclical.IsSamplingStep(49, 100) && !cyclical.IsSamplingStep(39, 100) && cyclical.IsSamplingStep(40, 100));
        Assert.Equal(cyclical.StepSize, cyclical.StepSizeAt(50, 100));
        var error = Assert.Throws<ArgumentException>(() => new SamplerSettings { Samples = 40, Thinning = 10 }.KeptSteps(100));
        Assert.Contains("cannot keep 40 samples 10 steps apart", error.Message);
    }

    /// <summary>
    /// Samples beyond the memory budget go to a file while training and beside the checkpoint when saved: the same
    /// predictive as the run that kept them all in memory, after a round trip; a missing or truncated companion file is
    /// an error naming it.
    /// </summary>
    [Fact]
    public void SamplesBeyondTheMemoryBudgetLiveBesideTheCheckpoint()
    {
        random.manual_seed(36);
        var x = randn(64, 4);
        using var data = new LabelledData(x, randint(0, 3, new long[] { 64 }), "random");
        Tensor Train(BayesianModule model)
        {
            Trainer.Fit(model, data, new FitOptions { Epochs = 10, BatchSize = 16, Seed = 37, Threads = 1 });
            using var predictive = model.Predict(x, samples: 1, batchSize: 64);
            return predictive.Probabilities.clone();
        }
        random.manual_seed(38);
        using var inMemory = new TinySgldClassifier();
        var expected = Train(inMemory);
        random.manual_seed(38);
        using var spilling = new TinySpillingSgldClassifier();
        var spilled = Train(spilling);
        var store = (SampleStore)spilling.Predictor;
        Assert.Equal((4, 1), (store.Kept, store.InMemory));
        Assert.True(spilled.eq(expected).all().item<bool>(), "the spilled samples predict differently");

        string directory = Directory.CreateTempSubdirectory("bnndsl-spill-").FullName;
        try
        {
            string path = Path.Combine(directory, "model.bin");
            spilling.Save(path);
            Assert.True(File.Exists(SampleStore.CompanionPath(path)));
            using (var restored = new TinySpillingSgldClassifier())
            {
                restored.Load(path);
                using var predictive = restored.Predict(x, samples: 1, batchSize: 64);
                Assert.True(predictive.Probabilities.eq(expected).all().item<bool>(), "the restored samples predict differently");
            }
            using (var file = new FileStream(SampleStore.CompanionPath(path), FileMode.Open)) file.SetLength(100);
            using (var truncated = new TinySpillingSgldClassifier())
                Assert.Contains("model.bin.samples: 100 bytes", Assert.Throws<InvalidDataException>(() => truncated.Load(path)).Message);
            File.Delete(SampleStore.CompanionPath(path));
            using (var missing = new TinySpillingSgldClassifier())
                Assert.Contains("model.bin.samples: missing", Assert.Throws<InvalidDataException>(() => missing.Load(path)).Message);
        }
        finally { Directory.Delete(directory, recursive: true); }
    }

    /// <summary>A generated sampler network through the trainer: the kept samples, their steps, the checkpoint, bit-for-bit repeats.</summary>
    [Fact]
    public void AGeneratedSamplerKeepsItsSamplesRepeatsAndSavesThem()
    {
        random.manual_seed(33);
        var x = randn(64, 4);
        using var data = new LabelledData(x, randint(0, 3, new long[] { 64 }), "random");
        float[] Run(string? path = null)
        {
            random.manual_seed(35); // the initial weights
            using var model = new TinySgldClassifier();
            Trainer.Fit(model, data, new FitOptions { Epochs = 10, BatchSize = 16, Seed = 34, Threads = 1 });
            var store = (SampleStore)model.Predictor;
            Assert.Equal(4, store.Kept);
            Assert.Equal(new long[] { 25, 30, 35, 40 }, store.SampleSteps); // 40 steps, burn-in 20, the last four 5 apart
            using var predictive = model.Predict(x, samples: 1, batchSize: 64);
            Assert.Equal(4, predictive.Samples);
            if (path is not null) model.Save(path);
            return store.Sample(0).data<float>().ToArray().Concat(predictive.Probabilities.data<float>().ToArray()).ToArray();
        }
        string directory = Directory.CreateTempSubdirectory("bnndsl-sgld-").FullName;
        try
        {
            string path = Path.Combine(directory, "model.bin");
            var first = Run(path);
            Assert.Equal(first, Run());
            using var restored = new TinySgldClassifier();
            restored.Load(path);
            Assert.Equal(4, ((SampleStore)restored.Predictor).Kept);
            using var predictive = restored.Predict(x, samples: 1, batchSize: 64);
            Assert.Equal(first.Skip(first.Length - (int)predictive.Probabilities.numel()).ToArray(), predictive.Probabilities.data<float>().ToArray());
        }
        finally { Directory.Delete(directory, recursive: true); }
    }
}

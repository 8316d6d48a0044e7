using System;
using System.Linq;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>
/// Mean-field VI on Bayesian linear regression (docs/METHODS.md §8): y = X̃ w̃ + e, e ~ N(0, s²), w̃ ~ N(0, s0² I), with the
/// bias folded into X̃ = [X, 1]. The mean-field optimum is known exactly: means m_N, variances 1 / diag(S_N⁻¹).
/// </summary>
public class ConjugateRegressionTests(ITestOutputHelper output)
{
    const int N = 200;
    const double NoiseStd = 0.5, PriorStd = 1.0; // as declared on LinearRegression

    [Fact]
    public void MeanFieldReachesTheKnownOptimum()
    {
        random.manual_seed(3);
        var x = randn(N, 3);
        var trueWeights = tensor(new[] { 1.0f, -2.0f, 0.5f });
        var y = (x.matmul(trueWeights) + 0.3f + randn(N) * (float)NoiseStd).reshape(N, 1);

        // Exact posterior precision Λ = I/s0² + X̃ᵀX̃/s², S_N = Λ⁻¹, m_N = S_N X̃ᵀ y / s² (in double precision).
        var design = cat(new[] { x, ones(N, 1) }, 1).to_type(ScalarType.Float64);
        var precision = eye(4, dtype: ScalarType.Float64) / (PriorStd * PriorStd) + design.t().matmul(design) / (NoiseStd * NoiseStd);
        var covariance = linalg.inv(precision);
        var mN = covariance.matmul(design.t().matmul(y.to_type(ScalarType.Float64))).squeeze(1) / (NoiseStd * NoiseStd);
        var optimalVariance = 1.0 / precision.diagonal();

        // Fit with many posterior samples per step and a decreasing learning rate; then average the iterates of the
        // last phase (Polyak averaging) to remove the optimiser's stationary jitter.
        using var model = new LinearRegression();
        using var adam = optim.Adam(model.parameters(), 0.02);
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        const int Steps = 6000, Averaged = 2000;
        var means = new double[Averaged][];
        var variances = new double[Averaged][];
        for (int step = 0; step < Steps; step++)
        {
            if (step == 3000) foreach (var group in adam.ParamGroups) group.LearningRate = 0.002;
            using var scope = NewDisposeScope();
            var terms = model.Loss(x, y, N, samples: 16);
            adam.zero_grad();
            terms.Loss.backward();
            adam.step();
            if (step >= Steps - Averaged)
            {
                int k = step - (Steps - Averaged);
                means[k] = Flatten(parameters["Linear.weight_mu"], parameters["Linear.bias_mu"]);
                variances[k] = Flatten(nn.functional.softplus(parameters["Linear.weight_rho"]).square(),
                    nn.functional.softplus(parameters["Linear.bias_rho"]).square());
            }
        }

        var truthMean = mN.data<double>().ToArray();
        var truthVariance = optimalVariance.data<double>().ToArray();
        for (int i = 0; i < 4; i++)
        {
            // Tolerance from the iterates themselves: the batch-means standard error of the averaged iterate
            // (20 batches of 100 steps), times 4, plus 2% of the exact value for the bias a constant learning rate
            // leaves in a stochastic optimiser (measured here: under 1% of the posterior sd and variance).
            var (mean, meanError) = BatchMean(means.Select(m => m[i]).ToArray());
            var (variance, varianceError) = BatchMean(variances.Select(v => v[i]).ToArray());
            output.WriteLine($"w{i}: mean {mean:F5} (exact {truthMean[i]:F5}, SE {meanError:E1}); variance {variance:E4} (exact {truthVariance[i]:E4}, SE {varianceError:E1})");
            double posteriorSd = Math.Sqrt(truthVariance[i]);
            Assert.True(Math.Abs(mean - truthMean[i]) < 4 * meanError + 0.02 * posteriorSd,
                $"mean of w{i}: {mean} vs m_N {truthMean[i]}");
            Assert.True(Math.Abs(variance - truthVariance[i]) < 4 * varianceError + 0.02 * truthVariance[i],
                $"variance of w{i}: {variance} vs 1/Λ_ii {truthVariance[i]}");
        }
    }

    /// <summary>
    /// MNF on the same problem: its ELBO (with the auxiliary bound in place of the KL) is a lower bound on the log
    /// evidence log N(y; 0, s² I + s0² X̃X̃ᵀ), and after training it comes within reach of it — within the mean-field
    /// optimum's gap KL(q_MF ‖ posterior) = ½(Σ log Λ_ii − log det Λ) plus the auxiliary bound's own slack; its
    /// predictive mean approaches the exact one, x̃ᵀ m_N.
    /// </summary>
    [Fact]
    public void MnfElboStaysBelowTheEvidenceAndItsPredictiveMeanIsExact()
    {
        random.manual_seed(3);
        var x = randn(N, 3);
        var trueWeights = tensor(new[] { 1.0f, -2.0f, 0.5f });
        var y = (x.matmul(trueWeights) + 0.3f + randn(N) * (float)NoiseStd).reshape(N, 1);

        var design = cat(new[] { x, ones(N, 1) }, 1).to_type(ScalarType.Float64);
        var targets = y.to_type(ScalarType.Float64).squeeze(1);
        var marginal = eye(N, dtype: ScalarType.Float64) * (NoiseStd * NoiseStd) + design.matmul(design.t()) * (PriorStd * PriorStd);
        double logEvidence = -0.5 * (targets.dot(linalg.solve(marginal, targets)).item<double>() + linalg.slogdet(marginal).Item2.item<double>()
            + N * Math.Log(2 * Math.PI));
        var precision = eye(4, dtype: ScalarType.Float64) / (PriorStd * PriorStd) + design.t().matmul(design) / (NoiseStd * NoiseStd);
        var mN = linalg.solve(precision, design.t().matmul(targets)) / (NoiseStd * NoiseStd);
        double meanFieldGap = 0.5 * (precision.diagonal().log().sum().item<double>() - linalg.slogdet(precision).Item2.item<double>());

        random.manual_seed(4);
        using var model = new MnfLinearRegression();
        using var data = new LabelledData(x, y, "conjugate regression");
        Trainer.Fit(model, data, new FitOptions
        {
            Epochs = 3000, BatchSize = N, LearningRate = 0.01, Schedule = LearningRateSchedule.Cosine, Seed = 4,
        });

        // ELBO = −N × the per-example loss, averaged over independent draws of the bound and the likelihood.
        const int Draws = 4000;
        var elbos = new double[Draws];
        using (no_grad())
            for (int i = 0; i < Draws; i++)
            {
                using var scope = NewDisposeScope();
                elbos[i] = -N * model.Loss(x, y, N).Loss.item<float>();
            }
        double elbo = elbos.Average();
        double elboError = Math.Sqrt(elbos.Select(e => (e - elbo) * (e - elbo)).Sum() / (Draws - 1) / Draws);
        output.WriteLine($"log evidence {logEvidence:F3}; MNF ELBO {elbo:F3} ± {elboError:F3} (SE); mean-field optimum's gap {meanFieldGap:F3}");
        Assert.True(elbo <= logEvidence + 4 * elboError, $"ELBO {elbo} above the log evidence {logEvidence}");
        // Measured: a gap of 0.81 nats where the mean-field optimum's is 0.005 — the auxiliary bound's slack (z's entropy
        // against an imperfect r). One nat over the mean-field gap fails a bound that is loose by more than that.
        Assert.True(logEvidence - elbo < meanFieldGap + 1.0, $"ELBO {elbo} far below the log evidence {logEvidence}");

        var probe = cat(new[] { randn(5, 3), ones(5, 1) }, 1).to_type(ScalarType.Float64);
        var exactMean = probe.matmul(mN).data<double>().ToArray();
        var exactSd = (probe.matmul(linalg.inv(precision)).mul(probe).sum(1)).sqrt().data<double>().ToArray();
        random.manual_seed(5);
        using var predictive = model.Predict(probe.narrow(1, 0, 3).to_type(ScalarType.Float32), samples: 2000);
        var mean = predictive.Mean.squeeze(1).to_type(ScalarType.Float64).data<double>().ToArray();
        for (int i = 0; i < 5; i++)
        {
            output.WriteLine($"probe {i}: predictive mean {mean[i]:F4}, exact {exactMean[i]:F4} (posterior sd {exactSd[i]:F4})");
            // 2000 draws: Monte Carlo error ≈ 0.022 posterior sd, so 0.1 sd is over 4 standard errors (measured: under 0.04 sd).
            Assert.True(Math.Abs(mean[i] - exactMean[i]) < 0.1 * exactSd[i] + 1e-3, $"probe {i}: {mean[i]} vs exact {exactMean[i]}");
        }
    }

    static double[] Flatten(Tensor weights, Tensor bias)
    {
        using var joined = cat(new[] { weights.detach().flatten(), bias.detach().flatten() }).to_type(ScalarType.Float64);
        return joined.data<double>().ToArray();
    }

    /// <summary>The mean of a correlated series and its standard error by the method of batch means.</summary>
    static (double Mean, double StandardError) BatchMean(double[] series, int batches = 20)
    {
        int size = series.Length / batches;
        var batchMeans = Enumerable.Range(0, batches).Select(b => series.Skip(b * size).Take(size).Average()).ToArray();
        double mean = batchMeans.Average();
        double variance = batchMeans.Select(m => (m - mean) * (m - mean)).Sum() / (batches - 1);
        return (mean, Math.Sqrt(variance / batches));
    }
}

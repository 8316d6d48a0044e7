using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>
/// Plans, unit indices, manifests and job files (docs/SCALING.md), and the chains' convergence diagnostics against
/// series whose answers are known.
/// </summary>
public class JobTests
{
    static JobPlan Plan(string kind = "members", int units = 3, long seed = 7) =>
        JobPlan.Seeded(kind, seed, new Dictionary<string, string> { ["method"] = "map", ["epochs"] = "2" }, units);

    static string TemporaryDirectory()
    {
        string directory = Path.Combine(Path.GetTempPath(), "bnndsl-jobs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    [Fact]
    public void APlanRoundTripsAndItsHashFollowsEveryField()
    {
        string run = TemporaryDirectory();
        try
        {
            var plan = Plan();
            Assert.Equal(new long[] { 7, 8, 9 }, plan.Units.Select(u => u.Seed));
            Assert.Equal(Ensemble.MemberSeed(7, 2), plan.Units[2].Seed);
            plan.Save(run);
            var loaded = JobPlan.Load(run);
            Assert.Equal(plan.Hash, loaded.Hash);
            Assert.Equal("map", loaded.SettingsOf(1)["method"]);
            Assert.Matches("^[0-9a-f]{16}$", plan.Hash);
            Assert.NotEqual(plan.Hash, Plan(seed: 8).Hash);
            Assert.NotEqual(plan.Hash, Plan(units: 4).Hash);
            Assert.NotEqual(plan.Hash, Plan(kind: "chains").Hash);
            Assert.NotEqual(plan.Hash, (plan with { Settings = new Dictionary<string, string> { ["method"] = "map", ["epochs"] = "3" } }).Hash);
            // Key order does not matter; a unit's own setting overrides the plan's.
            var reordered = plan with { Settings = new Dictionary<string, string> { ["epochs"] = "2", ["method"] = "map" } };
            Assert.Equal(plan.Hash, reordered.Hash);
            var point = plan with { Units = plan.Units.Select(u => u with { Settings = new Dictionary<string, string> { ["method"] = "dropout" } }).ToArray() };
            Assert.Equal("dropout", point.SettingsOf(0)["method"]);
            Assert.Equal("2", point.SettingsOf(0)["epochs"]);
            Assert.Throws<ArgumentOutOfRangeException>(() => plan.Unit(3));

            File.WriteAllText(Path.Combine(run, JobPlan.FileName), "{ not json");
            var error = Assert.Throws<InvalidDataException>(() => JobPlan.Load(run));
            Assert.Contains(Path.Combine(run, JobPlan.FileName), error.Message);
        }
        finally { Directory.Delete(run, recursive: true); }
    }

    [Fact]
    public void TheUnitIndexComesFromTheArgumentOrEitherSchedulersVariable()
    {
        Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
            name => variables.FirstOrDefault(v => v.Name == name).Value;
        Assert.Equal(2, JobIndex.Resolve(2, 4, Environment(("JOB_COMPLETION_INDEX", "1"))));
        Assert.Equal(1, JobIndex.Resolve(null, 4, Environment(("JOB_COMPLETION_INDEX", "1"))));
        Assert.Equal(3, JobIndex.Resolve(null, 4, Environment(("SLURM_ARRAY_TASK_ID", "3"))));
        Assert.Equal(0, JobIndex.Resolve(null, 4, Environment(("JOB_COMPLETION_INDEX", "0"), ("SLURM_ARRAY_TASK_ID", "3"))));
        Assert.Contains("JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID", Assert.Throws<InvalidOperationException>(() => JobIndex.Resolve(null, 4, Environment())).Message);
        Assert.Contains("'x'", Assert.Throws<InvalidOperationException>(() => JobIndex.Resolve(null, 4, Environment(("SLURM_ARRAY_TASK_ID", "x")))).Message);
        Assert.Contains("0–3", Assert.Throws<InvalidOperationException>(() => JobIndex.Resolve(null, 4, Environment(("JOB_COMPLETION_INDEX", "4")))).Message);
    }

    [Fact]
    public void GatheringNamesMissingUnitsAndRefusesAnotherPlansResults()
    {
        string run = TemporaryDirectory();
        try
        {
            var plan = Plan(units: 5);
            plan.Save(run);
            foreach (int index in new[] { 0, 2 })
            {
                string directory = JobPlan.UnitDirectory(run, index);
                Directory.CreateDirectory(directory);
                File.WriteAllText(Path.Combine(directory, "model.bin"), "weights");
                new UnitManifest(plan.Hash, index, plan.Units[index].Seed, 1.5, new[] { "model.bin" }).Write(directory);
            }
            var missing = Assert.Throws<IncompleteRunException>(() => UnitManifest.Collect(run, plan));
            Assert.Equal(new[] { 1, 3, 4 }, missing.Missing);
            Assert.Contains("1, 3–4", missing.Message);

            // A manifest can only name results the unit wrote.
            string lonely = JobPlan.UnitDirectory(run, 1);
            Directory.CreateDirectory(lonely);
            Assert.Throws<InvalidOperationException>(() => new UnitManifest(plan.Hash, 1, 8, 1, new[] { "model.bin" }).Write(lonely));

            var other = Plan(units: 5, seed: 8);
            foreach (int index in new[] { 1, 3, 4 })
            {
                string directory = JobPlan.UnitDirectory(run, index);
                Directory.CreateDirectory(directory);
                new UnitManifest(index == 3 ? other.Hash : plan.Hash, index, plan.Units[index].Seed, 1, Array.Empty<string>()).Write(directory);
            }
            var foreign = Assert.Throws<InvalidDataException>(() => UnitManifest.Collect(run, plan));
            Assert.Contains(Path.Combine(JobPlan.UnitDirectory(run, 3), UnitManifest.FileName), foreign.Message);
            Assert.Contains(other.Hash, foreign.Message);

            new UnitManifest(plan.Hash, 3, plan.Units[3].Seed, 1, Array.Empty<string>()).Write(JobPlan.UnitDirectory(run, 3));
            Assert.Equal(new[] { 0, 1, 2, 3, 4 }, UnitManifest.Collect(run, plan).Select(m => m.Index));
        }
        finally { Directory.Delete(run, recursive: true); }
    }

    [Theory]
    [InlineData("job.yaml")]
    [InlineData("job.sbatch")]
    public void TheJobFilesMatchTheirGoldenCopies(string file)
    {
        var job = new ClusterJob("bnndsl-r1", "/shared/runs/r1", "bnndsl", Units: 8, Threads: 2, MemoryGiB: 6);
        string written = file == "job.yaml" ? job.KubernetesYaml() : job.SlurmScript();
        string golden = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", file));
        Assert.Equal(golden.ReplaceLineEndings("\n"), written.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void IndependentDrawsHaveRHatOneAndAnEffectiveSizeOfAllDraws()
    {
        // 4 chains × 200 draws of 2,000 independent N(0, 1) series: R̂ − 1 is O(1/N) and the ESS ratio's spread
        // across series about √(2/MN) ≈ 0.05, so their means over 2,000 series are tight.
        random.manual_seed(3);
        using var draws = randn(4, 200, 2000, dtype: ScalarType.Float64);
        using var diagnostics = Convergence.Diagnose(draws);
        double meanRHat = diagnostics.RHat.mean().item<double>();
        double meanRatio = (diagnostics.EffectiveSampleSize / 800).mean().item<double>();
        Assert.InRange(meanRHat, 0.995, 1.005);
        Assert.InRange(meanRatio, 0.93, 1.07);
    }

    [Fact]
    public void AnAutoregressiveChainIsWorthFewerDrawsAsItsCorrelationSays()
    {
        // AR(1) with φ = 0.6: τ = (1 + φ)/(1 − φ) = 4, so ESS = MN/4. Geyer's truncation biases the estimate by a few
        // per cent at N = 300; the mean over 300 series has a Monte Carlo error of about 2%.
        const double Phi = 0.6;
        random.manual_seed(5);
        using var noise = randn(4, 600, 300, dtype: ScalarType.Float64) * Math.Sqrt(1 - Phi * Phi);
        var series = new Tensor[600];
        series[0] = noise.select(1, 0).clone();
        for (int t = 1; t < 600; t++) series[t] = series[t - 1] * Phi + noise.select(1, t);
        using var draws = stack(series, 1);
        using var diagnostics = Convergence.Diagnose(draws);
        double ratio = (diagnostics.EffectiveSampleSize / 2400).mean().item<double>();
        Assert.InRange(ratio, 0.25 * 0.9, 0.25 * 1.1);
        Assert.InRange(diagnostics.RHat.mean().item<double>(), 0.995, 1.01);
        foreach (var s in series) s.Dispose();
    }

    [Fact]
    public void ChainsAroundDifferentMeansHaveALargeRHat()
    {
        // Two chains at 0 and two at 2, each with unit variance: var⁺/W ≈ 1 + 1 (half-chain means differ by ±1).
        random.manual_seed(8);
        using var shift = tensor(new double[] { 0, 0, 2, 2 }).view(4, 1, 1);
        using var draws = randn(4, 100, 50, dtype: ScalarType.Float64) + shift;
        using var diagnostics = Convergence.Diagnose(draws);
        Assert.True(diagnostics.RHat.min().item<double>() > 1.3, $"R̂ {diagnostics.RHat.min().item<double>()}");
        Assert.Throws<ArgumentException>(() => Convergence.Diagnose(randn(1, 10, 3)));
    }
}

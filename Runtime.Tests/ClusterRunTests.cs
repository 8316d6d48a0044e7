using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using BnnDsl.Examples.Cli;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>
/// <c>bnndsl plan</c>, <c>run-local</c>, <c>work</c> and <c>gather</c> as a user runs them, on synthetic images: two
/// worker processes of one thread each give, bit for bit, the members and chains one process trains with the same
/// seeds; a unit killed mid-run and run again gives the same result.
/// </summary>
public sealed class ClusterRunTests(ITestOutputHelper output) : IDisposable
{
    readonly string root = Path.Combine(Path.GetTempPath(), "bnndsl-cluster-" + Guid.NewGuid().ToString("N"));
    readonly int threadsBefore = get_num_threads();

    public void Dispose()
    {
        set_num_threads(threadsBefore);
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    /// <summary>Runs the tool (built beside the tests) and returns its exit code; its output goes to the test log.</summary>
    int Tool(params string[] arguments)
    {
        using var process = Process.Start(ToolStart(arguments))!;
        string text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        output.WriteLine($"$ bnndsl {string.Join(' ', arguments)}  → {process.ExitCode}\n{text}");
        return process.ExitCode;
    }

    internal static ProcessStartInfo ToolStart(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "bnndsl.dll"));
        // MKL's code path is the same in the tool's processes and in this one: both opt in before their first matrix
        // product (Program.cs; the suite's module initializer, AssemblyInfo.cs), unless BNNDSL_MKL_VENDOR_CHECK=keep,
        // which the workers inherit with the rest of this process's environment.
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        return info;
    }

    /// <summary>Images of ten classes, each a noisy bright band at its own rows, as IDX files: train, t10k and ood.</summary>
    string SyntheticData()
    {
        string directory = Path.Combine(root, "data");
        Directory.CreateDirectory(directory);
        var random = new Random(5);
        foreach (var (prefix, count) in new[] { ("train", 512), ("t10k", 200), ("ood", 100) })
        {
            var labels = Enumerable.Range(0, count).Select(_ => (byte)random.Next(10)).ToArray();
            var pixels = new byte[count * 784];
            for (int n = 0; n < count; n++)
                for (int p = 0; p < 784; p++)
                {
                    int row = p / 28;
                    bool band = prefix != "ood" && row / 3 == labels[n] % 9;
                    pixels[n * 784 + p] = (byte)Math.Clamp((band ? 180 : 20) + random.Next(-20, 60), 0, 255);
                }
            WriteIdx(Path.Combine(directory, $"{prefix}-images-idx3-ubyte"), 0x803, new[] { count, 28, 28 }, pixels);
            WriteIdx(Path.Combine(directory, $"{prefix}-labels-idx1-ubyte"), 0x801, new[] { count }, labels);
        }
        return directory;
    }

    static void WriteIdx(string path, int magic, int[] dimensions, byte[] data)
    {
        using var writer = new BinaryWriter(File.Create(path));
        foreach (var value in new[] { magic }.Concat(dimensions))
            writer.Write(new[] { (byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value });
        writer.Write(data);
    }

    /// <summary>Every parameter and buffer of the unit's checkpoint equals the in-process network's, bit for bit.</summary>
    static void AssertSameState(BayesianModule expected, string checkpoint, string method)
    {
        using var loaded = FashionJob.CreateNetwork(method);
        loaded.Load(checkpoint);
        var mine = expected.state_dict();
        var theirs = loaded.state_dict();
        Assert.Equal(mine.Keys.Order(), theirs.Keys.Order());
        foreach (var (name, tensor) in mine)
            Assert.True(tensor.shape.SequenceEqual(theirs[name].shape) && tensor.eq(theirs[name]).all().item<bool>(), $"{checkpoint}: {name} differs from the single-process run");
    }

    [Theory]
    [InlineData("map", "members", 1, 64)]
    [InlineData("sgld", "chains", 10, 32)]
    public void TwoWorkerProcessesTrainWhatOneProcessTrains(string method, string kind, int epochs, int batch)
    {
        string data = SyntheticData();
        string run = Path.Combine(root, "run");
        Assert.Equal(0, Tool("plan", "--method", method, $"--{kind}", "2", "--epochs", $"{epochs}", "--batch-size", $"{batch}",
            "--data", data, "--ood", data, "--samples", "4", "--out", run));
        Assert.Equal(0, Tool("run-local", run, "--workers", "2", "--threads", "1"));
        Assert.Equal(0, Tool("gather", run, "--threads", "1"));

        // The same plan in this process: each member (or chain) created and trained on its seed, one thread.
        set_num_threads(1);
        var options = new Options { Method = method, Epochs = epochs, BatchSize = batch, Seed = 1, Threads = 1 };
        using var train = DataSources.Read(data, "train");
        using var test = DataSources.Read(data, "t10k");
        using var ensemble = new Ensemble(() => FashionJob.CreateNetwork(method), 2);
        ensemble.Fit(train, FashionJob.FitFor(method, options));
        for (int k = 0; k < 2; k++) AssertSameState(ensemble.Members[k]!, Path.Combine(JobPlan.UnitDirectory(run, k), "model.bin"), method);

        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")));
        random.manual_seed(1);
        using var predictive = ensemble.Predict(test.Inputs, 4);
        var expected = Metrics.Evaluate(Metrics.ToRows(predictive.Probabilities), Metrics.ToLabels(test.Targets));
        Assert.Equal(expected.Nll, metrics.RootElement.GetProperty("nll").GetDouble());
        Assert.Equal(JobPlan.Load(run).Hash, metrics.RootElement.GetProperty("plan").GetString());
        if (kind == "chains")
        {
            Assert.True(metrics.RootElement.GetProperty("rhat_test_log_likelihood").GetDouble() > 0.9);
            Assert.True(metrics.RootElement.GetProperty("ess_weights_median").GetDouble() > 0);
        }
    }

    [Fact]
    public void AUnitKilledMidRunResumesAndEndsAsTheRunThatWasNotKilled()
    {
        string data = SyntheticData();
        string run = Path.Combine(root, "run");
        Assert.Equal(0, Tool("plan", "--method", "sgld", "--chains", "2", "--epochs", "40", "--batch-size", "32", "--lr", "0.02", "--data", data, "--ood", "none", "--out", run));
        Assert.Equal(0, Tool("work", run, "--index", "1", "--threads", "1"));
        string unit = JobPlan.UnitDirectory(run, 1);
        var uninterrupted = File.ReadAllBytes(Path.Combine(unit, "model.bin"));
        Assert.False(Directory.Exists(Path.Combine(unit, "resume")), "a finished unit keeps no resume point");

        // Started again under the scheduler's variable and killed once it has saved its first epoch: it dropped its
        // manifest first, so the unit counts as unfinished and gather names it.
        var start = ToolStart("work", run, "--threads", "1", "--resume-every", "0");
        start.Environment["SLURM_ARRAY_TASK_ID"] = "1";
        string point = Path.Combine(unit, "resume", "resume.json");
        using (var process = Process.Start(start)!)
        {
            var clock = Stopwatch.StartNew();
            while (!File.Exists(point) && !process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2)) System.Threading.Thread.Sleep(20);
            Assert.False(process.HasExited, "the unit ended before it could be killed");
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        Assert.False(File.Exists(Path.Combine(unit, UnitManifest.FileName)));
        Assert.True(File.Exists(point));
        Assert.Equal(1, Tool("gather", run)); // units 0 and 1 unfinished: one line naming them, exit code 1

        // Run again, it continues from its last saved epoch and ends on the same bytes.
        var again = ToolStart("work", run, "--index", "1", "--threads", "1", "--resume-every", "0");
        using (var process = Process.Start(again)!)
        {
            string text = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            output.WriteLine(text);
            Assert.Equal(0, process.ExitCode);
            Assert.Contains("resuming from the last epoch", text);
        }
        Assert.Equal(uninterrupted, File.ReadAllBytes(Path.Combine(unit, "model.bin")));
        Assert.Equal(0, Tool("work", run, "--all", "--threads", "1"));
        Assert.Equal(new[] { 0, 1 }, UnitManifest.Collect(run, JobPlan.Load(run)).Select(m => m.Index));
    }
}

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using static TorchSharp.torch;

namespace BnnDsl.Examples.Cli;

/// <summary>
/// Independent work as indexed units (docs/SCALING.md): <c>plan</c> writes the units and the job files,
/// <c>work</c> runs one unit (the index from <c>--index</c>, <c>JOB_COMPLETION_INDEX</c> or <c>SLURM_ARRAY_TASK_ID</c>),
/// <c>run-local</c> runs them as processes on this machine, <c>gather</c> combines their results into what a single run
/// writes. Kinds: <c>members</c> (a deep ensemble), <c>chains</c> (SG-MCMC chains, with R̂ and ESS), <c>sweep</c>
/// (declarations × seeds × options) and <c>laplace-shards</c> (curvature sums over slices of the data).
/// </summary>
public static class ClusterJobs
{
    const string Members = "members", Chains = "chains", Sweep = "sweep", LaplaceShards = "laplace-shards";

    /// <summary>What a sweep may vary, as <c>--sweep "key=a,b;key=c,d"</c> names it.</summary>
    static readonly string[] SweepKeys = { "seed", "method", "lr", "epochs", "kl-warmup", "kl-weight", "temperature", "batch-size", "train-size" };

    // ───────────────────────────── plan ─────────────────────────────

    /// <summary><c>bnndsl plan</c>: writes plan.json, job.yaml and job.sbatch into <c>--out</c>.</summary>
    public static int Plan(Options options)
    {
        int kinds = new[] { options.Members is not null, options.Chains is not null, options.Sweep is not null, options.Shards is not null }.Count(k => k);
        if (kinds != 1) throw new UsageException("plan needs exactly one of --members K, --chains K, --sweep \"key=a,b;…\" or --shards K.");
        string run = Path.GetFullPath(options.Out);
        if (File.Exists(Path.Combine(run, JobPlan.FileName)))
            throw new UsageException($"{run} already holds a plan; choose another --out (a new plan there would mix its units with the old ones').");
        var settings = TrainingSettings(options);
        JobPlan plan;
        if (options.Members is int members)
        {
            if (members < 2) throw new UsageException($"--members needs at least 2 members; got {members}.");
            FashionJob.CreateNetwork(options.Method, options.Network).Dispose(); // a bad name fails before anything is written
            plan = JobPlan.Seeded(Members, options.Seed, settings, members);
        }
        else if (options.Chains is int chains)
        {
            if (chains < 2) throw new UsageException($"--chains needs at least 2 chains (R̂ compares them); got {chains}.");
            using (var model = FashionJob.CreateNetwork(options.Method, options.Network))
            {
                if (model.Predictor is not SampleStore store)
                    throw new UsageException($"--chains runs SG-MCMC samplers (sgld, psgld, sghmc, csghmc); {options.Method} is not one: use --members.");
                // A chain too short for its kept samples fails here, not on every worker.
                var (data, _) = DataSources.Fashion(options.Data);
                long examples;
                using (var train = DataSources.Read(data, "train")) examples = Math.Min(options.TrainSize ?? train.Count, train.Count);
                long steps = (long)(options.Epochs ?? 20) * ((examples + options.BatchSize - 1) / options.BatchSize);
                try { store.Settings.KeptSteps(steps); }
                catch (ArgumentException e) { throw new UsageException(e.Message); }
            }
            plan = JobPlan.Seeded(Chains, options.Seed, settings, chains);
        }
        else if (options.Sweep is string sweep) plan = SweepPlan(sweep, options, settings);
        else plan = ShardPlan(options.Shards!.Value, options, settings);

        plan.Save(run);
        Directory.CreateDirectory(Path.Combine(run, "logs")); // Slurm writes each task's log there, and does not create it
        var job = new ClusterJob($"bnndsl-{KubernetesName(Path.GetFileName(run))}", run, "bnndsl", plan.Units.Count, Threads: options.WorkerThreads ?? 1);
        AtomicFile.Replace(Path.Combine(run, "job.yaml"), temporary => File.WriteAllText(temporary, job.KubernetesYaml()));
        AtomicFile.Replace(Path.Combine(run, "job.sbatch"), temporary => File.WriteAllText(temporary, job.SlurmScript()));
        Console.WriteLine($"Planned {plan.Units.Count} {plan.Kind} units (plan {plan.Hash}) in {run}: plan.json, job.yaml, job.sbatch.");
        Console.WriteLine($"Run them: bnndsl run-local {options.Out} --workers N | kubectl apply -f {Path.Combine(options.Out, "job.yaml")} | sbatch {Path.Combine(options.Out, "job.sbatch")}");
        Console.WriteLine($"Then: bnndsl gather {options.Out}");
        return 0;
    }

    /// <summary>The training options every unit shares, by name; the data as absolute paths (workers run elsewhere).</summary>
    static Dictionary<string, string> TrainingSettings(Options options)
    {
        var settings = new Dictionary<string, string>
        {
            ["network"] = options.Network, ["method"] = options.Method, ["epochs"] = Invariant(options.Epochs ?? 20),
            ["batch-size"] = Invariant(options.BatchSize), ["samples"] = Invariant(options.Samples),
        };
        // The embedded default is found beside each worker's executable; any other data by its absolute path.
        var (data, _) = DataSources.Fashion(options.Data);
        if (data != DataSources.EmbeddedDirectory) settings["data"] = Path.GetFullPath(data);
        if (options.Ood is string ood) settings["ood"] = ood == "none" ? "none" : Path.GetFullPath(ood);
        if (options.TrainSize is int trainSize) settings["train-size"] = Invariant(trainSize);
        if (options.LearningRate is double lr) settings["lr"] = Invariant(lr);
        if (options.Schedule is LearningRateSchedule schedule) settings["schedule"] = schedule.Name();
        if (options.Temperature is double temperature) settings["temperature"] = Invariant(temperature);
        if (options.KlWarmUp is double warmUp) settings["kl-warmup"] = Invariant(warmUp);
        if (options.KlWeight is double klWeight) settings["kl-weight"] = Invariant(klWeight);
        return settings;
    }

    /// <summary>
    /// The options a unit runs with: <paramref name="settings"/> over this process's <paramref name="local"/> options (its
    /// threads and output directory).
    /// </summary>
    static Options FromSettings(IReadOnlyDictionary<string, string> settings, Options local)
    {
        string? Get(string key) => settings.TryGetValue(key, out var value) ? value : null;
        double? Number(string key) => Get(key) is string v ? double.Parse(v, CultureInfo.InvariantCulture) : null;
        int? Integer(string key) => Get(key) is string v ? int.Parse(v, CultureInfo.InvariantCulture) : null;
        return local with
        {
            Network = Get("network") ?? "mlp", Method = Get("method") ?? "mean-field", Epochs = Integer("epochs"),
            BatchSize = Integer("batch-size") ?? 128, Samples = Integer("samples") ?? 32, Data = Get("data"), Ood = Get("ood"),
            TrainSize = Integer("train-size"), LearningRate = Number("lr"), Temperature = Number("temperature"), KlWarmUp = Number("kl-warmup"),
            KlWeight = Number("kl-weight"),
            Schedule = Get("schedule") is string s ? Enum.Parse<LearningRateSchedule>(s, ignoreCase: true) : null,
        };
    }

    /// <summary>
    /// The cartesian product of <c>--sweep "method=map,mean-field;seed=1,2"</c>; each point's seed is its own when the
    /// sweep varies it, else the plan's.
    /// </summary>
    static JobPlan SweepPlan(string sweep, Options options, Dictionary<string, string> settings)
    {
        var axes = new List<(string Key, string[] Values)>();
        foreach (var part in sweep.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = part.IndexOf('=');
            string key = equals > 0 ? part[..equals].Trim() : throw new UsageException($"--sweep: '{part}' is not key=a,b,….");
            if (!SweepKeys.Contains(key)) throw new UsageException($"--sweep: '{key}' cannot be swept; use {string.Join(", ", SweepKeys)}.");
            if (axes.Any(a => a.Key == key)) throw new UsageException($"--sweep names '{key}' twice.");
            var values = part[(equals + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (values.Length == 0) throw new UsageException($"--sweep: '{key}' has no values.");
            foreach (var value in values) CheckSweepValue(key, value, options.Network);
            axes.Add((key, values));
        }
        if (axes.Count == 0) throw new UsageException("--sweep needs at least one key=a,b,….");
        IEnumerable<Dictionary<string, string>> points = new[] { new Dictionary<string, string>() };
        foreach (var (key, values) in axes)
            points = points.SelectMany(point => values.Select(value => new Dictionary<string, string>(point) { [key] = value })).ToArray();
        var units = points.Select((point, i) =>
        {
            long seed = point.TryGetValue("seed", out var s) ? long.Parse(s, CultureInfo.InvariantCulture) : options.Seed;
            point.Remove("seed");
            return new JobUnit(i, seed, point);
        }).ToArray();
        return new JobPlan { Kind = Sweep, MasterSeed = options.Seed, Settings = settings, Units = units };
    }

    static void CheckSweepValue(string key, string value, string network)
    {
        bool valid = key switch
        {
            "method" => true,
            "seed" => long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
            "epochs" or "batch-size" or "train-size" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && (n > 0 || key == "epochs"),
            _ => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && double.IsFinite(x) && (x > 0 || key == "kl-warmup" && x == 0),
        };
        if (!valid) throw new UsageException($"--sweep: '{value}' is not a valid {key}.");
        if (key == "method") FashionJob.CreateNetwork(value, network).Dispose();
    }

    /// <summary>
    /// Laplace curvature over <paramref name="shards"/> slices of the training data, at the weights of <c>--model</c> (a
    /// checkpoint of a Laplace declaration, e.g. a <c>--method laplace-kron</c> run's model.bin).
    /// </summary>
    static JobPlan ShardPlan(int shards, Options options, Dictionary<string, string> settings)
    {
        if (shards < 1) throw new UsageException($"--shards needs at least 1 shard; got {shards}.");
        if (options.Model is not string modelPath) throw new UsageException("--shards needs --model FILE: the checkpoint whose weights the curvature is taken at.");
        var (model, network, method) = FashionJob.Load(modelPath);
        using (model)
            if (model.AfterTraining is not LaplaceApproximation)
                throw new UsageException($"{modelPath} holds {method}, not a Laplace declaration (laplace-ll, laplace-ll-kron, laplace-diag, laplace-kron).");
        (settings["network"], settings["method"], settings["model"]) = (network, method, Path.GetFullPath(modelPath));
        var (data, _) = DataSources.Fashion(options.Data);
        int count;
        using (var train = DataSources.Read(data, "train")) count = Math.Min(options.TrainSize ?? train.Count, train.Count);
        if (shards > count) throw new UsageException($"--shards {shards} is more than the {count} training examples.");
        var units = Enumerable.Range(0, shards).Select(i =>
        {
            long start = (long)count * i / shards, end = (long)count * (i + 1) / shards;
            return new JobUnit(i, options.Seed, new Dictionary<string, string> { ["shard-start"] = Invariant(start), ["shard-count"] = Invariant(end - start) });
        }).ToArray();
        return new JobPlan { Kind = LaplaceShards, MasterSeed = options.Seed, Settings = settings, Units = units };
    }

    // ───────────────────────────── work ─────────────────────────────

    /// <summary><c>bnndsl work RUN [--index i | --all]</c>: runs one unit (or every unfinished one, in this process).</summary>
    public static int Work(Options options)
    {
        string run = RunDirectory(options);
        var plan = JobPlan.Load(run);
        if (options.AllUnits)
        {
            foreach (var unit in plan.Units)
                if (UnitManifest.Read(JobPlan.UnitDirectory(run, unit.Index)) is not { } done || done.PlanHash != plan.Hash)
                    RunUnit(plan, run, unit.Index, options);
            return 0;
        }
        int index;
        try { index = JobIndex.Resolve(options.Index, plan.Units.Count); }
        catch (InvalidOperationException e) { throw new UsageException(e.Message); }
        try { RunUnit(plan, run, index, options); }
        catch (TrainingDivergedException e)
        {
            // Its last saved epoch stays in resume/; a different plan (a lower --lr) is the fix.
            AnsiConsole.MarkupLine($"[red]Unit {index}: {Markup.Escape(e.Message)}[/]");
            return 3;
        }
        return 0;
    }

    static void RunUnit(JobPlan plan, string run, int index, Options local)
    {
        var unit = plan.Unit(index);
        string directory = JobPlan.UnitDirectory(run, index);
        Directory.CreateDirectory(directory);
        File.Delete(Path.Combine(directory, UnitManifest.FileName)); // until this run finishes, the unit is not done
        var options = FromSettings(plan.SettingsOf(index), local) with { Seed = unit.Seed, Out = directory };
        Console.WriteLine($"Unit {index} of {plan.Units.Count} ({plan.Kind}, seed {unit.Seed}){Describe(unit.Settings)}");
        var clock = Stopwatch.StartNew();
        string[] results = plan.Kind switch
        {
            Members or Chains => TrainMember(options, directory),
            Sweep => FashionJob.Run(options) == 0 ? Files(directory) : throw new InvalidOperationException($"Unit {index} diverged; see its output above."),
            LaplaceShards => AccumulateShard(plan, index, options, directory),
            _ => throw new InvalidDataException($"{Path.Combine(run, JobPlan.FileName)}: unknown kind '{plan.Kind}'."),
        };
        new UnitManifest(plan.Hash, index, unit.Seed, clock.Elapsed.TotalSeconds, results).Write(directory);
        Console.WriteLine($"Unit {index} done in {clock.Elapsed.TotalSeconds:F1} s.");
    }

    /// <summary>
    /// An ensemble member or a chain: the network created and trained on the unit's seed, as
    /// <see cref="Ensemble.FitMember"/> trains member k in one process; its checkpoint (and a sampler's spilled samples).
    /// A point to resume from is kept in <c>resume/</c> (after an epoch, every <c>--resume-every</c> seconds), so a unit
    /// stopped mid-run continues from its last point when run again, and ends as it would have without stopping.
    /// </summary>
    static string[] TrainMember(Options options, string directory)
    {
        var (data, _) = DataSources.Fashion(options.Data);
        using var full = DataSources.Read(data, "train");
        using var train = full.Take(Math.Min(options.TrainSize ?? full.Count, full.Count));
        random.manual_seed(options.Seed);
        using var model = FashionJob.CreateNetwork(options.Method, options.Network);
        FashionJob.ApplySamplerOptions(model, options);
        string resume = Path.Combine(directory, "resume");
        if (File.Exists(Path.Combine(resume, "resume.json"))) Console.WriteLine($"  resuming from the last epoch saved in {resume}");
        var epochs = Trainer.Fit(model, train, FashionJob.FitFor(options.Method, options), resumeDirectory: resume,
            resumeInterval: TimeSpan.FromSeconds(options.ResumeEvery));
        if (epochs.Count > 0) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  last epoch: loss {epochs[^1].Loss:F4}, {epochs[^1].Seconds:F2} s"));
        model.Save(Path.Combine(directory, "model.bin"));
        if (Directory.Exists(resume)) Directory.Delete(resume, recursive: true); // not a result: the unit is done
        return Files(directory);
    }

    /// <summary>A Laplace shard: the curvature sums over its slice of the training data at the plan's weights.</summary>
    static string[] AccumulateShard(JobPlan plan, int index, Options options, string directory)
    {
        var settings = plan.SettingsOf(index);
        var (model, _, _) = FashionJob.Load(settings["model"]);
        using var disposeModel = model;
        var laplace = (LaplaceApproximation)model.AfterTraining!;
        var (data, _) = DataSources.Fashion(options.Data);
        using var full = DataSources.Read(data, "train");
        int start = int.Parse(settings["shard-start"], CultureInfo.InvariantCulture), count = int.Parse(settings["shard-count"], CultureInfo.InvariantCulture);
        using var shard = new LabelledData(full.Inputs.narrow(0, start, count), full.Targets.narrow(0, start, count), $"{full.Description}, examples {start}–{start + count - 1}");
        laplace.ResetCurvature();
        laplace.AccumulateCurvature(model, shard);
        model.Save(Path.Combine(directory, "shard.bin"));
        return Files(directory);
    }

    // ───────────────────────────── run-local ─────────────────────────────

    /// <summary><c>bnndsl run-local RUN --workers W</c>: every unfinished unit as its own <c>work</c> process, W at a time.</summary>
    public static int RunLocal(Options options)
    {
        string run = RunDirectory(options);
        var plan = JobPlan.Load(run);
        var pending = plan.Units.Where(u => UnitManifest.Read(JobPlan.UnitDirectory(run, u.Index)) is not { } m || m.PlanHash != plan.Hash)
            .Select(u => u.Index).ToArray();
        int threads = options.WorkerThreads ?? Math.Max(1, Environment.ProcessorCount / options.Workers);
        Console.WriteLine($"{pending.Length} of {plan.Units.Count} units to run, {options.Workers} at a time, {threads} thread(s) each.");
        var clock = Stopwatch.StartNew();
        var outcomes = LocalWorkers.Run(pending, options.Workers, index => WorkerProcess(run, index, threads), outcome =>
            Console.WriteLine(outcome.ExitCode == 0
                ? string.Create(CultureInfo.InvariantCulture, $"unit {outcome.Index} finished ({outcome.Seconds:F1} s)")
                : $"unit {outcome.Index} failed (exit code {outcome.ExitCode}):{Environment.NewLine}{outcome.ErrorTail}"));
        var failed = outcomes.Where(o => o.ExitCode != 0).Select(o => o.Index).ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{outcomes.Count - failed.Length} units finished in {clock.Elapsed.TotalSeconds:F1} s") +
            (failed.Length > 0 ? $"; units {string.Join(", ", failed)} failed: run them again with the same command." : "."));
        return failed.Length == 0 ? 0 : 1;
    }

    /// <summary>This tool started again as a worker: the same executable (or <c>dotnet bnndsl.dll</c>) with <c>work</c>.</summary>
    static ProcessStartInfo WorkerProcess(string run, int index, int threads)
    {
        string host = Environment.ProcessPath ?? "dotnet";
        var info = new ProcessStartInfo(host);
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") info.ArgumentList.Add(typeof(ClusterJobs).Assembly.Location);
        foreach (var argument in new[] { "work", run, "--index", Invariant(index), "--threads", Invariant(threads) }) info.ArgumentList.Add(argument);
        // One thread pool per worker process: libtorch's and OpenMP's.
        info.Environment["OMP_NUM_THREADS"] = Invariant(threads);
        info.Environment["MKL_NUM_THREADS"] = Invariant(threads);
        return info;
    }

    // ───────────────────────────── gather ─────────────────────────────

    /// <summary>
    /// <c>bnndsl gather RUN</c>: checks every unit finished under this plan, then writes into <c>--out</c> (default the run
    /// directory) what one run writes: the model, metrics.json and the plots; a sweep's table instead.
    /// </summary>
    public static int Gather(Options options)
    {
        string run = RunDirectory(options);
        var plan = JobPlan.Load(run);
        var manifests = UnitManifest.Collect(run, plan);
        var local = FromSettings(plan.Settings, options) with { Seed = plan.MasterSeed, Out = options.OutGiven ? options.Out : run };
        var training = new Dictionary<string, object?>
        {
            ["plan"] = plan.Hash, ["plan_kind"] = plan.Kind, ["units"] = plan.Units.Count, ["epochs"] = local.Epochs ?? 20,
            ["seed"] = plan.MasterSeed, ["unit_seeds"] = plan.Units.Select(u => u.Seed).ToArray(),
            ["unit_seconds"] = manifests.Select(m => Math.Round(m.Seconds, 2)).ToArray(),
        };
        Console.WriteLine($"Gathering {plan.Units.Count} {plan.Kind} units of plan {plan.Hash}.");
        return plan.Kind switch
        {
            Members or Chains => GatherMembers(plan, run, local, training),
            Sweep => GatherSweep(plan, run, local),
            LaplaceShards => GatherShards(plan, run, local, training),
            _ => throw new InvalidDataException($"{Path.Combine(run, JobPlan.FileName)}: unknown kind '{plan.Kind}'."),
        };
    }

    /// <summary>Members or chains as one deep ensemble (chains: the predictive over all their samples), with R̂ and ESS for chains.</summary>
    static int GatherMembers(JobPlan plan, string run, Options options, Dictionary<string, object?> training)
    {
        using var ensemble = new Ensemble(() => FashionJob.CreateNetwork(options.Method, options.Network), plan.Units.Count);
        Directory.CreateDirectory(options.Out);
        for (int k = 0; k < plan.Units.Count; k++)
        {
            string unitCheckpoint = Path.Combine(JobPlan.UnitDirectory(run, k), "model.bin");
            ensemble.LoadMember(k, unitCheckpoint);
            ensemble.Members[k]!.Save(Ensemble.MemberPath(Path.Combine(options.Out, "model.bin"), k));
        }
        var (test, ood, _, description) = FashionJob.ReadEvaluationData(options);
        using var disposeTest = test;
        using var disposeOod = ood;
        training["ensemble_members"] = plan.Units.Count;
        if (plan.Kind == Chains) Diagnose(ensemble, test, training);
        random.manual_seed(options.Seed);
        FashionJob.Judge(ensemble.Members[0]!, options.Method, options.Network, description, test, ood, options, training,
            $"model.member0.bin … model.member{plan.Units.Count - 1}.bin", ensemble.Predict);
        return 0;
    }

    /// <summary>
    /// R̂ and ESS of the chains: in function space (each kept sample's mean log likelihood of the first 1,000 test images),
    /// and over every weight (median and largest R̂, share above 1.1, median ESS).
    /// </summary>
    static void Diagnose(Ensemble chains, LabelledData test, Dictionary<string, object?> training)
    {
        var stores = chains.Members.Select(m => (Model: m!, Store: (SampleStore)m!.Predictor)).ToArray();
        int kept = stores.Min(s => s.Store.Kept);
        if (stores.Any(s => s.Store.Kept != kept) || kept < 4)
        {
            training["convergence"] = $"not computed: the chains kept {string.Join(", ", stores.Select(s => s.Store.Kept))} samples (R̂ needs equal counts of at least 4)";
            return;
        }
        using var subset = test.Take(Math.Min(1000, test.Count));
        using (var logLikelihoods = tensor(stores.SelectMany(s => s.Store.SampleLogLikelihoods(s.Model, subset)).ToArray()).view(stores.Length, kept, 1))
        using (var functionSpace = Convergence.Diagnose(logLikelihoods))
        {
            training["rhat_test_log_likelihood"] = functionSpace.RHat.item<double>();
            training["ess_test_log_likelihood"] = functionSpace.EffectiveSampleSize.item<double>();
        }
        long parameters = stores[0].Store.Sample(0).numel();
        var rHats = new List<double>();
        var sizes = new List<double>();
        const long Chunk = 1 << 16; // [chains, samples, chunk] float64 at a time: the whole MLP would take gigabytes
        for (long start = 0; start < parameters; start += Chunk)
        {
            using var scope = NewDisposeScope();
            long width = Math.Min(Chunk, parameters - start);
            var draws = stack(stores.Select(s => stack(Enumerable.Range(0, kept).Select(i => s.Store.Sample(i).narrow(0, start, width)).ToArray())).ToArray());
            using var diagnostics = Convergence.Diagnose(draws);
            var finite = diagnostics.RHat.isfinite(); // a weight the chains never moved has no spread to compare
            rHats.AddRange(diagnostics.RHat[finite].data<double>());
            sizes.AddRange(diagnostics.EffectiveSampleSize[finite].data<double>());
        }
        if (rHats.Count == 0) return;
        training["rhat_weights_median"] = Statistics.Median(rHats);
        training["rhat_weights_max"] = rHats.Max();
        training["rhat_weights_above_1_1"] = rHats.Count(r => r > 1.1) / (double)rHats.Count;
        training["ess_weights_median"] = Statistics.Median(sizes);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Chains: R̂ of the test log likelihood {training["rhat_test_log_likelihood"]:F3} (ESS {training["ess_test_log_likelihood"]:F1}); weights' R̂ median {training["rhat_weights_median"]:F3}, max {training["rhat_weights_max"]:F2}, {training["rhat_weights_above_1_1"]:P1} above 1.1"));
    }

    /// <summary>Each sweep point's settings and metrics as sweep.md and sweep.json.</summary>
    static int GatherSweep(JobPlan plan, string run, Options options)
    {
        var keys = plan.Units.SelectMany(u => u.Settings.Keys).Distinct().OrderBy(k => k, StringComparer.Ordinal).ToArray();
        var rows = new List<Dictionary<string, object?>>();
        var table = new StringBuilder();
        table.AppendLine($"Sweep of plan {plan.Hash}: {plan.Units.Count} points ({string.Join(", ", plan.Settings.Where(p => !keys.Contains(p.Key)).Select(p => $"{p.Key} {p.Value}"))})");
        table.AppendLine();
        table.AppendLine($"| unit | seed | {string.Join(" | ", keys)}{(keys.Length > 0 ? " | " : "")}test error | NLL | ECE | OOD AUROC | s / epoch |");
        table.AppendLine($"| --- | --- | {string.Concat(keys.Select(_ => "--- | "))}--- | --- | --- | --- | --- |");
        foreach (var unit in plan.Units)
        {
            string metricsPath = Path.Combine(JobPlan.UnitDirectory(run, unit.Index), "metrics.json");
            using var metrics = JsonDocument.Parse(File.ReadAllText(metricsPath));
            double? Get(string name) => metrics.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
            var row = new Dictionary<string, object?> { ["unit"] = unit.Index, ["seed"] = unit.Seed };
            foreach (var key in keys) row[key] = unit.Settings.TryGetValue(key, out var value) ? value : plan.Settings.GetValueOrDefault(key);
            foreach (var name in new[] { "test_error", "nll", "ece", "ood_auroc", "seconds_per_epoch" }) row[name] = Get(name);
            rows.Add(row);
            string Format(string name, string format) => row[name] is double d ? d.ToString(format, CultureInfo.InvariantCulture) : "n/a";
            table.AppendLine($"| {unit.Index} | {unit.Seed} | {string.Concat(keys.Select(k => $"{row[k]} | "))}{Format("test_error", "P2")} | {Format("nll", "F3")} | {Format("ece", "F3")} | {Format("ood_auroc", "F3")} | {Format("seconds_per_epoch", "F2")} |");
        }
        Directory.CreateDirectory(options.Out);
        AtomicFile.Replace(Path.Combine(options.Out, "sweep.md"), temporary => File.WriteAllText(temporary, table.ToString()));
        AtomicFile.Replace(Path.Combine(options.Out, "sweep.json"), temporary => File.WriteAllText(temporary, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["plan"] = plan.Hash, ["settings"] = plan.Settings, ["points"] = rows,
        }, new JsonSerializerOptions { WriteIndented = true })));
        Console.Write(table);
        Console.WriteLine($"Wrote sweep.md and sweep.json to {options.Out}.");
        return 0;
    }

    /// <summary>The shards' curvature sums added and the fit finished once, exactly as one pass over all the data.</summary>
    static int GatherShards(JobPlan plan, string run, Options options, Dictionary<string, object?> training)
    {
        var (model, network, method) = FashionJob.Load(plan.Settings["model"]);
        using var disposeModel = model;
        var laplace = (LaplaceApproximation)model.AfterTraining!;
        var clock = Stopwatch.StartNew();
        laplace.ResetCurvature();
        for (int k = 0; k < plan.Units.Count; k++)
        {
            var (shard, _, _) = FashionJob.Load(Path.Combine(JobPlan.UnitDirectory(run, k), "shard.bin"));
            using (shard) laplace.AddCurvature((LaplaceApproximation)shard.AfterTraining!);
        }
        laplace.CompleteFit(model);
        training["curvature_examples"] = laplace.CurvatureExamples;
        training["combine_seconds"] = clock.Elapsed.TotalSeconds;
        Directory.CreateDirectory(options.Out);
        model.Save(Path.Combine(options.Out, "model.bin"));
        var (test, ood, _, description) = FashionJob.ReadEvaluationData(options);
        using var disposeTest = test;
        using var disposeOod = ood;
        random.manual_seed(options.Seed);
        FashionJob.Judge(model, method, network, description, test, ood, options, training, "model.bin");
        return 0;
    }

    // ───────────────────────────── helpers ─────────────────────────────

    static string RunDirectory(Options options) => options.Run is string run
        ? Path.GetFullPath(run)
        : throw new UsageException("Name the run directory: the --out of 'bnndsl plan'.");

    /// <summary>The files a unit wrote (its results), relative to its directory, the manifest excepted.</summary>
    static string[] Files(string directory) => Directory.GetFiles(directory)
        .Select(Path.GetFileName).Where(name => name != UnitManifest.FileName && !name!.Contains(".tmp-")).Order(StringComparer.Ordinal).ToArray()!;

    static string Describe(IReadOnlyDictionary<string, string> settings) =>
        settings.Count == 0 ? "" : ": " + string.Join(", ", settings.Select(p => $"{p.Key} {p.Value}"));

    /// <summary>A Kubernetes object name from a directory name: lower-case letters, digits and '-'.</summary>
    static string KubernetesName(string name)
    {
        var cleaned = new string(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        return cleaned.Length == 0 ? "run" : cleaned[..Math.Min(cleaned.Length, 40)];
    }

    static string Invariant(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);
}

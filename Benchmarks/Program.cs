using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using BnnDsl;
using BnnDsl.Benchmarks;
using BnnDsl.Examples.Cli;
using static TorchSharp.torch;

// Speed pairs, each timed in one process with their epochs alternating (A, B, A, B, ...), so that machine noise
// falls on both; the figure is the median of the per-round ratios. Usage:
//   bnndsl-bench [--epochs N] [--data DIR] [--threads N]
//   bnndsl-bench --profile        (milliseconds per step: forward, backward, Adam)
//   bnndsl-bench --generator      (generator and analyzers against the compiler; incremental re-run)
//   bnndsl-bench --kernels        (libtorch's matrix-product GFLOP/s at the MLP's shapes; elementwise kernels; the KL gradient pass)
//   bnndsl-bench --lenet5         (LeNet-5: the main job's mean-field declaration against MAP)
//   bnndsl-bench --mnf            (MNF against the main job's mean-field declaration, MLP and LeNet-5; step parts)
//   bnndsl-bench --laplace        (the four Laplace declarations' fit and predictive times and memory, MLP and LeNet-5)
//   bnndsl-bench --samplers       (each sampler's epoch against MAP's; prediction over 32 kept samples against mean-field's 32 draws)
int epochs = 6;
string? dataDirectory = null;
int threads = Environment.ProcessorCount;
bool profile = false;
bool generatorTiming = false;
bool kernels = false;
bool lenet5 = false, mnf = false, laplace = false, samplers = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--profile": profile = true; break;
        case "--generator": generatorTiming = true; break;
        case "--kernels": kernels = true; break;
        case "--lenet5": lenet5 = true; break;
        case "--mnf": mnf = true; break;
        case "--laplace": laplace = true; break;
        case "--samplers": samplers = true; break;
        case "--epochs": epochs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--data": dataDirectory = args[++i]; break;
        case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown option {args[i]}; usage: bnndsl-bench [--profile | --generator | --kernels | --lenet5 | --mnf | --laplace | --samplers] [--epochs N] [--data DIR] [--threads N]"); return 2;
    }
}
if (generatorTiming)
{
    GeneratorTiming.Run(repetitions: 21);
    return 0;
}
// Before anything computes, the benchmarks opt in to MKL choosing its code path by instruction sets, so that every
// contender, the hand-written MLP included, runs its matrix products on the same path (the library never does this itself).
bool mklByInstructionSets = CpuKernels.ChooseMklPathByInstructionSets();
string mkl = (CpuKernels.IsNative ? $"kernels {CpuKernels.InstructionSet}" : "no kernels")
    + (mklByInstructionSets ? "; MKL by instruction sets" : "; MKL by vendor");
set_num_threads(threads);
NativeAllocator.KeepLargeBlocks();
if (kernels || profile) Console.WriteLine($"{get_num_threads()} threads; {mkl}");
if (kernels)
{
    KernelTimes.Print();
    return 0;
}
if (profile)
{
    // Per-step breakdown on random minibatches; the last rows train on Fashion-MNIST (or the embedded subset).
    random.manual_seed(1);
    using var plain = new HandWrittenMlp();
    StepProfile.Print("hand-written TorchSharp MLP", (x, y) => nn.functional.cross_entropy(plain.forward(x), y), plain);
    using (var decayed = FashionJob.CreateNetwork("map"))
        StepProfile.Print("map as the trainer runs it (decay in Adam)", (x, y) => decayed.NegativeLogLikelihood(x, y), decayed,
            weightDecay: decayed.Layers.SelectMany(l => l.WeightDecay).Select(p => (p.Parameter, p.Precision / 60000)));
    using (var direct = FashionJob.CreateNetwork("mean-field"))
    {
        StepProfile.Print("mean-field as the trainer runs it (KL direct)", (x, y) => direct.NegativeLogLikelihood(x, y), direct,
            afterBackward: () => { foreach (var layer in direct.Layers) layer.AddComplexityGradient(1.0 / 60000); });
    }
    foreach (var fused in new[] { true, false })
    {
        // The same steps with CpuKernels off: the Monte Carlo KL and Adam as separate libtorch passes, libtorch's noise.
        CpuKernels.Enabled = fused;
        foreach (var method in new[] { "map", "peer-mf", "peer-mf-lrt", "mean-field" })
        {
            using var network = FashionJob.CreateNetwork(method);
            StepProfile.Print($"{method} ({network.GetType().Name}{(method == "map" ? ", prior differentiated" : "")}{(fused ? "" : "; kernels off")})",
                (x, y) => network.Loss(x, y, 60000).Loss, network);
        }
    }
    CpuKernels.Enabled = true;
    // The same steps without the complexity term, and what no implementation of each method can avoid: how far each
    // part of a mean-field step sits above MAP's.
    foreach (var method in new[] { "peer-mf-lrt", "mean-field" })
    {
        using var network = FashionJob.CreateNetwork(method);
        StepProfile.Print($"{method} without its KL term", (x, y) => network.NegativeLogLikelihood(x, y), network);
    }
    double mapFloor = StepProfile.Floor("floor: map", paths: 1);
    double meanFieldFloor = StepProfile.Floor("floor: local reparameterisation", paths: 2);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  floor ratio {meanFieldFloor / mapFloor:F2}"));
    // Adam's pass once weights have decayed for five epochs of real minibatches, with and without flushing subnormals
    // (SubnormalFlush): the weights the data never moves sink through the subnormal range only after some epochs.
    // Alternating, twice each, as the machine drifts.
    var (trainDirectory, _) = DataSources.Fashion(dataDirectory);
    using var trainingData = DataSources.Read(trainDirectory, "train");
    foreach (var flush in new[] { false, true, false, true })
    {
        SubnormalFlush.Enabled = flush;
        random.manual_seed(1);
        using var trained = FashionJob.CreateNetwork("map");
        StepProfile.Print($"map after 5 epochs ({(flush ? "subnormals flushed" : "subnormals kept")})", (x, y) => trained.NegativeLogLikelihood(x, y), trained,
            weightDecay: trained.Layers.SelectMany(l => l.WeightDecay).Select(p => (p.Parameter, p.Precision / trainingData.Count)),
            data: trainingData, warmUpSteps: 5 * trainingData.Count / 128);
    }
    SubnormalFlush.Enabled = true;
    return 0;
}
var (directory, description) = DataSources.Fashion(dataDirectory);
using var train = DataSources.Read(directory, "train");
Console.WriteLine($"data: {description}; {train.Count} training images; {get_num_threads()} threads; {mkl}; {epochs} epochs per contender, alternating");

if (laplace)
{
    using var test = DataSources.Read(directory, "t10k");
    foreach (var network in new[] { "mlp", "lenet5" }) LaplaceTiming.Print(train, test, epochs, network);
    return 0;
}
if (samplers)
{
    using var test = DataSources.Read(directory, "t10k");
    foreach (var network in new[] { "mlp", "lenet5" })
    {
        foreach (var method in new[] { "sgld", "psgld", "sghmc", "csghmc" })
        {
            random.manual_seed(1);
            using var sampler = FashionJob.CreateNetwork(method, network);
            using var mapNetwork = FashionJob.CreateNetwork("map", network);
            // Planned as long as the run, so the sampler keeps its samples in the last epochs timed.
            Compare($"{network} {method}", EpochRunner.ForNetwork(sampler, train, plannedEpochs: epochs),
                $"{network} MAP", EpochRunner.ForNetwork(mapNetwork, train), epochs, goal: "≤ 1.2");
            if (method != "sgld") continue;
            using var meanFieldNetwork = FashionJob.CreateNetwork("mean-field", network);
            double Predict(BayesianModule model)
            {
                var clock = Stopwatch.StartNew();
                using var predictive = model.Predict(test.Inputs, samples: 32, batchSize: 1000);
                return clock.Elapsed.TotalSeconds;
            }
            var times = Enumerable.Range(0, 3).Select(_ => (Sampler: Predict(sampler), MeanField: Predict(meanFieldNetwork))).ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{network}: predicting 10,000 test images: SGLD's {((SampleStore)sampler.Predictor).Kept} kept samples {times.Min(t => t.Sampler):F2} s, "
                + $"mean-field's 32 draws {times.Min(t => t.MeanField):F2} s (best of three)"));
        }
    }
    return 0;
}
if (mnf)
{
    MnfProfile.Print(784, 400);
    MnfProfile.Print(84, 10);
    // Where an MNF step's time goes, beside the mean-field step, as the trainer runs both (complexity gradient direct).
    foreach (var network in new[] { "mlp", "lenet5" })
        foreach (var method in new[] { "mean-field", "mnf" })
        {
            random.manual_seed(1);
            using var model = FashionJob.CreateNetwork(method, network);
            StepProfile.Print($"{network} {method}, NLL only", (x, y) => model.NegativeLogLikelihood(x, y), model);
            StepProfile.Print($"{network} {method} as the trainer runs it", (x, y) => model.NegativeLogLikelihood(x, y), model,
                afterBackward: () => { foreach (var layer in model.Layers) layer.AddComplexityGradient(1.0 / train.Count); });
            StepProfile.Print($"{network} {method}, the loss differentiated whole", (x, y) => model.Loss(x, y, train.Count).Loss, model);
        }
    foreach (var network in new[] { "mlp", "lenet5" })
    {
        random.manual_seed(1);
        using var mnfNetwork = FashionJob.CreateNetwork("mnf", network);
        using var meanFieldNetwork = FashionJob.CreateNetwork("mean-field", network);
        Compare($"{network} MNF", EpochRunner.ForNetwork(mnfNetwork, train),
            $"{network} mean-field (main job's declaration)", EpochRunner.ForNetwork(meanFieldNetwork, train), epochs, goal: "≤ 2");
    }
    return 0;
}

if (lenet5)
{
    random.manual_seed(1);
    using var lenetMap = FashionJob.CreateNetwork("map", "lenet5");
    using var lenetMeanField = FashionJob.CreateNetwork("mean-field", "lenet5");
    Compare("LeNet-5 mean-field (main job's declaration, local reparameterisation)", EpochRunner.ForNetwork(lenetMeanField, train),
        "LeNet-5 MAP", EpochRunner.ForNetwork(lenetMap, train), epochs, goal: "≤ 3");
    return 0;
}

random.manual_seed(1);
using var handWritten = new HandWrittenMlp();
using var map = FashionJob.CreateNetwork("map");
using var meanField = FashionJob.CreateNetwork("mean-field");
using var meanFieldPeerLrt = FashionJob.CreateNetwork("peer-mf-lrt");
using var meanFieldPeer = FashionJob.CreateNetwork("peer-mf");

var handWrittenEpoch = EpochRunner.ForModule(handWritten, train);
var mapEpoch = EpochRunner.ForNetwork(map, train);
var meanFieldEpoch = EpochRunner.ForNetwork(meanField, train);
var peerLrtEpoch = EpochRunner.ForNetwork(meanFieldPeerLrt, train);
var peerEpoch = EpochRunner.ForNetwork(meanFieldPeer, train);

Compare("generated MAP", mapEpoch, "hand-written TorchSharp MLP", handWrittenEpoch, epochs, goal: "≤ 1.05");
Compare("mean-field (default declaration)", meanFieldEpoch, "generated MAP", mapEpoch, epochs, goal: "≤ 3");
Compare("mean-field (peers' setting, local reparameterisation)", peerLrtEpoch, "generated MAP", mapEpoch, epochs, goal: "≤ 3");
Compare("mean-field (peers' setting, per-weight sampling)", peerEpoch, "generated MAP", mapEpoch, epochs, goal: "≤ 3");
Compare("mean-field (default declaration)", meanFieldEpoch, "the same with the fused CPU kernels off", WithSwitchOff(on => CpuKernels.Enabled = on, meanFieldEpoch), epochs, goal: "< 1");
// Two fresh MAP networks from the same start, each trained five epochs untimed first: weights decayed towards 0 reach
// the subnormal range only after some epochs (SubnormalFlush).
random.manual_seed(1);
using var mapFlushed = FashionJob.CreateNetwork("map");
random.manual_seed(1);
using var mapUnflushed = FashionJob.CreateNetwork("map");
var flushedEpoch = EpochRunner.ForNetwork(mapFlushed, train);
var unflushedEpoch = WithSwitchOff(on => SubnormalFlush.Enabled = on, EpochRunner.ForNetwork(mapUnflushed, train));
for (int e = 0; e < 5; e++) { flushedEpoch(); unflushedEpoch(); }
Compare("generated MAP, after 5 epochs", flushedEpoch, "the same without flushing subnormals", unflushedEpoch, epochs, goal: "< 1");
return 0;

// An epoch run with a process-wide switch off (CpuKernels.Enabled, SubnormalFlush.Enabled), the baseline that shows
// what the switched feature saves; the switch is back on afterwards.
static Func<double> WithSwitchOff(Action<bool> setSwitch, Func<double> epoch) => () =>
{
    setSwitch(false);
    try { return epoch(); }
    finally { setSwitch(true); }
};

static void Compare(string nameA, Func<double> epochA, string nameB, Func<double> epochB, int epochs, string goal)
{
    var a = new List<double>();
    var b = new List<double>();
    epochA(); // warm-up epoch each: first-touch allocation and libtorch's lazy initialisation
    epochB();
    for (int e = 0; e < epochs; e++)
    {
        a.Add(epochA());
        b.Add(epochB());
    }
    double medianA = Statistics.Median(a), medianB = Statistics.Median(b);
    // The machine drifts by ±20% over a minute; the ratio within each round (A, then B right after) cancels the drift
    // that the ratio of the two medians would keep.
    var roundRatios = a.Zip(b, (x, y) => x / y).ToList();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{nameA}: {medianA:F2} s/epoch (median of {epochs}; {string.Join(" ", a.Select(x => x.ToString("F2", CultureInfo.InvariantCulture)))})"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{nameB}: {medianB:F2} s/epoch (median of {epochs}; {string.Join(" ", b.Select(x => x.ToString("F2", CultureInfo.InvariantCulture)))})"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  ratio {Statistics.Median(roundRatios):F3}, median of the {epochs} rounds' ratios ({roundRatios.Min():F2}–{roundRatios.Max():F2}); ratio of medians {medianA / medianB:F3} (goal {goal})\n"));
}


using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>Training loop behaviour: divergence, checkpoints, input checks.</summary>
public class TrainingTests
{
    [Fact]
    public void ANanLossStopsAtTheStepWithTheParametersOfTheStepBefore()
    {
        random.manual_seed(4);
        using var model = new TinyClassifier();
        var before = model.parameters().Select(p => p.detach().clone()).ToArray();
        var inputs = randn(32, 4);
        inputs[20, 1] = float.NaN; // the second minibatch of 16 holds it
        using var data = new LabelledData(inputs, zeros(32, dtype: ScalarType.Int64), "with a NaN");
        var error = Assert.Throws<TrainingDivergedException>(() =>
            Trainer.Fit(model, data, new FitOptions { Epochs = 1, BatchSize = 16, Seed = 0 }));
        Assert.Equal(1, error.Epoch);
        Assert.InRange(error.Step, 1, 2);
        Assert.Contains($"step {error.Step}", error.Message);
        Assert.All(model.parameters(), p => Assert.False(p.isnan().any().item<bool>()));
        if (error.Step == 1)
            Assert.All(model.parameters().Zip(before), pair => Assert.True(pair.First.eq(pair.Second).all().item<bool>()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // under the cosine schedule, against TorchSharp's CosineAnnealingLR stepped after every update
    public void MapUnderNormalPriorsTrainsAsWithTheFullLossDifferentiated(bool cosine)
    {
        // The trainer applies a zero-mean Normal prior's gradient as weight decay τ/N; the reference differentiates the
        // full loss, −log p(θ)/N included (its gradient checked against autograd of the formula in KlTests), and steps
        // TorchSharp's Adam. Full-batch steps, so the minibatch order cannot differ; a small N makes the
        // prior matter (decay 1/16 per step at lr 0.01).
        const int N = 16;
        var (x, y, fast, reference) = FullBatchProblem(N, () => new TinyMapClassifier());
        using var data = new LabelledData(x, y, "random");
        using var disposeFast = fast;
        using var disposeReference = reference;
        var decayed = fast.Layers.SelectMany(layer => layer.WeightDecay).ToArray();
        Assert.Equal(4, decayed.Length);
        Assert.All(decayed, p => Assert.Equal(1.0, p.Precision));

        double initialPenalty;
        using (no_grad()) initialPenalty = fast.Complexity().item<float>();
        var schedule = cosine ? LearningRateSchedule.Cosine : LearningRateSchedule.Constant;
        var epochs = Trainer.Fit(fast, data, new FitOptions { Epochs = 30, BatchSize = N, LearningRate = 0.01, Schedule = schedule });
        // The report's penalty is −log p(θ) at each epoch's start (here one step per epoch), and the loss adds it / N.
        Assert.Equal(initialPenalty, epochs[0].Complexity, 4);
        Assert.Equal(epochs[0].Nll + initialPenalty / N, epochs[0].Loss, 4);
        Assert.NotEqual(epochs[0].Complexity, epochs[1].Complexity);
        using var adam = optim.Adam(reference.parameters(), 0.01);
        var annealing = cosine ? optim.lr_scheduler.CosineAnnealingLR(adam, 30) : null;
        for (int step = 0; step < 30; step++)
        {
            using var scope = NewDisposeScope();
            var loss = reference.Loss(x, y, N).Loss;
            adam.zero_grad();
            loss.backward();
            adam.step();
            annealing?.step();
        }
        foreach (var (a, b) in fast.parameters().Zip(reference.parameters()))
            Assert.True((a - b).abs().max().item<float>() < 1e-5f, "parameters differ between weight decay and autograd");
        // And the prior did move them: without it the parameters end elsewhere.
        random.manual_seed(5);
        using var unregularised = new TinyMapClassifier();
        using var plain = optim.Adam(unregularised.parameters(), 0.01);
        for (int step = 0; step < 30; step++)
        {
            using var scope = NewDisposeScope();
            var nll = unregularised.LogLikelihood(unregularised.forward(x), y).mean().neg();
            plain.zero_grad();
            nll.backward();
            plain.step();
        }
        Assert.True(fast.parameters().Zip(unregularised.parameters()).Max(p => (p.First - p.Second).abs().max().item<float>()) > 1e-3f);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // the libtorch formulation of the KL's gradient
    public void MeanFieldTrainsAsWithTheFullLossDifferentiated(bool fusedKernels)
    {
        // The trainer differentiates the NLL and adds the KL's gradient directly (DirectKlTests checks one step against
        // autograd); the reference differentiates the whole loss, with the trainer's seeding, minibatch order and
        // report (whose KL at each epoch's start takes noise keys too), so that every draw is the same. Full-batch
        // steps; a small N makes the KL matter. Local reparameterisation, a scale-mixture layer and a Normal one.
        using var kernels = new KernelSwitch(fusedKernels);
        MeanFieldAgreesWithAutograd();
    }

    static void MeanFieldAgreesWithAutograd()
    {
        const int N = 16, Epochs = 20;
        const long Seed = 9;
        var (x, y, fast, reference) = FullBatchProblem(N, () => new TinyMixtureClassifier());
        using var data = new LabelledData(x, y, "random");
        using var disposeFast = fast;
        using var disposeReference = reference;
        var epochs = Trainer.Fit(fast, data, new FitOptions { Epochs = Epochs, BatchSize = N, LearningRate = 0.01, Seed = Seed });

        random.manual_seed(Seed);
        var order = new Generator((ulong)Seed);
        using var adam = new Adam(reference.parameters(), 0.01);
        for (int epoch = 0; epoch < Epochs; epoch++)
        {
            using var scope = NewDisposeScope();
            double kl;
            using (no_grad()) kl = reference.Complexity().item<float>();
            // The report: the KL at the epoch's start, and the loss adds it / N to the step's NLL.
            Assert.Equal(kl, epochs[epoch].Complexity, kl * 1e-5);
            Assert.Equal(epochs[epoch].Nll + kl / N, epochs[epoch].Loss, 1e-4);
            var permutation = randperm(N, generator: order);
            var loss = reference.Loss(x.index_select(0, permutation), y.index_select(0, permutation), N).Loss;
            adam.ZeroGrad();
            loss.backward();
            adam.Step();
        }
        foreach (var (a, b) in fast.parameters().Zip(reference.parameters()))
            Assert.True((a - b).abs().max().item<float>() < 1e-5f, "parameters differ between the direct KL gradient and autograd");
        Assert.NotEqual(epochs[0].Complexity, epochs[^1].Complexity);
    }

    /// <summary>N random examples of 4 features and 3 classes, and two networks with the same initial parameters.</summary>
    static (Tensor X, Tensor Y, T First, T Second) FullBatchProblem<T>(int n, Func<T> create)
    {
        random.manual_seed(21);
        var x = randn(n, 4);
        var y = randint(0, 3, new long[] { n });
        random.manual_seed(5);
        var first = create();
        random.manual_seed(5);
        return (x, y, first, create());
    }

    [Theory]
    [InlineData(1.0, 0.0, true)]
    [InlineData(1e-9, 0.0, true)] // gradients near ε = 1e-8, where the place of ε in the denominator matters
    [InlineData(1.0, 0.0, false)] // the libtorch formulation, which runs on other devices
    [InlineData(1.0, 0.3, true)]  // L2 weight decay, as MAP under Normal priors uses it
    [InlineData(1.0, 0.3, false)]
    public void TheTrainersAdamMakesTorchSharpsAdamUpdates(double lossScale, double weightDecay, bool fusedKernels)
    {
        // Same parameters, same gradients each step, 60 steps of both optimisers; a second parameter has no gradient on
        // every other step, which neither optimiser counts as a step. The folded bias correction changes only rounding,
        // so the parameters agree to float32 precision over the whole run. 280 and 7 elements: the fused kernel's
        // vectorised loop and its scalar tail.
        using var kernels = new KernelSwitch(fusedKernels);
        AdamAgreesWithTorchSharpsAdam(lossScale, weightDecay);
    }

    static void AdamAgreesWithTorchSharpsAdam(double lossScale, double weightDecay)
    {
        random.manual_seed(8);
        var start = randn(40, 7);
        var ours = new[] { new TorchSharp.Modules.Parameter(start.clone()), new TorchSharp.Modules.Parameter(start[0].clone()) };
        var theirs = new[] { new TorchSharp.Modules.Parameter(start.clone()), new TorchSharp.Modules.Parameter(start[0].clone()) };
        // Weight decay on the first parameter only; Adam treats parameters independently, so the reference is one
        // TorchSharp Adam per parameter, with and without decay.
        using var adam = new Adam(ours, 0.01, weightDecay: new[] { (ours[0], weightDecay) });
        using var referenceDecayed = optim.Adam(new[] { theirs[0] }, 0.01, weight_decay: weightDecay);
        using var referencePlain = optim.Adam(new[] { theirs[1] }, 0.01);
        var target = randn(40, 7);
        // A loss whose gradient changes sign and scale between steps and elements. Its frequencies stay low (a sine of
        // at most 3θ): a term like sin(60θ) would amplify the optimisers' last-bit rounding differences into 1e-4
        // within the run, and the test would compare chaos instead of updates.
        Tensor Loss(TorchSharp.Modules.Parameter[] p, int step) =>
            (((p[0] - target).pow(4).sum() + (p[0] * (1 + step % 3)).sin().sum() * (step % 5 - 2))
             + (step % 2 == 0 ? (p[1] - 2).square().sum() * (1 + step) : zeros(1).sum())) * lossScale;
        for (int step = 0; step < 60; step++)
        {
            using var scope = NewDisposeScope();
            adam.ZeroGrad();
            foreach (var p in theirs) p.grad = null; // TorchSharp zeroes in place; a skipped parameter needs no gradient
            Loss(ours, step).backward();
            Loss(theirs, step).backward();
            adam.Step();
            referenceDecayed.step();
            referencePlain.step();
        }
        for (int i = 0; i < ours.Length; i++)
        {
            Assert.True((ours[i] - theirs[i]).abs().max().item<float>() < 1e-5f, $"parameter {i}: the two Adams differ by {(ours[i] - theirs[i]).abs().max().item<float>()}");
            Assert.True((ours[i] - (i == 0 ? start : start[0])).abs().max().item<float>() > 0.05f, $"parameter {i} did not move");
        }
        adam.ZeroGrad();
        Assert.Null(ours[0].grad);
    }

    [Fact]
    public void AdamRejectsWeightDecayItCannotApply()
    {
        var owned = new TorchSharp.Modules.Parameter(zeros(3));
        var stranger = new TorchSharp.Modules.Parameter(zeros(3));
        Assert.Throws<ArgumentException>(() => new Adam(new[] { owned }, 0.01, weightDecay: new[] { (stranger, 0.1) }));
        Assert.Throws<ArgumentException>(() => new Adam(new[] { owned }, 0.01, weightDecay: new[] { (owned, 0.1), (owned, 0.2) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(new[] { owned }, 0.01, weightDecay: new[] { (owned, -0.1) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(new[] { owned }, 0.01, weightDecay: new[] { (owned, double.NaN) }));
    }

    [Fact]
    public void TheCosineScheduleIsPyTorchsCosineAnnealingSteppedPerMinibatch()
    {
        // The reference: TorchSharp's CosineAnnealingLR(T_max = T, eta_min = 0) stepped after every update, which
        // computes the same curve by a recursion; they agree to rounding.
        const int total = 50;
        var options = new FitOptions { LearningRate = 0.003, Schedule = LearningRateSchedule.Cosine };
        var parameter = new TorchSharp.Modules.Parameter(zeros(1));
        using var sgd = optim.SGD(new[] { parameter }, 0.003);
        var scheduler = optim.lr_scheduler.CosineAnnealingLR(sgd, total);
        for (int step = 0; step < total; step++)
        {
            double expected = sgd.ParamGroups.First().LearningRate;
            Assert.True(Math.Abs(options.LearningRateAt(step, total) - expected) <= 1e-12 * 0.003, $"step {step}: {options.LearningRateAt(step, total)} vs {expected}");
            sgd.step();
            scheduler.step();
        }
        Assert.Equal(0.003, options.LearningRateAt(0, total));
        Assert.Equal(options.LearningRateAt(total - 1, total), options.LearningRateAt(total + 7, total)); // no rise after the plan
        Assert.Equal(0.003, new FitOptions { LearningRate = 0.003 }.LearningRateAt(total - 1, total));
    }

    // Read at run time: constant operands would be multiplied by the compiler, not under the thread's MXCSR.
    static float smallestSubnormal = float.Epsilon, two = 2f, small = 1e-20f;

    [Fact]
    public void SubnormalsAreFlushedInsideTheScopeAndOnlyThere()
    {
        // Supported exactly on x86-64 Linux with glibc (the machines this project builds and tests on).
        Assert.True(!SubnormalFlush.IsSupported || (OperatingSystem.IsLinux()
            && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64));
        Assert.Equal(2 * float.Epsilon, smallestSubnormal * two); // a subnormal input
        Assert.True(small * small is > 0 and < 1.1754944e-38f);    // a subnormal result
        float input, result;
        using (SubnormalFlush.Begin()) (input, result) = (smallestSubnormal * two, small * small);
        Assert.Equal(SubnormalFlush.IsSupported ? 0f : 2 * float.Epsilon, input);   // denormals are zero
        Assert.Equal(SubnormalFlush.IsSupported ? 0f : small * small, result);      // flush to zero
        Assert.Equal(2 * float.Epsilon, smallestSubnormal * two); // restored
        Assert.True(small * small > 0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AdamStoresNoSubnormalNumbers(bool fusedKernels)
    {
        // Weights with no data gradient under weight decay shrink geometrically towards 0 (once |g| is far below Adam's
        // ε each step overshoots 0 by a constant factor), about 1e-28 after 1,000 steps from 1e-3, and would go on
        // through the subnormal range. With subnormals flushed during the update none is ever stored; the weights stop
        // where the update's products underflow (a contribution of order 1e-30 to any sum they enter).
        using var kernels = new KernelSwitch(fusedKernels);
        var (stored, largest) = DecayWithoutData(flush: true);
        if (SubnormalFlush.IsSupported) Assert.Equal(0, stored);
        Assert.True(largest < 1e-25f, "the weights decay towards 0");
        // The control: the same run with the flush off does store subnormals.
        Assert.True(DecayWithoutData(flush: false).SubnormalsStored > 0);
    }

    /// <summary>1,500 Adam steps of 100 weights from N(0, 1e-6) with weight decay 1/60000 and no data gradient.</summary>
    static (long SubnormalsStored, float Largest) DecayWithoutData(bool flush)
    {
        SubnormalFlush.Enabled = flush;
        try
        {
            random.manual_seed(3);
            var weight = new TorchSharp.Modules.Parameter(randn(100) * 1e-3f);
            using var adam = new Adam(new[] { weight }, 1e-3, weightDecay: new[] { (weight, 1.0 / 60000) });
            long stored = 0;
            for (int step = 0; step < 1500; step++)
            {
                using var scope = NewDisposeScope();
                adam.ZeroGrad();
                (weight * 0).sum().backward();
                adam.Step();
                var magnitude = weight.detach().abs();
                stored += magnitude.lt(1.1754944e-38f).logical_and(magnitude.gt(0)).sum().item<long>();
            }
            return (stored, weight.abs().max().item<float>());
        }
        finally { SubnormalFlush.Enabled = true; }
    }

    [Fact]
    public void TheTrainerStepsTheScheduleOncePerMinibatchAcrossEpochs()
    {
        // 10 examples in batches of 4: three steps an epoch, the last one short; a schedule planned over three epochs,
        // then a fourth run beyond the plan, which keeps the last rate.
        random.manual_seed(2);
        using var data = new LabelledData(randn(10, 4), randint(0, 3, new long[] { 10 }), "random");
        using var model = new TinyMapClassifier();
        var options = new FitOptions { Epochs = 3, BatchSize = 4, LearningRate = 0.01, Schedule = LearningRateSchedule.Cosine };
        var reported = new ProgressRecorder();
        using (var session = new TrainingSession(model, data, options))
            for (int epoch = 0; epoch < 4; epoch++) session.RunEpoch(reported);
        var expected = Enumerable.Range(0, 9).Select(step => options.LearningRateAt(step, 9)).Concat(Enumerable.Repeat(options.LearningRateAt(8, 9), 3));
        Assert.Equal(expected, reported.Reports.Select(r => r.LearningRate));
        Assert.Equal(new[] { 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3 }, reported.Reports.Select(r => r.Step));
        Assert.True(reported.Reports[8].LearningRate < 0.01 * 0.05, "the last planned step runs near zero");
    }

    [Fact]
    public void TheKlWeightRisesLinearlyOverTheWarmUpThenStaysAtItsTemperedValue()
    {
        var options = new FitOptions { KlWarmUpEpochs = 2 };
        Assert.Equal(new[] { 0.25, 0.5, 0.75, 1, 1, 1 }, Enumerable.Range(0, 6).Select(step => options.KlWeightAt(step, stepsPerEpoch: 2)));
        Assert.Equal(1, new FitOptions().KlWeightAt(0, 100));
        Assert.Equal(0.1, new FitOptions { KlWarmUpEpochs = 0.5 }.KlWeightAt(0, 20), 12);
        // A tempered posterior's weight β scales the whole course: the ramp ends at β, not at 1.
        var tempered = new FitOptions { KlWarmUpEpochs = 2, KlWeight = 0.2 };
        var expected = new[] { 0.05, 0.1, 0.15, 0.2, 0.2, 0.2 };
        for (int step = 0; step < 6; step++) Assert.Equal(expected[step], tempered.KlWeightAt(step, stepsPerEpoch: 2), 12);
        Assert.Equal(0.3, new FitOptions { KlWeight = 0.3 }.KlWeightAt(0, 100));
        using var model = new TinyClassifier();
        using var data = new LabelledData(randn(4, 4), zeros(4, dtype: ScalarType.Int64), "random");
        Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Fit(model, data, new FitOptions { KlWarmUpEpochs = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Fit(model, data, new FitOptions { KlWarmUpEpochs = double.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Fit(model, data, new FitOptions { KlWeight = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Fit(model, data, new FitOptions { KlWeight = double.PositiveInfinity }));
    }

    [Theory]
    [InlineData(1)] // the KL's gradient added by the layers
    [InlineData(2)] // the loss differentiated whole
    public void AWarmedUpOrTemperedKlWeighsTheComplexityGradientAndNothingElse(int trainingSamples)
    {
        // One full-batch step at KL weights ¼, ½ and 1 (warm-ups of 4, 2 and 0 epochs), the same draws each time: the
        // gradient is g_nll + β g_kl, so the change from ½ to 1 is twice that from ¼ to ½, and not zero.
        random.manual_seed(9);
        var inputs = randn(16, 4);
        var targets = randint(0, 3, new long[] { 16 });
        using var data = new LabelledData(inputs, targets, "random");
        var gradients = new[] { 4.0, 2.0, 0.0 }.Select(warmUp =>
        {
            random.manual_seed(3);
            using var model = new TinyClassifier();
            var recorder = new GradientRecorder();
            Trainer.Fit(model, data, new FitOptions
            {
                Epochs = 1, BatchSize = 16, KlWarmUpEpochs = warmUp, TrainingSamples = trainingSamples,
                StepRule = (parameters, _, _, _) => recorder.For(parameters),
            });
            return recorder.First!;
        }).ToArray();
        using var quarterToHalf = gradients[1] - gradients[0];
        using var halfToFull = gradients[2] - gradients[1];
        Assert.True(quarterToHalf.abs().max().item<float>() > 1e-4, "the KL moves the gradient");
        Assert.True(halfToFull.allclose(2 * quarterToHalf, rtol: 1e-4, atol: 1e-6));

        // A tempered posterior (KlWeight β, no warm-up) takes the same step as a warm-up at weight β, and β = 2 continues the line.
        var tempered = new[] { 0.25, 2.0 }.Select(weight =>
        {
            random.manual_seed(3);
            using var model = new TinyClassifier();
            var recorder = new GradientRecorder();
            Trainer.Fit(model, data, new FitOptions
            {
                Epochs = 1, BatchSize = 16, KlWeight = weight, TrainingSamples = trainingSamples,
                StepRule = (parameters, _, _, _) => recorder.For(parameters),
            });
            return recorder.First!;
        }).ToArray();
        Assert.True(tempered[0].allclose(gradients[0], rtol: 1e-5, atol: 1e-7), "KlWeight ¼ differs from a warm-up at ¼");
        Assert.True((tempered[1] - gradients[2]).allclose(2 * halfToFull, rtol: 1e-4, atol: 1e-6), "KlWeight 2 is not g_nll + 2 g_kl");
    }

    [Fact]
    public void AKlWeightScalesAPointEstimatesWeightDecayAsItScalesAKl()
    {
        // MAP under Normal(0, 1) hands its prior to the step rule as weight decay, rate τ/N; a tempered fit hands β τ/N,
        // so that E[NLL] + β·complexity holds on this route too.
        using var data = new LabelledData(randn(20, 4), randint(0, 3, new long[] { 20 }), "random");
        double[] Rates(double klWeight)
        {
            random.manual_seed(3);
            using var model = new TinyMapClassifier();
            double[] rates = Array.Empty<double>();
            Trainer.Fit(model, data, new FitOptions
            {
                Epochs = 1, BatchSize = 20, KlWeight = klWeight,
                StepRule = (parameters, weightDecay, _, _) => { rates = weightDecay.Select(d => d.Rate).ToArray(); return new GradientRecorder().For(parameters); },
            });
            return rates;
        }
        var full = Rates(1);
        Assert.Equal(4, full.Length); // two layers' weights and biases
        Assert.All(full, rate => Assert.Equal(1.0 / 20, rate, 15));
        Assert.Equal(full.Select(rate => 0.25 * rate), Rates(0.25));
    }

    [Fact]
    public void TheGradientReductionSeesEveryStepsFinishedGradients()
    {
        // The place of a data-parallel all-reduce: called once a step with every parameter, after the KL's gradient
        // was added, before the update — what it leaves in the gradients is what the step rule applies.
        random.manual_seed(9);
        using var data = new LabelledData(randn(20, 4), randint(0, 3, new long[] { 20 }), "random");
        var reduction = new HalvingReduction();
        random.manual_seed(3);
        using var model = new TinyClassifier();
        var recorder = new GradientRecorder();
        Trainer.Fit(model, data, new FitOptions
        {
            Epochs = 2, BatchSize = 8, GradientReduction = reduction, StepRule = (parameters, _, _, _) => recorder.For(parameters),
        });
        Assert.Equal(6, reduction.Calls);
        Assert.Equal(model.parameters().Count(), reduction.Parameters);
        Assert.True(recorder.First!.allclose(reduction.FirstBefore! * 0.5, rtol: 1e-6, atol: 1e-9), "the step rule did not get the reduced gradients");
    }

    /// <summary>Halves every gradient (as averaging with a replica whose gradients are zero would) and counts its calls.</summary>
    sealed class HalvingReduction : IGradientReduction
    {
        public int Calls, Parameters;
        public Tensor? FirstBefore;
        public void Reduce(IReadOnlyList<TorchSharp.Modules.Parameter> parameters)
        {
            Calls++;
            Parameters = parameters.Count;
            FirstBefore ??= cat(parameters.Select(p => p.grad!.detach().reshape(-1).clone()).ToArray()).DetachFromDisposeScope();
            foreach (var p in parameters) p.grad!.mul_(0.5);
        }
    }

    /// <summary>A step rule that moves nothing and keeps the first step's gradients, flattened into one vector.</summary>
    sealed class GradientRecorder : IStepRule
    {
        IReadOnlyList<TorchSharp.Modules.Parameter> parameters = Array.Empty<TorchSharp.Modules.Parameter>();
        public Tensor? First { get; private set; }
        public double LearningRate { get; set; }
        public IStepRule For(IReadOnlyList<TorchSharp.Modules.Parameter> watched) { parameters = watched; return this; }
        public void ZeroGrad() { foreach (var p in parameters) p.grad?.zero_(); }
        public void Step() => First ??= cat(parameters.Select(p => p.grad!.detach().reshape(-1).clone()).ToArray()).DetachFromDisposeScope(); // steps run in a dispose scope
        public void Dispose() { }
    }

    /// <summary>Keeps every report, on the training thread (<see cref="Progress{T}"/> would post them elsewhere).</summary>
    sealed class ProgressRecorder : IProgress<TrainingProgress>
    {
        public List<TrainingProgress> Reports { get; } = new();
        public void Report(TrainingProgress value) => Reports.Add(value);
    }

    [Fact]
    public void AdamRejectsALearningRateItCannotUse()
    {
        var parameter = new TorchSharp.Modules.Parameter(zeros(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(new[] { parameter }, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(new[] { parameter }, double.PositiveInfinity));
        using var adam = new Adam(new[] { parameter }, 0.01);
        Assert.Throws<ArgumentOutOfRangeException>(() => adam.LearningRate = double.NaN);
        adam.LearningRate = 0.5;
        Assert.Equal(0.5, adam.LearningRate);
    }

    [Fact]
    public void ACheckpointRoundTripsAndIsWrittenAtomically()
    {
        string directory = Directory.CreateTempSubdirectory("bnndsl-checkpoint-").FullName;
        try
        {
            random.manual_seed(8);
            using var trained = new TinyMixtureClassifier();
            string path = Path.Combine(directory, "model.bin");
            trained.Save(path);
            Assert.Equal(new[] { "model.bin" }, Directory.GetFiles(directory).Select(Path.GetFileName).ToArray());

            using var restored = new TinyMixtureClassifier();
            restored.Load(path);
            trained.Mode = restored.Mode = SampleMode.Mean;
            var x = randn(3, 4);
            Assert.True(trained.forward(x).eq(restored.forward(x)).all().item<bool>());

        }
        finally { Directory.Delete(directory, recursive: true); }
    }

    [Fact]
    public void EveryWrongCheckpointEndsWithOneMessageNamingTheFileAndWhatIsWrong()
    {
        string directory = Directory.CreateTempSubdirectory("bnndsl-checkpoint-").FullName;
        try
        {
            random.manual_seed(8);
            using var trained = new TinyMixtureClassifier();
            string path = Path.Combine(directory, "model.bin");
            trained.Save(path);
            var header = Checkpoint.ReadHeader(path);
            Assert.Equal(nameof(TinyMixtureClassifier), header.Network);
            Assert.Equal(trained.Summary, header.Declaration);

            // Another declaration of the same shapes: refused by name, not loaded by accident.
            using var sameShapes = new TinySampledMixtureClassifier();
            var foreign = Assert.Throws<InvalidDataException>(() => sameShapes.Load(path));
            Assert.Contains($"'{path}' was written by TinyMixtureClassifier", foreign.Message);
            Assert.Contains("not by TinySampledMixtureClassifier", foreign.Message);

            byte[] bytes = File.ReadAllBytes(path);
            string truncated = Path.Combine(directory, "truncated.bin");
            File.WriteAllBytes(truncated, bytes[..(bytes.Length - 40)]);
            var cut = Assert.Throws<InvalidDataException>(() => new TinyMixtureClassifier().Load(truncated));
            Assert.Contains($"'{truncated}' is truncated or damaged in its parameters", cut.Message);

            string shortHeader = Path.Combine(directory, "header.bin");
            File.WriteAllBytes(shortHeader, bytes[..20]);
            var inHeader = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadHeader(shortHeader));
            Assert.Equal($"'{shortHeader}' is truncated at byte 20, inside the checkpoint's header.", inHeader.Message);

            string badLength = Path.Combine(directory, "length.bin");
            var prefix = (byte[])bytes.Clone();
            for (int i = 21; i < 26; i++) prefix[i] = 0xFF; // the network name's length, after the signature and version
            File.WriteAllBytes(badLength, prefix);
            var inPrefix = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadHeader(badLength));
            Assert.StartsWith($"'{badLength}' is damaged in the checkpoint's header", inPrefix.Message);

            string text = Path.Combine(directory, "notes.txt");
            File.WriteAllText(text, "not a checkpoint at all");
            var notCheckpoint = Assert.Throws<InvalidDataException>(() => new TinyMixtureClassifier().Load(text));
            Assert.StartsWith($"'{text}' is not a BnnDsl checkpoint", notCheckpoint.Message);

            string damaged = Path.Combine(directory, "damaged.bin");
            var flipped = (byte[])bytes.Clone();
            for (int i = header.Declaration.Length + 60; i < header.Declaration.Length + 90; i++) flipped[i] ^= 0xFF;
            File.WriteAllBytes(damaged, flipped);
            var broken = Assert.Throws<InvalidDataException>(() => new TinyMixtureClassifier().Load(damaged));
            Assert.Contains($"'{damaged}'", broken.Message);

            Assert.Throws<FileNotFoundException>(() => trained.Load(Path.Combine(directory, "missing.bin")));
        }
        finally { Directory.Delete(directory, recursive: true); }
    }

    [Fact]
    public void EveryParameterAndBufferIsCreatedOnTheRequestedDevice()
    {
        // The CUDA path differs only in the device passed here; a CPU machine can check that nothing ignores it.
        using var model = new LinearRegression(CPU);
        Assert.All(model.parameters(), p => Assert.Equal(TorchSharp.DeviceType.CPU, p.device_type));
        Assert.All(model.buffers(), b => Assert.Equal(TorchSharp.DeviceType.CPU, b.device_type));
        Assert.Equal(new[] { "Linear.weight_mu", "Linear.weight_rho", "Linear.bias_mu", "Linear.bias_rho" },
            model.named_parameters().Select(p => p.name).ToArray());
        Assert.Equal(new[] { "noise_std" }, model.named_buffers().Select(b => b.name).ToArray());
    }

    [Fact]
    public void EachRhoStartsWhereTheDeclarationSays()
    {
        // Network: weights −4, biases −1; Hidden overrides its weights (−6) and keeps the network's biases; Output
        // sets its biases (0) and keeps the network's weights.
        using var model = new TinyBiasRhoClassifier();
        using var scope = NewDisposeScope();
        var rho = model.named_parameters().Where(p => p.name.EndsWith("_rho"))
            .ToDictionary(p => p.name, p => ((double)p.parameter.min().item<float>(), (double)p.parameter.max().item<float>()));
        Assert.Equal((-6.0, -6.0), rho["Hidden.weight_rho"]);
        Assert.Equal((-1.0, -1.0), rho["Hidden.bias_rho"]);
        Assert.Equal((-4.0, -4.0), rho["Output.weight_rho"]);
        Assert.Equal((0.0, 0.0), rho["Output.bias_rho"]);
    }

    [Fact]
    public void AnInputOfTheWrongWidthIsNamed()
    {
        using var model = new TinyClassifier();
        var error = Assert.Throws<ArgumentException>(() => model.Predict(zeros(2, 5)));
        Assert.Contains("[batch, 4]", error.Message);
        Assert.Contains("[2, 5]", error.Message);
    }
}

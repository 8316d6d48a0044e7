using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>Settings of <see cref="Trainer.Fit"/>. The defaults are the peers' setting: Adam 1e-3, batch 128.</summary>
public sealed record FitOptions
{
    public int Epochs { get; init; } = 20;
    public int BatchSize { get; init; } = 128;
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>How the learning rate moves over the run's steps; constant by default, as in the peers' setting.</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Constant;
    /// <summary>
    /// Posterior samples per training step (averaged in the loss). With one (or for a network that does not sample), the
    /// trainer differentiates the likelihood alone, adds each layer's complexity gradient directly
    /// (<see cref="IBayesianLayer.AddComplexityGradient"/>, <see cref="IBayesianLayer.WeightDecay"/>) and reports the
    /// complexity as evaluated at each epoch's start; with more, it differentiates <see cref="BayesianModule.Loss"/>
    /// whole and reports the mean of each step's complexity.
    /// </summary>
    public int TrainingSamples { get; init; } = 1;
    /// <summary>Seeds the minibatch order and every posterior draw; with a fixed thread count a CPU run repeats bit for bit.</summary>
    public long Seed { get; init; } = 0;
    /// <summary>libtorch CPU threads for the run (null: leave the process setting alone). Results repeat bit for bit only at the same count.</summary>
    public int? Threads { get; init; }
    /// <summary>
    /// Makes the rule that updates the parameters from their gradients each step; null (the default) takes the network's
    /// own (<see cref="BayesianModule.StepRule"/>: Adam for variational families and MAP, the sampler for SG-MCMC).
    /// </summary>
    public StepRuleFactory? StepRule { get; init; }
    /// <summary>
    /// Whether the trainer reads each step's loss on the host: progress every step, and a loss that stops being finite
    /// caught before that step's update. Otherwise the terms and a finiteness flag (over the loss and every gradient)
    /// accumulate on the model's device and are read once an epoch, so a step never waits for the device. Null (the
    /// default): every step on the CPU, where reading costs nothing, once an epoch on other devices.
    /// </summary>
    public bool? ReadEveryStep { get; init; }
    /// <summary>
    /// Epochs over which the weight of the KL term rises linearly from near 0 to its full value (1, or <see cref="KlWeight"/>) (a warm-up, Sønderby et al. 2016;
    /// Molchanov et al. 2017 need it for the log-uniform prior, whose KL otherwise prunes every weight before the
    /// likelihood has shaped them). Zero (the default): the full KL from the first step. The weight multiplies the
    /// complexity of stochastic layers; a prior on point estimates, applied as the step rule's weight decay, is not warmed.
    /// </summary>
    public double KlWarmUpEpochs { get; init; }
    /// <summary>
    /// The KL term's weight β once warmed up: the fit minimises E_q[NLL] + β KL(q‖p), the variational posterior of the
    /// likelihood raised to 1/β — the data counted 1/β times. One (the default) is the ELBO; below one a tempered
    /// ("cold") posterior that fits the data more tightly, at the cost of the uncertainty the prior puts back. It weighs
    /// the whole complexity on every route: a KL, a prior's penalty, and a point estimate's prior applied as the step
    /// rule's weight decay (MAP, MC dropout, samplers), whose rate it scales once, when the fit starts.
    /// </summary>
    public double KlWeight { get; init; } = 1;
    /// <summary>Combines replicas' gradients each step in data-parallel training; the default leaves them alone (one process).</summary>
    public IGradientReduction GradientReduction { get; init; } = NoGradientReduction.Instance;

    /// <summary>The KL term's weight (<see cref="KlWeight"/> times the warm-up's ramp) at step <paramref name="step"/> (0-based, counted over the whole fit) with <paramref name="stepsPerEpoch"/> steps an epoch.</summary>
    public double KlWeightAt(long step, long stepsPerEpoch)
    {
        double warmUpSteps = KlWarmUpEpochs * stepsPerEpoch;
        return KlWeight * (warmUpSteps <= 0 ? 1 : Math.Min(1, (step + 1) / warmUpSteps));
    }

    /// <summary>The learning rate of step <paramref name="step"/> (0-based, counted over the whole fit) of <paramref name="totalSteps"/>.</summary>
    public double LearningRateAt(long step, long totalSteps) => Schedule switch
    {
        // Past the planned steps (a session run for extra epochs) the cosine stays at its last value instead of rising.
        LearningRateSchedule.Cosine when totalSteps > 0 => LearningRate * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(step, totalSteps - 1) / totalSteps)),
        _ => LearningRate,
    };
}

/// <summary>How Adam's learning rate moves over the <see cref="FitOptions.Epochs"/> of a fit.</summary>
public enum LearningRateSchedule
{
    /// <summary><see cref="FitOptions.LearningRate"/> at every step.</summary>
    Constant,
    /// <summary>
    /// Cosine annealing without restarts (Loshchilov &amp; Hutter 2017; PyTorch's <c>CosineAnnealingLR</c> stepped per
    /// minibatch, floor 0): step t of T gets lr · ½ (1 + cos(π t / T)), from the full rate at the first step to nearly
    /// zero at the last. The late small steps let the minibatch noise of the gradient average out.
    /// </summary>
    Cosine,
}

/// <summary>What the trainer reports after each minibatch and each epoch.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Step">Steps done in this epoch.</param>
/// <param name="StepsPerEpoch">Steps in an epoch.</param>
/// <param name="Loss">Running mean of the loss over this epoch's steps so far: the objective minimised, its KL weighted as <see cref="FitOptions.KlWeightAt"/> says (a warm-up, a tempered posterior).</param>
/// <param name="Nll">Running mean of the NLL term.</param>
/// <param name="Complexity">
/// Running mean of the complexity term (KL, or −log prior for MAP), in nats. Where the trainer applies its gradient
/// itself — a MAP prior as weight decay, a mean-field KL added to the gradients directly (the default for one training
/// sample) — it is evaluated once, at the start of the epoch.
/// </param>
/// <param name="LearningRate">The learning rate of this step (<see cref="FitOptions.Schedule"/>).</param>
public readonly record struct TrainingProgress(int Epoch, int Step, int StepsPerEpoch, double Loss, double Nll, double Complexity,
    double LearningRate);

/// <summary>
/// One finished epoch: its mean loss terms (as <see cref="TrainingProgress"/> reports them), wall time and the
/// process's resident memory after it.
/// </summary>
public sealed record EpochSummary(int Epoch, double Loss, double Nll, double Complexity, double Seconds, long ResidentBytes);

/// <summary>
/// Thrown when the loss, or the KL gradient the trainer adds itself, stops being finite; the parameters are left as
/// they were before the failing step. Where the complexity is evaluated once an epoch (weight decay, a KL added
/// directly), a complexity that stops being finite mid-epoch is caught through its gradient or, failing that, at the
/// next epoch's start.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <param name="epoch">1-based epoch of the failing step.</param>
    /// <param name="step">1-based step within the epoch.</param>
    /// <param name="nll">The step's NLL term.</param>
    /// <param name="complexity">The complexity as reported for the step.</param>
    /// <param name="what">What stopped being finite.</param>
    public TrainingDivergedException(int epoch, int step, double nll, double complexity, string what = "The loss")
        : base($"{what} diverged at epoch {epoch}, step {step} (NLL {nll}, complexity {complexity}); the parameters " +
               "are those before this step. Lower the learning rate, or start ρ lower (smaller initial σ).")
    {
        Epoch = epoch;
        Step = step;
    }

    /// <summary>
    /// A divergence found at the end of an epoch whose terms stayed on the device (<see cref="FitOptions.ReadEveryStep"/>
    /// false): the step is not known, and the parameters are those after the epoch.
    /// </summary>
    public TrainingDivergedException(int epoch, double meanNll, double meanComplexity, string device)
        : base($"The loss or its gradient stopped being finite during epoch {epoch} (mean NLL {meanNll}, complexity " +
               $"{meanComplexity}); the terms stay on {device} and are checked once an epoch, so the parameters are those " +
               "after the epoch. Lower the learning rate, or start ρ lower (smaller initial σ); FitOptions.ReadEveryStep = true " +
               "finds the step.")
    {
        Epoch = epoch;
        Step = 0;
    }

    public int Epoch { get; }

    /// <summary>1-based step within the epoch, or 0 when the divergence was found at the end of the epoch.</summary>
    public int Step { get; }
}

/// <summary>
/// Fits a generated network by minimising its per-example loss (<see cref="BayesianModule.Loss"/>) with the step rule
/// of <see cref="FitOptions.StepRule"/>, then runs the network's fit after training, if it has one.
/// </summary>
public static class Trainer
{
    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="data"/> for <see cref="FitOptions.Epochs"/> epochs of a
    /// <see cref="TrainingSession"/>, and leaves the model in evaluation mode.
    /// </summary>
    /// <param name="model">The network to train.</param>
    /// <param name="data">The training examples.</param>
    /// <param name="options">The fit's settings.</param>
    /// <param name="progress">Hears of every step or epoch.</param>
    /// <param name="resumeDirectory">
    /// Where to keep a point to resume from (<see cref="TrainingSession.SaveResumePoint"/>); a run started again with
    /// the same directory continues from its last point. Null: none is kept. The summaries returned are of the epochs
    /// this call ran.
    /// </param>
    /// <param name="resumeInterval">
    /// How often a point is written: after the first epoch that ends this long after the last point (or the start);
    /// default one minute. A point holds the whole checkpoint — for a sampler, its kept samples — so every epoch may be
    /// too often.
    /// </param>
    public static IReadOnlyList<EpochSummary> Fit(BayesianModule model, LabelledData data, FitOptions options,
        IProgress<TrainingProgress>? progress = null, string? resumeDirectory = null, TimeSpan? resumeInterval = null)
    {
        if (options.Epochs < 0) throw new ArgumentOutOfRangeException(nameof(options), "Epochs must not be negative.");
        using var session = new TrainingSession(model, data, options);
        if (resumeDirectory is not null) session.ResumeFrom(resumeDirectory);
        var summaries = new List<EpochSummary>();
        var sinceLastPoint = Stopwatch.StartNew();
        while (session.Epoch < options.Epochs)
        {
            summaries.Add(session.RunEpoch(progress));
            if (resumeDirectory is null || sinceLastPoint.Elapsed < (resumeInterval ?? TimeSpan.FromMinutes(1))) continue;
            session.SaveResumePoint(resumeDirectory);
            sinceLastPoint.Restart();
        }
        model.eval();
        model.AfterTraining?.Fit(model, data, options);
        return summaries;
    }
}

/// <summary>
/// The training loop, one epoch at a time: each epoch visits every example once in a fresh random order; every step
/// runs in its own dispose scope, so native memory stays flat across epochs. Holds the optimiser and the order.
/// </summary>
public sealed class TrainingSession : IDisposable
{
    readonly BayesianModule model;
    readonly LabelledData data;
    readonly FitOptions options;
    readonly IStepRule optimizer;
    readonly Generator order;
    readonly bool directComplexity;
    readonly Device device;
    readonly TorchSharp.Modules.Parameter[] parameters;
    int epoch;

    public TrainingSession(BayesianModule model, LabelledData data, FitOptions options)
    {
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "The batch size must be positive.");
        if (!Enum.IsDefined(options.Schedule)) throw new ArgumentOutOfRangeException(nameof(options), options.Schedule, "Unknown learning-rate schedule.");
        if (!(options.KlWarmUpEpochs >= 0) || double.IsInfinity(options.KlWarmUpEpochs))
            throw new ArgumentOutOfRangeException(nameof(options), options.KlWarmUpEpochs, "The KL warm-up must be a finite, non-negative number of epochs.");
        if (!(options.KlWeight > 0) || double.IsInfinity(options.KlWeight))
            throw new ArgumentOutOfRangeException(nameof(options), options.KlWeight, "The KL weight must be a finite, positive number.");
        if (options.Threads is int threads)
        {
            if (threads < 1) throw new ArgumentOutOfRangeException(nameof(options), "The thread count must be positive.");
            set_num_threads(threads);
        }
        this.model = model;
        this.data = data;
        this.options = options;
        NativeAllocator.KeepLargeBlocks();
        random.manual_seed(options.Seed);
        order = new Generator((ulong)options.Seed);
        // With one posterior draw per step the likelihood is differentiated alone and each layer adds its complexity
        // gradient, scaled by 1/N, straight to the parameters' gradients — a KL in one fused pass per tensor, a zero-mean
        // Normal prior on a point estimate as the step rule's L2 weight decay τθ/N — the same update as differentiating
        // the loss whole, without the complexity's autograd kernels. Several draws differentiate the loss whole.
        directComplexity = options.TrainingSamples == 1 || !model.IsStochastic;
        var weightDecay = directComplexity
            ? model.Layers.SelectMany(layer => layer.WeightDecay).Select(p => (p.Parameter, p.Precision * options.KlWeight / data.Count)).ToArray()
            : Array.Empty<(TorchSharp.Modules.Parameter, double)>();
        parameters = model.parameters().ToArray();
        optimizer = (options.StepRule ?? model.StepRule)(parameters, weightDecay, options, data.Count);
        device = parameters.FirstOrDefault()?.device ?? CPU;
    }

    /// <summary>Epochs run so far, those before a resumed run's restart included.</summary>
    public int Epoch => epoch;

    /// <summary>
    /// Writes a point this session can resume from into <paramref name="directory"/> (<see cref="ResumePoint"/>): the
    /// model's checkpoint and the session's state, the last complete point kept. The step rule must be resumable.
    /// </summary>
    public void SaveResumePoint(string directory) =>
        ResumePoint.Save(directory, model, ResumableRule(), order, epoch, data.Count, options);

    /// <summary>
    /// Continues from the point in <paramref name="directory"/>, if there is one: the model, the step rule and the
    /// generators as they were after that epoch. Returns the epochs the point had run (0: no point, nothing changed).
    /// </summary>
    public int ResumeFrom(string directory)
    {
        if (epoch != 0) throw new InvalidOperationException("Resume a session before running any epoch.");
        return epoch = ResumePoint.Restore(directory, model, ResumableRule(), order, data.Count, options);
    }

    IResumableStepRule ResumableRule() => optimizer as IResumableStepRule
        ?? throw new NotSupportedException($"The step rule {optimizer.GetType().Name} cannot save its state; a run with it cannot resume.");

    /// <summary>
    /// Runs the next epoch and reports it; throws <see cref="TrainingDivergedException"/> on a non-finite loss. The
    /// schedule spans <see cref="FitOptions.Epochs"/> epochs; epochs run beyond them keep its last learning rate.
    /// </summary>
    public EpochSummary RunEpoch(IProgress<TrainingProgress>? progress = null)
    {
        epoch++;
        model.train();
        var clock = Stopwatch.StartNew();
        int n = data.Count;
        int steps = (n + options.BatchSize - 1) / options.BatchSize;
        double loss = 0, nll = 0, complexity = 0;
        bool readEachStep = options.ReadEveryStep ?? device.type == TorchSharp.DeviceType.CPU;
        // Where the terms are not read each step: their sums, and whether every gradient stayed finite, on the device.
        Tensor? sums = readEachStep ? null : zeros(3, dtype: ScalarType.Float64, device: device);
        Tensor? finiteSoFar = readEachStep ? null : ones(1, dtype: ScalarType.Bool, device: device);
        // Where the trainer applies the complexity's gradient itself, the complexity only needs a value for the report:
        // evaluated once, at the epoch's start.
        double penalty = directComplexity ? EvaluatePenalty() : 0;
        using (var permutation = randperm(n, generator: order).to(data.Inputs.device))
        {
            for (int step = 0; step < steps; step++)
            {
                using var scope = NewDisposeScope();
                int start = step * options.BatchSize;
                var indices = permutation.narrow(0, start, Math.Min(options.BatchSize, n - start));
                var (inputs, targets) = (data.Inputs.index_select(0, indices), data.Targets.index_select(0, indices));
                // Data kept elsewhere than the model is copied per minibatch; LabelledData.To(device) spares the copies.
                if (inputs.device_type != device.type || inputs.device_index != device.index)
                    (inputs, targets) = (inputs.to(device), targets.to(device));
                Tensor objective;
                Tensor? stepNll = null, stepComplexity = null;
                double klWeight = options.KlWeightAt((long)(epoch - 1) * steps + step, steps);
                if (directComplexity) objective = model.NegativeLogLikelihood(inputs, targets);
                else
                {
                    (objective, stepNll, stepComplexity) = model.Loss(inputs, targets, n, options.TrainingSamples);
                    if (klWeight != 1) objective = stepNll + stepComplexity * (klWeight / n);
                }
                double nllValue = 0, complexityValue = penalty, stepLoss = 0;
                if (readEachStep)
                {
                    nllValue = Read(stepNll ?? objective);
                    complexityValue = stepComplexity is null ? penalty : Read(stepComplexity);
                    stepLoss = stepNll is null ? nllValue + klWeight * penalty / n : Read(objective);
                    if (!double.IsFinite(stepLoss)) throw new TrainingDivergedException(epoch, step + 1, nllValue, complexityValue);
                }
                else
                {
                    using var noGrad = no_grad();
                    var terms = stack(new[]
                    {
                        stepNll is null ? objective.detach() + klWeight * penalty / n : objective.detach(),
                        (stepNll ?? objective).detach(),
                        stepComplexity?.detach() ?? tensor((float)penalty, device: device),
                    }).to(ScalarType.Float64);
                    sums!.add_(terms);
                }
                optimizer.ZeroGrad();
                BayesianModule.Backward(objective);
                if (directComplexity)
                {
                    bool finite = true;
                    foreach (var layer in model.Layers) finite &= layer.AddComplexityGradient(klWeight / n);
                    if (!finite) throw new TrainingDivergedException(epoch, step + 1, nllValue, complexityValue, "The complexity term's gradient");
                }
                options.GradientReduction.Reduce(parameters);
                // Off the host the epoch's flag also covers the gradients (an overflow inside the backward pass under a
                // finite loss), at no wait. Read every step, that check cost 40% of an MLP step: there such a gradient
                // shows as the next step's loss, one update late.
                if (!readEachStep) finiteSoFar!.logical_and_(GradientsFinite());
                optimizer.LearningRate = options.LearningRateAt((long)(epoch - 1) * steps + step, (long)options.Epochs * steps);
                optimizer.Step();
                if (!readEachStep) continue;
                loss += stepLoss;
                nll += nllValue;
                complexity += complexityValue;
                progress?.Report(new TrainingProgress(epoch, step + 1, steps, loss / (step + 1), nll / (step + 1), complexity / (step + 1),
                    optimizer.LearningRate));
            }
        }
        if (!readEachStep)
        {
            // The epoch's one read: the summed terms and whether every step stayed finite.
            var totals = sums!.cpu().data<double>().ToArray();
            // A term that was not finite stays so in the sums; the flag covers the gradients.
            bool finite = finiteSoFar!.cpu().item<bool>() && totals.All(double.IsFinite);
            sums.Dispose();
            finiteSoFar.Dispose();
            (loss, nll, complexity) = (totals[0], totals[1], totals[2]);
            if (!finite) throw new TrainingDivergedException(epoch, nll / steps, complexity / steps, device.ToString());
            progress?.Report(new TrainingProgress(epoch, steps, steps, loss / steps, nll / steps, complexity / steps, optimizer.LearningRate));
        }
        NativeAllocator.ReleaseFreeMemory(); // timed with the epoch, as the page faults it causes are with the next
        clock.Stop();
        return new EpochSummary(epoch, loss / steps, nll / steps, complexity / steps, clock.Elapsed.TotalSeconds,
            Process.GetCurrentProcess().WorkingSet64);
    }

    /// <summary>Whether every parameter's gradient is finite, as a one-element tensor on the model's device.</summary>
    Tensor GradientsFinite()
    {
        Tensor? all = null;
        foreach (var parameter in parameters)
        {
            if (parameter.grad is not { } gradient) continue;
            var finite = gradient.isfinite().all();
            all = all is null ? finite : all.logical_and_(finite);
        }
        return all ?? ones(1, dtype: ScalarType.Bool, device: device);
    }

    double EvaluatePenalty()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return Read(model.Complexity());
    }

    /// <summary>A scalar's value, whether the model computes in float32 or float64.</summary>
    static double Read(Tensor scalar) => scalar.dtype == ScalarType.Float64 ? scalar.item<double>() : scalar.item<float>();

    public void Dispose() => optimizer.Dispose();
}

/// <summary>
/// The rule that moves the parameters each step from their gradients: an optimiser (Adam) for variational families and
/// point estimates, a sampler's update for SG-MCMC. The trainer's loop is the same for every rule.
/// </summary>
public interface IStepRule : IDisposable
{
    /// <summary>The step size of the next <see cref="Step"/> (the trainer sets it from the schedule each step).</summary>
    double LearningRate { get; set; }

    /// <summary>Releases or zeroes the gradients before the next backward pass.</summary>
    void ZeroGrad();

    /// <summary>Updates the parameters from their gradients.</summary>
    void Step();
}

/// <summary>
/// A step rule whose state between steps can be saved and restored, so that a run can resume where it stopped
/// (<see cref="TrainingSession.SaveResumePoint"/>): the trainer's Adam and the samplers are.
/// </summary>
public interface IResumableStepRule : IStepRule
{
    /// <summary>The tensors the rule keeps between steps (moments, momenta), restored in place.</summary>
    IReadOnlyList<Tensor> State { get; }

    /// <summary>Its step counters.</summary>
    long[] Counters { get; set; }
}

/// <summary>
/// Makes a step rule for a fit: the parameters to move, each parameter's L2 weight decay (rate τ/N, the part of the
/// complexity gradient the layers leave to the rule), the fit's options, and N, the training examples.
/// </summary>
public delegate IStepRule StepRuleFactory(IReadOnlyList<TorchSharp.Modules.Parameter> parameters,
    IReadOnlyList<(TorchSharp.Modules.Parameter Parameter, double Rate)> weightDecay, FitOptions options, long examples);

/// <summary>The step rules the runtime ships.</summary>
public static class StepRules
{
    /// <summary>Adam at <see cref="FitOptions.LearningRate"/>, with the layers' weight decay folded into its update.</summary>
    public static IStepRule Adam(IReadOnlyList<TorchSharp.Modules.Parameter> parameters,
        IReadOnlyList<(TorchSharp.Modules.Parameter Parameter, double Rate)> weightDecay, FitOptions options, long examples) =>
        new BnnDsl.Adam(parameters, options.LearningRate, weightDecay: weightDecay.Count == 0 ? null : weightDecay);
}

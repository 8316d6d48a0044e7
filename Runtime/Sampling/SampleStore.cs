using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// The samples an SG-MCMC run keeps (<see cref="LangevinStepRule"/>), as the network's own module: buffers
/// <c>samples</c> [M, P] (every weight and bias of the listed layers, flattened in order, in the network's dtype; M as
/// many as <see cref="SamplerSettings.SampleMemory"/> holds), <c>sample_steps</c> (the step after which each was kept)
/// and <c>kept</c>, so they save and load with the checkpoint. Samples beyond M go to a file while training and to
/// <c>CHECKPOINT.samples</c> beside the checkpoint when it is saved (<see cref="ICheckpointCompanion"/>), so resident
/// memory stays flat however many are kept. The predictive runs the network once per kept sample and averages: the
/// softmax for classification, the mixture's mean and variance (plus the noise) for regression. It also makes the
/// network's step rule.
/// </summary>
public sealed class SampleStore : nn.Module, IPredictiveMethod, ICheckpointCompanion
{
    readonly PointLayer[] layers;
    readonly Tensor samples, sampleSteps, kept;
    readonly long parameterCount, bytesPerSample;
    string? spillPath;      // the samples beyond memory: a temporary file while training, the checkpoint's companion once loaded
    bool spillIsTemporary;

    public SampleStore(SamplerSettings settings, IReadOnlyList<PointLayer> layers, Device? device = null) : base(nameof(SampleStore))
    {
        this.settings = settings ?? throw new ArgumentNullException(nameof(settings));
        this.layers = layers?.ToArray() ?? throw new ArgumentNullException(nameof(layers));
        if (this.layers.Length == 0 || settings.Samples < 1) throw new ArgumentException("A sampler keeps at least one sample of at least one layer.");
        long count = this.layers.Sum(l => l.Weight.numel() + l.Bias.numel());
        var dtype = this.layers[0].Weight.dtype;
        long bytesPerSample = count * (dtype == ScalarType.Float64 ? 8 : 4);
        int inMemory = (int)Math.Min(settings.Samples, Math.Floor(settings.SampleMemory * 1048576 / bytesPerSample));
        samples = zeros(new long[] { inMemory, count }, dtype, device);
        (parameterCount, this.bytesPerSample) = (count, bytesPerSample);
        sampleSteps = zeros(settings.Samples, ScalarType.Float64, device);
        kept = zeros(1, ScalarType.Float64, device);
        register_buffer("samples", samples);
        register_buffer("sample_steps", sampleSteps);
        register_buffer("kept", kept);
    }

    /// <summary>The sampler's settings: the declaration's; a run may replace them (the main job's <c>--lr</c> sets η0) before training.</summary>
    public SamplerSettings Settings
    {
        get => settings;
        set
        {
            if (value is null) throw new ArgumentNullException(nameof(value));
            if (value.Samples != settings.Samples || value.SampleMemory != settings.SampleMemory)
                throw new ArgumentException($"The store was made for {settings.Samples} samples and {settings.SampleMemory} MiB; those cannot change.", nameof(value));
            settings = value;
        }
    }

    SamplerSettings settings;

    /// <summary>How many samples the last run kept (or the loaded checkpoint holds).</summary>
    public int Kept => (int)kept.item<double>();

    /// <summary>The step (1-based, over the whole run) after which each kept sample was taken.</summary>
    public long[] SampleSteps => sampleSteps.narrow(0, 0, Kept).data<double>().Select(s => (long)s).ToArray();

    /// <summary>How many kept samples live in memory (the rest in the file beside the checkpoint).</summary>
    public int InMemory => (int)samples.shape[0];

    /// <summary>Kept sample <paramref name="index"/> as one flat vector [P]: a view of the store, or read from its file.</summary>
    public Tensor Sample(int index)
    {
        if (index < 0 || index >= Kept) throw new ArgumentOutOfRangeException(nameof(index));
        if (index < InMemory) return samples[index];
        var bytes = new byte[bytesPerSample];
        using (var file = File.OpenRead(spillPath!))
        {
            file.Position = (index - InMemory) * bytesPerSample;
            file.ReadExactly(bytes);
        }
        var vector = empty(parameterCount, samples.dtype);
        bytes.CopyTo(vector.bytes);
        return vector.to(samples.device);
    }

    /// <summary>The network's step rule: the sampler over its parameters, keeping samples here.</summary>
    public IStepRule CreateStepRule(IReadOnlyList<TorchSharp.Modules.Parameter> parameters,
        IReadOnlyList<(TorchSharp.Modules.Parameter Parameter, double Rate)> weightDecay, FitOptions options, long examples)
    {
        long steps = (long)options.Epochs * ((examples + options.BatchSize - 1) / options.BatchSize);
        return new LangevinStepRule(Settings, parameters, weightDecay, examples, steps, this);
    }

    internal void Clear()
    {
        using var noGrad = no_grad();
        kept.zero_();
        sampleSteps.zero_();
        DeleteTemporarySpill();
    }

    void DeleteTemporarySpill()
    {
        if (spillIsTemporary && spillPath is not null) File.Delete(spillPath);
        (spillPath, spillIsTemporary) = (null, false);
    }

    /// <summary>Copies the layers' current parameters into the next slot.</summary>
    internal void Keep(long step)
    {
        int index = Kept;
        if (index >= settings.Samples) throw new InvalidOperationException($"The store holds {settings.Samples} samples and is full.");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var vector = cat(layers.SelectMany(l => new[] { l.Weight.flatten(), l.Bias.flatten() }).ToArray());
        if (index < InMemory) samples[index].copy_(vector);
        else
        {
            if (spillPath is null) (spillPath, spillIsTemporary) = (Path.Combine(Path.GetTempPath(), $"bnndsl-samples-{Guid.NewGuid():N}.bin"), true);
            using var file = new FileStream(spillPath, FileMode.OpenOrCreate, FileAccess.Write);
            file.Position = (index - InMemory) * bytesPerSample;
            file.Write(vector.cpu().bytes);
        }
        sampleSteps[index].fill_(step);
        kept.fill_(index + 1);
    }

    /// <summary>The companion file of the checkpoint at <paramref name="checkpointPath"/>.</summary>
    public static string CompanionPath(string checkpointPath) => checkpointPath + ".samples";

    /// <summary>Writes the samples beyond memory beside the checkpoint (nothing when all are in it).</summary>
    public void WriteBeside(string checkpointPath)
    {
        if (Kept <= InMemory) return;
        string companion = Path.GetFullPath(CompanionPath(checkpointPath));
        if (spillPath is not null && Path.GetFullPath(spillPath) == companion) return; // saved over the file it was loaded from
        AtomicFile.Replace(companion, temporary => File.Copy(spillPath!, temporary, overwrite: true));
    }

    /// <summary>
    /// Gives the samples beyond memory a temporary file of their own, a copy of the one beside the checkpoint they were
    /// loaded from: a run resumed from a checkpoint keeps samples without writing into that checkpoint's companion.
    /// </summary>
    internal void OwnSpill()
    {
        if (spillPath is null || spillIsTemporary) return;
        string copy = Path.Combine(Path.GetTempPath(), $"bnndsl-samples-{Guid.NewGuid():N}.bin");
        File.Copy(spillPath, copy);
        (spillPath, spillIsTemporary) = (copy, true);
    }

    /// <summary>Points the samples beyond memory at the file beside the checkpoint; a missing or short file fails naming it.</summary>
    public void ReadBeside(string checkpointPath)
    {
        DeleteTemporarySpill();
        if (Kept <= InMemory) return;
        string companion = CompanionPath(checkpointPath);
        long expected = (Kept - InMemory) * bytesPerSample;
        if (!File.Exists(companion))
            throw new InvalidDataException($"{companion}: missing; the checkpoint {checkpointPath} keeps {Kept - InMemory} of its samples there.");
        long length = new FileInfo(companion).Length;
        if (length < expected)
            throw new InvalidDataException($"{companion}: {length} bytes, but the checkpoint's {Kept - InMemory} samples beyond memory take {expected} (truncated at offset {length}).");
        spillPath = companion;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) DeleteTemporarySpill();
        base.Dispose(disposing);
    }

    /// <summary>Copies <paramref name="vector"/> [P] into the layers' parameters.</summary>
    void Load(Tensor vector)
    {
        long at = 0;
        foreach (var parameter in layers.SelectMany(l => new[] { l.Weight, l.Bias }))
        {
            long size = parameter.numel();
            parameter.copy_(vector.narrow(0, at, size).view(parameter.shape));
            at += size;
        }
    }

    /// <summary>
    /// Per kept sample, the mean log likelihood of <paramref name="data"/> under that sample's weights: one number per
    /// draw in function space, where chains can be compared (weights are not: chains in modes that differ only by a
    /// permutation of hidden units predict alike).
    /// </summary>
    public double[] SampleLogLikelihoods(BayesianModule model, LabelledData data)
    {
        Tensor current;
        using (no_grad()) current = cat(layers.SelectMany(l => new[] { l.Weight.flatten(), l.Bias.flatten() }).ToArray());
        try
        {
            using var noGrad = no_grad();
            return Enumerable.Range(0, Kept).Select(k =>
            {
                using var scope = NewDisposeScope();
                Load(Sample(k));
                var output = model.forward(data.Inputs.to(samples.device));
                return model.LogLikelihood(output, data.Targets.to(samples.device)).mean().to(ScalarType.Float64).item<double>();
            }).ToArray();
        }
        finally
        {
            using (no_grad()) Load(current);
            current.Dispose();
        }
    }

    /// <summary>The average over the kept samples; <paramref name="samples"/> is ignored (the store decides how many there are).</summary>
    public Predictive Predict(BayesianModule model, Tensor inputs, int samples, int batchSize)
    {
        int count = Kept;
        if (count == 0) throw new InvalidOperationException("The sampler has kept no samples yet: train the network (Trainer.Fit) or load a checkpoint of a trained one.");
        Tensor current;
        using (no_grad()) current = cat(layers.SelectMany(l => new[] { l.Weight.flatten(), l.Bias.flatten() }).ToArray());
        try
        {
            return WeightAverage.Predict(model, inputs, this.samples.device, batchSize, count, k =>
            {
                Load(Sample(k));
                return () => { };
            }, () => Math.Pow(model.NoiseStd().detach().to(ScalarType.Float64).item<double>(), 2));
        }
        finally
        {
            using (no_grad()) Load(current);
            current.Dispose();
        }
    }
}

using System;
using System.Collections.Generic;
using System.Linq;

namespace BnnDsl;

/// <summary>
/// A stochastic-gradient MCMC sampler's declaration (docs/METHODS.md §6), in the scale of the mean loss
/// L̄ = mean NLL − log p(θ)/N that MAP minimises: SGLD moves θ ← θ − η ∇L̄ + N(0, 2ηT/N), which is Welling &amp; Teh's
/// update with ε = 2η/N on the full-data log posterior. Null values take <see cref="For"/>'s defaults.
/// </summary>
public sealed record SamplerSettings
{
    /// <summary>SGLD, PSGLD or SGHMC.</summary>
    public PosteriorMethod Method { get; init; } = PosteriorMethod.SGLD;

    /// <summary>η0, the step size on the mean loss at the first step (and at each cycle's start).</summary>
    public double StepSize { get; init; }

    /// <summary>Polynomial decay η_t = η0 (1 + t/b)^−γ: b in steps (decay off when <see cref="Cycles"/> &gt; 0).</summary>
    public double DecayOffset { get; init; } = 1000;

    /// <summary>γ ∈ (0.5, 1] of the polynomial decay (Welling &amp; Teh's condition for convergence).</summary>
    public double DecayExponent { get; init; } = 0.55;

    /// <summary>C &gt; 0: the cyclical cosine schedule of Zhang et al. (2020) with C cycles; 0: polynomial decay.</summary>
    public int Cycles { get; init; }

    /// <summary>Cyclical: the last fraction of each cycle, where noise is injected and samples are kept (the rest explores without noise).</summary>
    public double SamplingFraction { get; init; } = 0.25;

    /// <summary>Polynomial: the fraction of the run before samples are kept.</summary>
    public double BurnIn { get; init; } = 0.5;

    /// <summary>Steps between kept samples; 0 spreads them evenly over the sampling window (each cycle's, when cyclical).</summary>
    public int Thinning { get; init; }

    /// <summary>How many samples the predictive averages over (cyclical: an equal share per cycle).</summary>
    public int Samples { get; init; } = 32;

    /// <summary>MiB of kept samples held in memory (and in the checkpoint); the rest go to a file beside the checkpoint.</summary>
    public double SampleMemory { get; init; } = 1024;

    /// <summary>T multiplies the injected noise's variance: 1 is the Bayesian posterior, below 1 a cold one.</summary>
    public double Temperature { get; init; } = 1;

    /// <summary>pSGLD: the decay α of the squared-gradient average V.</summary>
    public double Alpha { get; init; } = 0.99;

    /// <summary>pSGLD: λ in the preconditioner G = 1/(λ + √V).</summary>
    public double Lambda { get; init; } = 1e-5;

    /// <summary>SGHMC: the friction α ∈ (0, 1]; the momentum keeps 1 − α of itself each step.</summary>
    public double Friction { get; init; } = 0.1;

    /// <summary>The defaults of <paramref name="method"/>: η0 0.05 for SGLD, 1e-3 for pSGLD (an RMSprop-like scale), 0.005 for SGHMC (momentum 0.9).</summary>
    public static SamplerSettings For(PosteriorMethod method) => method switch
    {
        PosteriorMethod.SGLD => new() { Method = method, StepSize = 0.05 },
        PosteriorMethod.PSGLD => new() { Method = method, StepSize = 1e-3 },
        PosteriorMethod.SGHMC => new() { Method = method, StepSize = 0.005 },
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Not a sampler."),
    };

    /// <summary>η_t of step <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>.</summary>
    public double StepSizeAt(long step, long totalSteps)
    {
        if (Cycles == 0) return StepSize * Math.Pow(1 + step / DecayOffset, -DecayExponent);
        long length = CycleLength(totalSteps);
        return StepSize / 2 * (Math.Cos(Math.PI * (step % length) / length) + 1);
    }

    /// <summary>Whether step <paramref name="step"/> injects noise: always, except in a cycle's exploration part.</summary>
    public bool IsSamplingStep(long step, long totalSteps)
    {
        if (Cycles == 0) return true;
        long length = CycleLength(totalSteps);
        return step % length >= length - SamplingPhase(length);
    }

    long CycleLength(long totalSteps) => (totalSteps + Cycles - 1) / Cycles;

    static long Floor(double x) => (long)Math.Floor(x);

    long SamplingPhase(long cycleLength) => Math.Max(1, Floor(cycleLength * SamplingFraction));

    /// <summary>
    /// The 0-based steps after which a sample is kept, ascending: the last <see cref="Samples"/> of the window after the
    /// burn-in, <see cref="Thinning"/> apart (or spread evenly); cyclical, Samples/C at the end of each cycle's sampling
    /// part. Throws when the run is too short to give them all, naming the numbers.
    /// </summary>
    public long[] KeptSteps(long totalSteps)
    {
        var windows = new List<(long Start, long End, int Count)>(); // [Start, End) in steps
        if (Cycles == 0)
            windows.Add((Floor(totalSteps * BurnIn), totalSteps, Samples));
        else
        {
            long length = CycleLength(totalSteps);
            for (int c = 0; c < Cycles; c++)
            {
                long end = Math.Min((c + 1) * length, totalSteps);
                windows.Add((end - Math.Min(SamplingPhase(length), end - c * length), end, Samples / Cycles));
            }
        }
        var kept = new List<long>();
        foreach (var (start, end, count) in windows)
        {
            long width = end - start;
            long spacing = Thinning > 0 ? Thinning : width / Math.Max(count, 1);
            if (count < 1 || spacing < 1 || (count - 1) * spacing >= width)
                throw new ArgumentException($"The run has {totalSteps} steps; its sampling window of {width} steps (from step {start + 1}) cannot keep "
                    + $"{count} samples {(Thinning > 0 ? $"{Thinning} steps apart" : "one step apart or more")}: train longer, keep fewer samples"
                    + (Cycles > 0 ? ", use fewer cycles or a larger SamplingFraction" : " or shorten the burn-in"));
            for (int k = count - 1; k >= 0; k--) kept.Add(end - 1 - k * spacing);
        }
        return kept.ToArray();
    }
}

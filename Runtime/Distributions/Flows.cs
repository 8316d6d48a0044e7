using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// One invertible map of a batch of vectors [n, d] with the log |det| of its Jacobian per row, as a normalising flow
/// composes them (docs/METHODS.md §4): log q(f(z)) = log q(z) − log |det ∂f/∂z|.
/// </summary>
public interface IFlowStep
{
    (Tensor Output, Tensor LogDeterminant) Forward(Tensor z);

    /// <summary>The map alone, for passes that do not need the density (sampling the forward pass's noise).</summary>
    Tensor Transform(Tensor z);
}

/// <summary>
/// A masked RealNVP coupling step with a gate (Louizos &amp; Welling 2017, after Dinh et al. and Kingma et al.'s IAF):
/// the kept half m ⊙ z conditions, through one tanh layer h, a shift μ(h) and a gate g(h) = sigmoid(·) ∈ (0, 1) for
/// the other half: f(z) = m ⊙ z + (1 − m) ⊙ (g ⊙ z + (1 − g) ⊙ μ), log |det| = Σ (1 − m) log g. The Jacobian is
/// triangular up to a permutation, so that sum is exact.
/// </summary>
/// <remarks>
/// The reference implementations draw a fresh Bernoulli mask on every pass. Then q(z) is a mixture over masks whose
/// density the KL bound never evaluates; here step k keeps the coordinates of parity k, so consecutive steps
/// transform complementary halves and every step is one fixed bijection.
/// </remarks>
public sealed class CouplingFlow : nn.Module, IFlowStep
{
    /// <summary>The gate's starting bias: sigmoid(2) ≈ 0.88, a step close to the identity (as the paper starts).</summary>
    const double InitialGateBias = 2.0;

    readonly Linear hidden, shift, gate;
    readonly Tensor keep;

    public CouplingFlow(int dimensions, int hiddenWidth, int parity, Device? device = null) : base(nameof(CouplingFlow))
    {
        if (dimensions < 1) throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions, "A flow needs at least one dimension.");
        if (hiddenWidth < 1) throw new ArgumentOutOfRangeException(nameof(hiddenWidth), hiddenWidth, "The coupling network needs at least one hidden unit.");
        hidden = nn.Linear(dimensions, hiddenWidth, device: device);
        shift = nn.Linear(hiddenWidth, dimensions, device: device);
        gate = nn.Linear(hiddenWidth, dimensions, device: device);
        using (no_grad()) gate.bias!.fill_(InitialGateBias);
        keep = (arange(dimensions, device: device) % 2).eq(parity % 2).to(get_default_dtype());
        register_module("hidden", hidden);
        register_module("shift", shift);
        register_module("gate", gate);
        register_buffer("keep", keep, persistent: false);
    }

    public (Tensor Output, Tensor LogDeterminant) Forward(Tensor z)
    {
        var (output, gateLogit) = Apply(z);
        // log sigmoid as such: log(g) would round to −inf where the gate saturates.
        return (output, ((1 - keep) * nn.functional.logsigmoid(gateLogit)).sum(1));
    }

    public Tensor Transform(Tensor z) => Apply(z).Output;

    (Tensor Output, Tensor GateLogit) Apply(Tensor z)
    {
        var kept = z * keep;
        var h = hidden.call(kept).tanh();
        var gateLogit = gate.call(h);
        var g = gateLogit.sigmoid();
        return (kept + (1 - keep) * (g * z + (1 - g) * shift.call(h)), gateLogit);
    }
}

/// <summary>
/// A planar step (Rezende &amp; Mohamed 2015): f(z) = z + û tanh(wᵀz + b), log |det| = log |1 + ûᵀ w tanh′(wᵀz + b)|,
/// with û = u + (m(wᵀu) − wᵀu) w / ‖w‖², m(a) = −1 + softplus(a), which keeps wᵀû ≥ −1 and the map invertible.
/// </summary>
public sealed class PlanarFlow : nn.Module, IFlowStep
{
    readonly Parameter u, w, b;

    public PlanarFlow(int dimensions, Device? device = null) : base(nameof(PlanarFlow))
    {
        if (dimensions < 1) throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions, "A flow needs at least one dimension.");
        double scale = 1.0 / Math.Sqrt(dimensions);
        u = new Parameter(empty(dimensions, device: device).uniform_(-scale, scale));
        w = new Parameter(empty(dimensions, device: device).uniform_(-scale, scale));
        b = new Parameter(zeros(1, device: device));
        register_parameter("u", u);
        register_parameter("w", w);
        register_parameter("b", b);
    }

    public (Tensor Output, Tensor LogDeterminant) Forward(Tensor z)
    {
        var (output, uHat, activation) = Apply(z);
        var slope = 1 - activation.square(); // tanh′
        return (output, (1 + slope * uHat.dot(w)).abs().log());
    }

    public Tensor Transform(Tensor z) => Apply(z).Output;

    (Tensor Output, Tensor UHat, Tensor Activation) Apply(Tensor z)
    {
        var wu = w.dot(u);
        var uHat = u + (nn.functional.softplus(wu) - 1 - wu) * w / w.dot(w);
        var activation = (z.matmul(w) + b).tanh(); // [n]
        return (z + activation.unsqueeze(1) * uHat.unsqueeze(0), uHat, activation);
    }
}

/// <summary>A sequence of flow steps; an empty one is the identity with log |det| = 0.</summary>
public sealed class FlowSequence : nn.Module, IFlowStep
{
    readonly List<IFlowStep> steps = new();

    /// <summary>
    /// <paramref name="count"/> steps of <paramref name="kind"/> over <paramref name="dimensions"/> coordinates; coupling
    /// steps have <paramref name="hiddenWidth"/> hidden units and alternate which half they keep.
    /// </summary>
    public FlowSequence(FlowKind kind, int dimensions, int count, int hiddenWidth, Device? device = null) : base(nameof(FlowSequence))
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "A flow cannot have a negative number of steps.");
        var modules = new ModuleList<nn.Module>();
        for (int k = 0; k < count; k++)
        {
            nn.Module step = kind switch
            {
                FlowKind.Coupling => new CouplingFlow(dimensions, hiddenWidth, parity: k, device),
                FlowKind.Planar => new PlanarFlow(dimensions, device),
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown flow kind."),
            };
            modules.Add(step);
            steps.Add((IFlowStep)step);
        }
        register_module("steps", modules);
        Kind = kind;
        Count = count;
    }

    public FlowKind Kind { get; }
    public int Count { get; }

    public (Tensor Output, Tensor LogDeterminant) Forward(Tensor z)
    {
        Tensor? logDeterminant = null;
        foreach (var step in steps)
        {
            var (next, stepLogDeterminant) = step.Forward(z);
            z = next;
            logDeterminant = logDeterminant is null ? stepLogDeterminant : logDeterminant + stepLogDeterminant;
        }
        return (z, logDeterminant ?? zeros(z.shape[0], dtype: z.dtype, device: z.device));
    }

    public Tensor Transform(Tensor z)
    {
        foreach (var step in steps) z = step.Transform(z);
        return z;
    }
}

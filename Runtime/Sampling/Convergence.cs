using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>Split-R̂ and effective sample size of each of P quantities, from several chains' draws.</summary>
/// <param name="RHat">[P] the potential scale reduction: near 1 when the chains agree, above 1.01–1.1 when they do not.</param>
/// <param name="EffectiveSampleSize">[P] how many independent draws the chains are worth.</param>
public sealed record ChainDiagnostics(Tensor RHat, Tensor EffectiveSampleSize) : IDisposable
{
    public void Dispose()
    {
        RHat.Dispose();
        EffectiveSampleSize.Dispose();
    }
}

/// <summary>
/// Whether SG-MCMC chains agree: split-R̂ and the effective sample size of Gelman et al. (BDA3, §11.4–11.5) as Stan
/// computes them (Vehtari et al. 2021 without the rank normalisation): each chain split in halves, M half-chains of
/// N draws; W the mean within-half variance, B/N the variance of the halves' means, var⁺ = (N−1)/N W + B/N,
/// R̂ = √(var⁺/W); autocorrelations ρ_t = 1 − (W − mean autocovariance at lag t)/var⁺, summed in pairs
/// Γ_k = ρ_2k + ρ_2k+1 while positive and kept non-increasing (Geyer's initial monotone sequence), τ = −1 + 2 Σ Γ_k and
/// ESS = M N / τ. Computed for every quantity at once on tensors.
/// </summary>
public static class Convergence
{
    /// <summary>The diagnostics of <paramref name="draws"/> [chains, draws per chain, P] (at least 2 chains of 4 draws).</summary>
    public static ChainDiagnostics Diagnose(Tensor draws)
    {
        if (draws.dim() != 3) throw new ArgumentException($"Draws are [chains, draws, quantities]; got [{string.Join(", ", draws.shape)}].", nameof(draws));
        long chains = draws.shape[0], length = draws.shape[1];
        if (chains < 2 || length < 4) throw new ArgumentException($"R̂ needs at least 2 chains of 4 draws; got {chains} of {length}.", nameof(draws));
        using var scope = NewDisposeScope();
        var x = draws.to(ScalarType.Float64);
        long n = length / 2;
        var halves = cat(new[] { x.narrow(1, 0, n), x.narrow(1, length - n, n) }, 0); // [M, N, P]
        long m = halves.shape[0];
        var means = halves.mean(new long[] { 1 }, keepdim: true);
        var centred = halves - means;
        var within = centred.square().sum(dim: 1).div(n - 1).mean(new long[] { 0 }); // W
        var between = means.squeeze(1).var(0L, unbiased: true); // B / N
        var varPlus = within * ((n - 1.0) / n) + between;
        var rHat = (varPlus / within).sqrt();

        // ρ_t from the mean (over half-chains) biased autocovariance at lag t, computed pair by pair until every
        // quantity's sequence has stopped (a chain that mixes well stops within a few lags).
        Tensor Rho(long t) => t == 0
            ? ones_like(within)
            : 1 - (within - (centred.narrow(1, 0, n - t) * centred.narrow(1, t, n - t)).sum(dim: 1).div(n).mean(new long[] { 0 })) / varPlus;
        var tau = full_like(within, -1.0);
        var alive = ones_like(within, dtype: ScalarType.Bool);
        Tensor? running = null;
        for (long k = 0; 2 * k + 1 < n; k++)
        {
            var pair = Rho(2 * k) + Rho(2 * k + 1);
            alive = alive.logical_and(pair.gt(0));
            if (!alive.any().item<bool>()) break;
            running = running is null ? pair : minimum(running, pair);
            tau = tau + 2 * where(alive, running, zeros_like(running));
        }
        var ess = (m * n) / tau.clamp_min(1.0 / Math.Log10(Math.Max(m * n, 10)));
        return new ChainDiagnostics(rHat.MoveToOuterDisposeScope(), ess.MoveToOuterDisposeScope());
    }
}

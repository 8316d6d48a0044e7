using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Xunit;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>
/// The fused float32 CPU kernel of the Monte Carlo KL against the libtorch formulas evaluated in float64 (which
/// <see cref="Kl"/> uses for every dtype but float32) on the same float32-representable inputs: values, and the
/// gradients that reach μ and ρ through autograd, element by element. (Adam's kernel: TrainingTests.)
/// <para>
/// Tolerances. The kernels accumulate sums in double, so a value carries only the rounding of its float32 terms: 1e-5
/// relative is ample. Each gradient element is a sum of a few float32 terms, each within a few units in the last place
/// (2⁻²⁴ ≈ 6e-8): 1e-5 of the sum of the terms' magnitudes is ample and still catches any wrong term. The scale
/// mixture adds one sensitivity: the float32 sample w = μ + σε is off by Δw of a few ulps of |μ| + |σε| (large against
/// w when the two nearly cancel), its exponent z = log(b/a) − w² gap by Δz = 4 (w² gap + |log(b/a)|) 2⁻²⁴ + 2|w| gap Δw,
/// and g = 2w (wide + gap · sigmoid(z)) by 2|w| gap sigmoid′(z) Δz + (2 wide + 2 gap sigmoid(z)) Δw — large only where
/// the mixture switches components (|w| ≈ 4e-3, gap ≈ 6e5). That bound is computed per element and added.
/// </para>
/// </summary>
public class CpuKernelsTests
{
    const double Relative = 1e-5;

    [Theory]
    [InlineData(true)]  // the draw feeds the likelihood: the prior's gradient reaches μ and ρ through the sample
    [InlineData(false)] // a draw for the KL alone: the kernel applies g and g ε to μ and σ itself
    public void FusedScaleMixtureMonteCarloKlEqualsTheFormula(bool sampleInGraph)
    {
        var (mu, rho) = Parameters(1003, seed: 22);
        random.manual_seed(23);
        var noise = Representable(randn(1003, dtype: ScalarType.Float64));
        var fused = Evaluate(ScalarType.Float32, mu, rho, (m, r) => MixtureKl(m, r, noise, sampleInGraph));
        var reference = Evaluate(ScalarType.Float64, mu, rho, (m, r) => MixtureKl(m, r, noise, sampleInGraph));
        AssertClose(reference.Value, fused.Value, "Monte Carlo KL");
        AssertMixtureGradientsClose(reference, fused, mu, rho, noise, factor: 1);
    }

    [Fact]
    public void FusedClosedFormKlEqualsTheFormula()
    {
        // Against the libtorch formulation in float64 on the same float32-representable inputs, a shifted prior:
        // ∂/∂μ = (μ − m0)/s0² has the terms μ and m0 (m0 itself rounded to float32); ∂/∂ρ = (σ/s0² − 1/σ) sigmoid(ρ)
        // two, each within a few ulps.
        var (mu, rho) = Parameters(2 * NormalNoise.StreamLength + 9, seed: 32);
        Tensor KlOf(Tensor m, Tensor r) => Kl.GaussianVsNormal(m, Reparameterization.Sigma(r), 0.02, 0.3);
        var fused = Evaluate(ScalarType.Float32, mu, rho, KlOf);
        var reference = Evaluate(ScalarType.Float64, mu, rho, KlOf);
        AssertClose(reference.Value, fused.Value, "closed-form KL");
        var sigma = Reparameterization.Sigma(rho);
        double precision = 1 / (0.3 * 0.3);
        AssertClose(reference.MuGradient, fused.MuGradient, Relative * ((mu.abs() + 0.02) * precision), "∂KL/∂μ");
        AssertClose(reference.RhoGradient, fused.RhoGradient, Relative * (sigma * precision + sigma.reciprocal()) * rho.sigmoid(), "∂KL/∂ρ");
    }

    [Fact]
    public void ADeferredDrawIsMadeInsideTheKernelFromTheNoiseOfItsKey()
    {
        // The kernel makes a deferred draw from the noise NormalNoise writes for the same key: reseeding libtorch gives
        // that key again, and the reference evaluates the realised draw in float64, as above. Three streams and a part.
        int n = 3 * NormalNoise.StreamLength + 5;
        var (mu, rho) = Parameters(n, seed: 30);
        var prior = Prior.ScaleMixture(Mixture.Pi, Mixture.Sigma1, Mixture.Sigma2);
        random.manual_seed(31);
        var fused = Evaluate(ScalarType.Float32, mu, rho, (m, r) => Kl.MonteCarlo(prior, GaussianDraw.Deferred(m, Reparameterization.Sigma(r))));
        random.manual_seed(31);
        var noise = NormalNoise.Like(empty(n)).to(ScalarType.Float64);
        var reference = Evaluate(ScalarType.Float64, mu, rho, (m, r) => MixtureKl(m, r, noise, sampleInGraph: false));
        AssertClose(reference.Value, fused.Value, "Monte Carlo KL");
        AssertMixtureGradientsClose(reference, fused, mu, rho, noise, factor: 1);
    }

    [Fact]
    public void WithoutGradientsTheFusedKernelGivesTheSameValue()
    {
        var draw = FloatDraw(1003, seed: 26);
        var prior = Prior.ScaleMixture(Mixture.Pi, Mixture.Sigma1, Mixture.Sigma2);
        double withGradients = Kl.MonteCarlo(prior, draw).item<float>();
        using (no_grad())
            Assert.Equal(withGradients, Kl.MonteCarlo(prior, draw).item<float>());
    }

    [Fact]
    public void NonContiguousTensorsTakeTheLibTorchPathWithTheSameResult()
    {
        var draw = FloatDraw(40 * 25, seed: 28);
        GaussianDraw Transposed(GaussianDraw d) => new(d.Sample.view(40, 25).t(), d.Mean.view(40, 25).t(), d.Sigma.view(40, 25).t(), d.Noise.view(40, 25).t());
        var prior = Prior.ScaleMixture(Mixture.Pi, Mixture.Sigma1, Mixture.Sigma2);
        double contiguous = Kl.MonteCarlo(prior, draw).item<float>();
        double transposed = Kl.MonteCarlo(prior, Transposed(draw)).item<float>();
        Assert.True(Math.Abs(contiguous - transposed) <= Relative * Math.Abs(contiguous), $"{transposed} against {contiguous}");
    }

    [Fact]
    public void DisabledKernelsGiveTheLibTorchOperationsInFloat32()
    {
        var (mu, rho) = Parameters(1003, seed: 24);
        random.manual_seed(25);
        var noise = Representable(randn(1003, dtype: ScalarType.Float64));
        Tensor KlOf(Tensor m, Tensor r) => MixtureKl(m, r, noise, sampleInGraph: true);
        var fused = Evaluate(ScalarType.Float32, mu, rho, KlOf);
        using var kernels = new KernelSwitch(false);
        var separate = Evaluate(ScalarType.Float32, mu, rho, KlOf);
        AssertClose(separate.Value, fused.Value, "KL");
        // Both paths round z in float32, each in its own way: twice the bound of one.
        AssertMixtureGradientsClose(separate, fused, mu, rho, noise, factor: 2);
    }

    [X86_64V3LinuxFact]
    public void TheCompiledKernelsLoadOnLinuxX64()
    {
        // Where the build compiles them (Linux x86-64 with g++) and the processor has x86-64-v3, a silent fallback to
        // the libtorch formulations would only show as a slower run: fail instead.
        Assert.True(CpuKernels.IsNative, "libbnndsl_kernels.so did not load; the build compiles it with g++ into the output folder");
    }

    [MklOptInFact]
    public void MklsVendorCheckResolvesToTheKernelsLibraryOnceTheProgramOptsIn()
    {
        // MKL's check is bound through the dynamic linker's global scope: after the opt-in (the suite's, at start, as the
        // tool's) the kernels' library must be in it, and the first definition found there must be the library's (which
        // answers yes), not libtorch's own. A second opt-in changes nothing.
        Assert.True(CpuKernels.ChooseMklPathByInstructionSets());
        Assert.True(CpuKernels.MklChoosesByInstructionSets);
        var library = NativeLibrary.Load(CpuKernels.InstructionSet == "AVX-512" ? "bnndsl_kernels_avx512" : "bnndsl_kernels", typeof(CpuKernels).Assembly, null);
        var ours = NativeLibrary.GetExport(library, "mkl_serv_intel_cpu_true");
        Assert.Equal(ours, dlsym(IntPtr.Zero, "mkl_serv_intel_cpu_true")); // IntPtr.Zero: RTLD_DEFAULT, the global scope
        Assert.Equal(1, Marshal.GetDelegateForFunctionPointer<VendorCheck>(ours)());
    }

    delegate int VendorCheck();

    [DllImport("libdl.so.2")]
    static extern IntPtr dlsym(IntPtr handle, string symbol);

    [Avx512Fact]
    public void TheAvx2AndAvx512BuildsAgree()
    {
        // Where the AVX-512 build loads, the rest of the suite never runs the AVX2 build that other processors use: call
        // both libraries' entry points on the same inputs. The formulas are the same; the builds round differently
        // (vector width, contractions), within a few float32 units in the last place per element.
        var builds = new[] { "libbnndsl_kernels.so", "libbnndsl_kernels_avx512.so" }
            .Select(file => NativeLibrary.Load(System.IO.Path.Combine(AppContext.BaseDirectory, file))).ToArray();
        const int n = 10_007; // three noise streams and a short tail
        random.manual_seed(41);
        var rho = (randn(n) * 3 - 4).contiguous(); // σ from about e⁻¹³ to 4
        var mu = (randn(n) * 0.1f).contiguous();
        var results = builds.Select(library =>
        {
            var sigma = empty(n);
            var square = empty(n);
            var noise = empty(n);
            var (muGradient, rhoGradient) = (zeros(n), zeros(n));
            Export<SoftplusSquare>(library, "bnndsl_softplus_square")(ref Data(rho), ref Data(sigma), ref Data(square), n);
            Export<NormalFill>(library, "bnndsl_normal_fill")(ref Data(noise), n, 12345);
            // Family 1, the scale mixture, with the draw's noise made in the pass.
            // Its parameters for π = 0.25, σ1 = 1, σ2 = 0.0009: log ratio = log((1 − π) σ1 / (π σ2)), wide = 1/2σ1²,
            // gap = 1/2σ2² − wide.
            const double pi = 0.25, sigma1 = 1.0, sigma2 = 0.0009;
            double wide = 0.5 / (sigma1 * sigma1), gap = 0.5 / (sigma2 * sigma2) - wide, logRatio = Math.Log((1 - pi) * sigma1 / (pi * sigma2));
            long bad = Export<KlAddGradient>(library, "bnndsl_kl_add_gradient")(ref Data(mu), ref Data(rho), ref Data(sigma), n, 1,
                (float)logRatio, (float)gap, (float)wide, ref Unsafe.NullRef<float>(), 777, 1f / 60000, ref Data(muGradient), ref Data(rhoGradient));
            Assert.Equal(0, bad);
            // The local draw from its moments, in place (training) and into the noise (prediction): the same values.
            var variance = square.clone();
            var (drawInPlace, drawIntoNoise) = (mu.clone(), noise.clone());
            Export<SampleFromMoments>(library, "bnndsl_sample_from_moments")(ref Data(drawInPlace), ref Data(variance), ref Data(noise), n);
            Export<SampleGivenMoments>(library, "bnndsl_sample_given_moments")(ref Data(mu), ref Data(square), ref Data(drawIntoNoise), n);
            Assert.True(drawInPlace.eq(drawIntoNoise).all().item<bool>(), "the prediction's draw is not training's");
            return (sigma, square, noise, muGradient, rhoGradient, drawInPlace);
        }).ToArray();
        var (avx2, avx512) = (results[0], results[1]);
        AssertCloseElementwise(avx2.drawInPlace, avx512.drawInPlace, 1e-6);
        AssertCloseElementwise(avx2.sigma, avx512.sigma, 1e-6);
        AssertCloseElementwise(avx2.square, avx512.square, 1e-6);
        AssertCloseElementwise(avx2.noise, avx512.noise, 1e-6);
        AssertCloseElementwise(avx2.muGradient, avx512.muGradient, 1e-4);
        AssertCloseElementwise(avx2.rhoGradient, avx512.rhoGradient, 1e-4);
    }

    static void AssertCloseElementwise(Tensor expected, Tensor actual, double relative)
    {
        var bound = expected.abs() * relative + 1e-30;
        var excess = ((actual - expected).abs() - bound).max().item<float>();
        Assert.True(excess <= 0, $"the builds differ beyond {relative:G} relative (excess {excess:G3})");
    }

    static ref float Data(Tensor t) => ref MemoryMarshal.GetReference(MemoryMarshal.Cast<byte, float>(t.bytes));

    static T Export<T>(IntPtr library, string name) where T : Delegate =>
        Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(library, name));

    delegate void SoftplusSquare(ref float rho, ref float sigma, ref float square, long n);
    delegate void NormalFill(ref float destination, long n, ulong key);
    delegate void SampleFromMoments(ref float mean, ref float variance, ref float noise, long n);
    delegate void SampleGivenMoments(ref float mean, ref float variance, ref float noise, long n); // reads mean and variance only
    delegate long KlAddGradient(ref float mu, ref float rho, ref float sigma, long n, int family, float a, float b, float c,
                                ref float noise, ulong key, float scale, ref float muGradient, ref float rhoGradient);

    [NativeKernelsFact]
    public void APredictionsDrawIsTrainingsAndLeavesTheMomentsAsTheyWere()
    {
        random.manual_seed(43);
        const int n = 50_000; // split over the threads
        var mean = randn(n);
        var variance = rand(n) * 2;
        var noise = randn(n);
        var (meanBefore, varianceBefore) = (mean.clone(), variance.clone());
        var (training, trainingVariance, prediction) = (mean.clone(), variance.clone(), noise.clone());
        CpuKernels.SampleFromMoments(training, trainingVariance, noise);
        CpuKernels.SampleGivenMoments(mean, variance, prediction);
        Assert.True(prediction.eq(training).all().item<bool>(), "the prediction's draw is not training's");
        Assert.True(mean.eq(meanBefore).all().item<bool>() && variance.eq(varianceBefore).all().item<bool>(), "the moments changed");
    }

    [Fact]
    public void DisabledKernelsDrawLibTorchsNoise()
    {
        using var kernels = new KernelSwitch(false);
        random.manual_seed(29);
        var ours = NormalNoise.Like(empty(300));
        random.manual_seed(29);
        Assert.True(ours.eq(randn(300)).all().item<bool>());
    }

    static readonly (double Pi, double Sigma1, double Sigma2) Mixture = (0.25, 1, 0.0009);

    /// <summary>A float32 draw for the KL alone (out of the graph), from <see cref="Parameters"/>.</summary>
    static GaussianDraw FloatDraw(int n, int seed)
    {
        var (mu, rho) = Parameters(n, seed);
        var noise = Representable(randn(n, dtype: ScalarType.Float64)).to(ScalarType.Float32);
        var m = mu.to(ScalarType.Float32);
        var sigma = Reparameterization.Sigma(rho.to(ScalarType.Float32));
        using (no_grad()) return new GaussianDraw(m + sigma * noise, m, sigma, noise);
    }

    static Tensor MixtureKl(Tensor m, Tensor r, Tensor noise, bool sampleInGraph)
    {
        var sigma = Reparameterization.Sigma(r);
        var e = noise.to(m.dtype);
        Tensor sample;
        using (sampleInGraph ? null : no_grad()) sample = m + sigma * e;
        return Kl.MonteCarlo(Prior.ScaleMixture(Mixture.Pi, Mixture.Sigma1, Mixture.Sigma2), new GaussianDraw(sample, m, sigma, e));
    }

    /// <summary>The per-element bounds of the class comment for the scale mixture's gradients, times <paramref name="factor"/>.</summary>
    static void AssertMixtureGradientsClose((double Value, Tensor MuGradient, Tensor RhoGradient) expected,
        (double Value, Tensor MuGradient, Tensor RhoGradient) actual, Tensor mu, Tensor rho, Tensor noise, double factor)
    {
        var (pi, s1, s2) = Mixture;
        double wide = 0.5 / (s1 * s1), gap = 0.5 / (s2 * s2) - wide;
        double logRatio = Math.Log((1 - pi) / s2) - Math.Log(pi / s1);
        var sigma = Reparameterization.Sigma(rho);
        var w = mu + sigma * noise;
        var z = (logRatio - w.square() * gap).clamp_min(-80);
        var responsibility = z.sigmoid();
        var g = w * (responsibility * (2 * gap) + 2 * wide);
        // w = μ + σε itself carries float32 rounding: σ = softplus(ρ) within ~2 ulps, the product and the sum within
        // half an ulp each, and when μ and σε nearly cancel that is large against w — exactly where the mixture switches.
        var wError = ((sigma * noise).abs() + w.abs()) * (3 * Math.Pow(2, -24));
        var zError = (w.square() * gap + Math.Abs(logRatio)) * (4 * Math.Pow(2, -24)) + w.abs() * (2 * gap) * wError;
        var gError = w.abs() * (2 * gap) * responsibility * (1 - responsibility) * zError + (responsibility * (2 * gap) + 2 * wide) * wError;
        // ∂/∂μ = g (+ nothing else); ∂/∂ρ = (g ε − 1/σ) sigmoid(ρ): the terms' magnitudes, and g's error carried along.
        var muTolerance = (Relative * g.abs() + gError) * factor;
        var rhoTolerance = (Relative * ((g * noise).abs() + sigma.reciprocal()) + gError * noise.abs()) * rho.sigmoid() * factor;
        AssertClose(expected.MuGradient, actual.MuGradient, muTolerance, "∂KL/∂μ");
        AssertClose(expected.RhoGradient, actual.RhoGradient, rhoTolerance, "∂KL/∂ρ");
    }

    /// <summary>μ over three scales (weights the narrow component holds, ordinary ones, far ones) and ρ over σ from 0.0003 to 0.7.</summary>
    static (Tensor Mu, Tensor Rho) Parameters(int n, int seed)
    {
        random.manual_seed(seed);
        var scale = tensor(new[] { 0.001, 0.05, 0.8 }, dtype: ScalarType.Float64).repeat((n + 2) / 3)[..n];
        return (Representable(randn(n, dtype: ScalarType.Float64) * scale), Representable(rand(n, dtype: ScalarType.Float64) * 8 - 8));
    }

    /// <summary>Rounds to float32 and back, so that both precisions start from the same inputs.</summary>
    static Tensor Representable(Tensor values) => values.to(ScalarType.Float32).to(ScalarType.Float64);

    static (double Value, Tensor MuGradient, Tensor RhoGradient) Evaluate(ScalarType dtype, Tensor mu, Tensor rho, Func<Tensor, Tensor, Tensor> term)
    {
        var m = mu.to(dtype).requires_grad_();
        var r = rho.to(dtype).requires_grad_();
        var value = term(m, r);
        value.backward();
        return (value.to(ScalarType.Float64).item<double>(), m.grad!.to(ScalarType.Float64), r.grad!.to(ScalarType.Float64));
    }

    static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(actual - expected) <= Relative * Math.Max(1, Math.Abs(expected)), $"{what}: {actual} against {expected}");

    static void AssertClose(Tensor expected, Tensor actual, Tensor tolerance, string what)
    {
        var excess = (actual - expected).abs() - tolerance;
        long worst = excess.argmax().item<long>();
        Assert.True(excess[worst].item<double>() <= 0,
            $"{what}, element {worst}: {actual[worst].item<double>()} against {expected[worst].item<double>()}, tolerance {tolerance[worst].item<double>()}");
    }
}

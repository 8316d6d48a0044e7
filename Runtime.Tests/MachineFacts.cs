using System;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Xunit;

namespace BnnDsl.Runtime.Tests;

// Tests that need something of the machine are reported as skipped, with the reason, where it lacks it — never as a
// pass that checked nothing.

/// <summary>A test of the fused CPU kernels: skipped where they did not load.</summary>
public sealed class NativeKernelsFactAttribute : FactAttribute
{
    public NativeKernelsFactAttribute()
    {
        if (!CpuKernels.IsNative) Skip = "the fused CPU kernels did not load (they need Linux x86-64 with AVX2 and FMA, built with g++)";
    }
}

/// <summary>A test of the kernels' build for x86-64-v3: skipped on processors without it or outside Linux x86-64.</summary>
public sealed class X86_64V3LinuxFactAttribute : FactAttribute
{
    public X86_64V3LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64
            || !(Avx2.IsSupported && Fma.IsSupported && Bmi1.IsSupported && Bmi2.IsSupported && Lzcnt.IsSupported))
            Skip = "the kernels are built and loaded on Linux x86-64 with AVX2, FMA, BMI1/2 and LZCNT only";
    }
}

/// <summary>A test that needs the kernels' AVX-512 build loaded: skipped on processors without AVX-512.</summary>
public sealed class Avx512FactAttribute : FactAttribute
{
    public Avx512FactAttribute()
    {
        if (CpuKernels.InstructionSet != "AVX-512") Skip = "the processor lacks AVX-512 (or the kernels did not load), so only the AVX2 build runs";
    }
}

/// <summary>A test of MKL's opt-in: skipped without the kernels or where the environment keeps MKL's vendor check.</summary>
public sealed class MklOptInFactAttribute : FactAttribute
{
    public MklOptInFactAttribute()
    {
        if (!CpuKernels.IsNative) Skip = "the fused CPU kernels, which answer MKL's vendor check, did not load";
        else if (Environment.GetEnvironmentVariable("BNNDSL_MKL_VENDOR_CHECK") == "keep") Skip = "BNNDSL_MKL_VENDOR_CHECK=keep is set";
    }
}

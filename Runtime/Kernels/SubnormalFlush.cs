using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BnnDsl;

/// <summary>
/// Flush-to-zero and denormals-are-zero for the calling thread while a <see cref="Scope"/> is open: float results
/// below the smallest normal number (1.2e-38) become 0, and such inputs are read as 0. x86 processors take a slow path
/// for subnormal numbers; PyTorch offers the same switch as <c>torch.set_flush_denormal</c>.
/// <para>
/// Why <see cref="Adam"/> needs it: under weight decay a weight the data never moves (fed by a pixel that is 0 in
/// most images) shrinks geometrically towards 0 and passes through the subnormal range, and so do its moments and the
/// products of its update. After five MAP epochs on Fashion-MNIST the first layer held some 1.6k subnormal weights
/// and 5.6k subnormal first moments, and the fused Adam pass took 0.27–0.51 ms a step against 0.17 inside this scope
/// (<c>bnndsl-bench --profile</c>, the rows "map after 5 epochs"). What changes: such a weight stops shrinking once
/// the products of its update underflow, near 1e-30 instead of passing on through the subnormals to 0; its
/// contribution to any sum is of that order, far below float32's resolution of the sums it enters.
/// </para>
/// <para>
/// On x86-64 Linux with glibc the switch is the MXCSR register, set and restored through libm's <c>fegetenv</c> and
/// <c>fesetenv</c> (MXCSR is at byte 28 of <c>fenv_t</c>, after the x87 environment). Elsewhere (other processors,
/// Windows, musl, whose libm has another name) a scope does nothing and arithmetic keeps its subnormals.
/// </para>
/// <para>
/// The register is per thread: a scope covers what runs on the calling thread; the compiled Adam kernel, which runs on
/// libtorch's worker threads too, sets the same modes on each of them while <see cref="Enabled"/> (<see cref="CpuKernels"/>).
/// A libtorch operation large enough for libtorch to split over its workers (Adam's fallback without the kernels) runs
/// partly unflushed.
/// </para>
/// </summary>
public static class SubnormalFlush
{
    const int EnvironmentBytes = 32, MxcsrOffset = 28;
    const uint FlushToZero = 1u << 15, DenormalsAreZero = 1u << 6;

    /// <summary>A C <c>fenv_t</c> of x86-64 Linux.</summary>
    [InlineArray(EnvironmentBytes)]
    struct Environment
    {
        byte first;

        public uint Mxcsr
        {
            get => MemoryMarshal.Read<uint>(((ReadOnlySpan<byte>)this)[MxcsrOffset..]);
            set => MemoryMarshal.Write(((Span<byte>)this)[MxcsrOffset..], in value);
        }
    }

    [DllImport("libm.so.6", EntryPoint = "fegetenv")]
    static extern int GetEnvironment(ref Environment environment);

    [DllImport("libm.so.6", EntryPoint = "fesetenv")]
    static extern int SetEnvironment(ref Environment environment);

    /// <summary>Whether a scope switches anything on this machine (x86-64 Linux with a C library that has the calls).</summary>
    public static bool IsSupported { get; } = Probe();

    /// <summary>Whether scopes switch the flush on (default true); benchmarks turn it off to measure what it saves.</summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>Opens a scope on the calling thread; dispose it on the same thread to restore the previous state.</summary>
    public static Scope Begin() => new(Enabled && IsSupported);

    static bool Probe()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return false;
        try
        {
            var environment = new Environment();
            return GetEnvironment(ref environment) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// The thread's floating-point environment as it was before <see cref="Begin"/>; restored on dispose (once; use
    /// the scope itself, not a copy, which would restore again).
    /// </summary>
    public struct Scope : IDisposable
    {
        Environment saved;
        bool active;

        internal Scope(bool switchOn)
        {
            saved = new Environment();
            active = false;
            if (!switchOn || GetEnvironment(ref saved) != 0) return;
            var flushing = saved;
            flushing.Mxcsr |= FlushToZero | DenormalsAreZero;
            active = SetEnvironment(ref flushing) == 0;
        }

        public void Dispose()
        {
            if (!active) return;
            active = false;
            SetEnvironment(ref saved);
        }
    }
}

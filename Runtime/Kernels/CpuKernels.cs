using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// Elementwise formulas fused into one pass over memory for float32 tensors on the CPU. libtorch runs each elementwise
/// operation as its own pass: the Monte Carlo KL against a scale mixture is some fifteen passes over every weight, an
/// Adam step six, and on a small network those passes cost as much as the matrix products. Each kernel reads its
/// inputs once, accumulates sums in double precision and writes its results once. The libtorch formulations
/// (<see cref="Kl"/>, <see cref="ScaleMixturePrior"/>, <see cref="Adam"/>) stay the reference, and what runs on other
/// devices and dtypes; tests hold the two to each other.
/// <para>
/// The kernels are C++ (<c>Runtime/Native/kernels.cpp</c>), compiled by the build with the machine's g++ and OpenMP
/// twice, for x86-64-v3 (AVX2) and for x86-64-v4 (AVX-512; loaded where the processor has it), and run on libtorch's
/// own OpenMP thread pool: libtorch's workers spin between operations, so a kernel on .NET threads runs on one core
/// while the other spins (splitting one over two .NET threads gained nothing), while on the pool it uses both: Adam's
/// pass over 628k weights took 0.08 ms against 0.16 for the same pass written in C# with 256-bit vectors, which these
/// kernels replaced. Their sums are kept per block of 4096 values and added in block order, so no result depends on
/// timing or the thread count; results repeat bit for bit with one build of the library (another g++ may contract
/// multiplications and additions into fused ones differently). Without the library (another platform, a build without
/// g++) everything runs as libtorch operations.
/// </para>
/// <para>
/// They write through the tensors' memory, past autograd's version counters: a graph that saved a parameter and is
/// run backward again after <see cref="Adam.Step"/> sees the new values without libtorch's "modified by an inplace
/// operation" error. Training builds a new graph every step, so this never arises there.
/// </para>
/// </summary>
public static partial class CpuKernels
{
    const string Library = "bnndsl_kernels";

    /// <summary>
    /// Whether the fused kernels and <see cref="NormalNoise"/>'s generator are used where they apply (default true).
    /// Turned off, everything runs as separate libtorch operations with libtorch's <c>randn</c>, as on other devices:
    /// benchmarks use this as the baseline, and a user can rule the kernels out when results look wrong.
    /// </summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>Whether the compiled kernels loaded on this machine (Linux x86-64 with AVX2 and FMA, built with g++).</summary>
    public static bool IsNative { get; } = LoadLibrary();

    /// <summary>
    /// The instruction set the loaded kernels were compiled for: "AVX-512" (x86-64-v4, 512-bit vectors) where the
    /// processor has it, else "AVX2" (x86-64-v3); null without them. The two builds compute the same formulas; their
    /// results differ in rounding only (the compiler contracts and orders a vector's operations per width).
    /// </summary>
    public static string? InstructionSet { get; private set; }

    /// <summary>
    /// Whether MKL, which runs libtorch's matrix products on the CPU, chooses its code path by the instruction sets the
    /// processor reports rather than by its vendor: true once <see cref="ChooseMklPathByInstructionSets"/> has turned it
    /// on. MKL takes its AVX-512 and AVX2 paths only on Intel processors and a slower one elsewhere: on an AMD processor
    /// with AVX-512 its products at the MLP's shapes ran at about 200 GFLOP/s on two cores, and at about 450 with this on.
    /// </summary>
    public static bool MklChoosesByInstructionSets { get; private set; }

    /// <summary>
    /// Opts the process in to MKL choosing its code path by instruction sets (<see cref="MklChoosesByInstructionSets"/>):
    /// the kernels' library answers MKL's vendor check (<c>mkl_serv_intel_cpu_true</c> in kernels.cpp) once it is in the
    /// process's global symbol scope, which this call puts it in. It changes a process-wide setting of a library the
    /// program shares, so BnnDsl never does it by itself: a program calls this once, before its first matrix product
    /// (MKL's check binds then), as the command-line tool and the benchmarks do. The environment variable
    /// <c>BNNDSL_MKL_VENDOR_CHECK=keep</c> makes it a no-op. Returns whether MKL now chooses by instruction sets.
    /// </summary>
    public static bool ChooseMklPathByInstructionSets()
    {
        if (MklChoosesByInstructionSets || !IsNative || loadedFile is null) return MklChoosesByInstructionSets;
        if (Environment.GetEnvironmentVariable("BNNDSL_MKL_VENDOR_CHECK") == "keep") return false;
        // .NET loads libraries into a scope of their own; reopening by the library's soname without loading it again adds
        // it to the global scope, where the dynamic linker looks first when libtorch's call to MKL's check binds.
        MklChoosesByInstructionSets = dlopen("lib" + loadedFile + ".so", RuntimeLazy | RuntimeNoLoad | RuntimeGlobal) != IntPtr.Zero;
        return MklChoosesByInstructionSets;
    }

    static string? loadedFile;

    static bool LoadLibrary()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return false;
        if (!(Avx2.IsSupported && Fma.IsSupported && Bmi1.IsSupported && Bmi2.IsSupported && Lzcnt.IsSupported)) return false;
        // libtorch first: the kernels' libgomp.so.1 must resolve to the OpenMP runtime libtorch brought, one thread pool.
        _ = get_num_threads();
        bool x86_64_v4 = Avx512F.IsSupported && Avx512F.VL.IsSupported && Avx512BW.IsSupported && Avx512CD.IsSupported && Avx512DQ.IsSupported;
        var builds = x86_64_v4 ? new[] { (Library + "_avx512", "AVX-512"), (Library, "AVX2") } : new[] { (Library, "AVX2") };
        foreach (var (file, instructionSet) in builds)
        {
            if (!NativeLibrary.TryLoad(file, typeof(CpuKernels).Assembly, null, out var handle)) continue;
            // Every [DllImport(Library)] binds to the build loaded here.
            NativeLibrary.SetDllImportResolver(typeof(CpuKernels).Assembly, (name, _, _) => name == Library ? handle : IntPtr.Zero);
            InstructionSet = instructionSet;
            loadedFile = file;
            return true;
        }
        return false;
    }

    const int RuntimeLazy = 0x1, RuntimeNoLoad = 0x4, RuntimeGlobal = 0x100; // <dlfcn.h>: RTLD_LAZY, RTLD_NOLOAD, RTLD_GLOBAL

    [DllImport("libdl.so.2", EntryPoint = "dlopen")]
    static extern IntPtr dlopen(string file, int mode);

    /// <summary>
    /// True when the kernels are enabled and loaded and every tensor is a contiguous float32 CPU tensor of
    /// <paramref name="length"/> elements.
    /// </summary>
    internal static bool CanRun(long length, params Tensor[] tensors)
    {
        if (!Enabled || !IsNative || length > int.MaxValue / sizeof(float)) return false; // a tensor's memory as one span
        foreach (var t in tensors)
            if (t.device_type != TorchSharp.DeviceType.CPU || t.dtype != ScalarType.Float32 || !t.is_contiguous() || t.numel() != length)
                return false;
        return true;
    }

    /// <summary>Standard normal draws from <paramref name="key"/> (the generator <see cref="NormalNoise.Fill"/> documents).</summary>
    internal static void NormalFill(Span<float> destination, ulong key) =>
        NativeNormalFill(ref MemoryMarshal.GetReference(destination), destination.Length, key);

    [DllImport(Library, EntryPoint = "bnndsl_normal_fill")]
    static extern void NativeNormalFill(ref float destination, long count, ulong key);

    /// <summary>The first float of a tensor's memory, for the native kernels (null for a null tensor).</summary>
    static ref float First(Tensor? t) => ref t is null ? ref Unsafe.NullRef<float>() : ref MemoryMarshal.GetReference(MemoryMarshal.Cast<byte, float>(t.bytes));
}

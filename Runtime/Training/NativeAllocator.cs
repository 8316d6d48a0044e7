using System;
using System.Runtime.InteropServices;

namespace BnnDsl;

/// <summary>
/// glibc returns large freed blocks (libtorch's activations and gradients) to the kernel on every step and maps them
/// again on the next, which costs more system time than the arithmetic of a small network. Raising the mmap and
/// trim thresholds keeps those blocks in the heap; resident memory stays flat because the same sizes are reused.
/// </summary>
public static class NativeAllocator
{
    const int M_TRIM_THRESHOLD = -1;
    const int M_MMAP_THRESHOLD = -3;
    static bool tuned;

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int MallOpt(int parameter, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int MallocTrim(nuint pad);

    /// <summary>Applies the thresholds once per process; does nothing off glibc.</summary>
    public static void KeepLargeBlocks()
    {
        if (tuned || !OperatingSystem.IsLinux()) return;
        tuned = true;
        try
        {
            MallOpt(M_MMAP_THRESHOLD, 32 * 1024 * 1024); // glibc's maximum on 64-bit
            MallOpt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
        }
        catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
        {
            // musl and other C libraries: nothing to tune.
        }
    }

    /// <summary>
    /// Returns the heap's free pages to the kernel (glibc's malloc_trim), once per epoch: the raised thresholds keep
    /// freed blocks for the next step, and without this the heap keeps the high-water mark of any fragmentation.
    /// </summary>
    public static void ReleaseFreeMemory()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            MallocTrim(0);
        }
        catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
        {
        }
    }
}

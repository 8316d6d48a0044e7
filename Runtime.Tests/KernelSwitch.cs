namespace BnnDsl.Runtime.Tests;

/// <summary>
/// Sets <see cref="CpuKernels.Enabled"/> for the rest of a test and turns the kernels back on (the suite's default)
/// when disposed, whatever the test did: <c>using var kernels = new KernelSwitch(false);</c>.
/// </summary>
internal sealed class KernelSwitch : System.IDisposable
{
    public KernelSwitch(bool enabled) => CpuKernels.Enabled = enabled;

    public void Dispose() => CpuKernels.Enabled = true;
}

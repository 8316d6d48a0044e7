using System.Runtime.CompilerServices;
using BnnDsl;
using Xunit;

// libtorch's random generator and default dtype are process-wide: tests that seed them must not interleave.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace BnnDsl.Runtime.Tests;

static class SuiteSetUp
{
    /// <summary>
    /// The suite runs on the MKL code path the command-line tool takes: it opts in once, as the tool does, before the
    /// first matrix product. Opting in later, from inside one test, would switch the path of every test after it, and
    /// tests comparing this process with the tool's worker processes bit for bit would pass or fail by test order.
    /// </summary>
    [ModuleInitializer]
    internal static void ChooseTheToolsMklPath() => CpuKernels.ChooseMklPathByInstructionSets();
}

using Xunit;

// libtorch's random generator and default dtype are process-wide: tests that seed them must not interleave.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

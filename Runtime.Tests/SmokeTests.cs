using Xunit;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

public class SmokeTests
{
    [Fact]
    public void GeneratedNetworkRuns()
    {
        using var net = new TinyClassifier();
        using var scope = NewDisposeScope();
        var terms = net.Loss(randn(5, 4), tensor(new long[] { 0, 1, 2, 0, 1 }), 100);
        terms.Loss.backward();
        Assert.True(terms.Loss.item<float>() > 0);
    }
}

using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using BnnDsl.Examples.Networks;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace BnnDsl.Runtime.Tests;

/// <summary>
/// <c>bnndsl evaluate</c> run as a user runs it, on files it cannot judge: each ends with one error message naming the
/// file and what is wrong, exit code 1, and no stack trace.
/// </summary>
public sealed class EvaluateCommandTests(ITestOutputHelper output) : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("bnndsl-evaluate-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void EveryFileEvaluateCannotJudgeEndsWithOneMessageNamingIt()
    {
        random.manual_seed(4);
        string model = Path.Combine(directory, "model.bin");
        using (var network = new FashionMap()) network.Save(model);
        byte[] bytes = File.ReadAllBytes(model);

        string notes = Write("notes.txt", "not a checkpoint at all"u8.ToArray());
        string header = Write("header.bin", bytes[..20]);
        string parameters = Write("parameters.bin", bytes[..(bytes.Length / 2)]);
        string foreign = Path.Combine(directory, "foreign.bin");
        using (var network = new TinyMixtureClassifier()) network.Save(foreign);

        AssertFails(notes, "is not a BnnDsl checkpoint");
        AssertFails(header, "is truncated at byte 20, inside the checkpoint's header");
        AssertFails(parameters, "is truncated or damaged in its parameters");
        AssertFails(foreign, "was written by TinyMixtureClassifier, which is not a declaration of this tool");
        AssertFails(Path.Combine(directory, "missing.bin"), "No checkpoint at");
    }

    string Write(string name, byte[] content)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    void AssertFails(string path, string what)
    {
        using var process = Process.Start(ClusterRunTests.ToolStart("evaluate", "--model", path, "--out", Path.Combine(directory, "out")))!;
        string text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        output.WriteLine($"$ bnndsl evaluate --model {path}  → {process.ExitCode}\n{text}");
        Assert.Equal(1, process.ExitCode);
        // The console wraps a long message at its width: judge the words, not the line breaks.
        string message = Regex.Replace(text, @"\s+", " ").Trim();
        Assert.StartsWith("error:", message);
        Assert.Contains($"'{path}'", message);
        Assert.Contains(what, message);
        Assert.DoesNotContain(" at BnnDsl.", message);
        Assert.DoesNotContain("Exception", message);
    }
}

using System;
using System.IO;

namespace BnnDsl.Examples.Cli;

/// <summary>Where the Fashion-MNIST and out-of-distribution files come from, and which source was used.</summary>
public static class DataSources
{
    public const string DebianFashionMnist = "/usr/share/datasets/fashion-mnist";

    /// <summary>The embedded default, copied beside the executable.</summary>
    public static string EmbeddedDirectory => Path.Combine(AppContext.BaseDirectory, "data");

    /// <summary>Chooses the Fashion-MNIST directory: --data, else the Debian package, else the embedded subset.</summary>
    public static (string Directory, string Description) Fashion(string? requested)
    {
        if (requested is not null)
        {
            if (!Directory.Exists(requested)) throw new DirectoryNotFoundException($"--data: no directory '{requested}'.");
            return (requested, $"Fashion-MNIST from {requested}");
        }
        if (System.IO.File.Exists(Path.Combine(DebianFashionMnist, "train-images-idx3-ubyte.gz")))
            return (DebianFashionMnist, $"full Fashion-MNIST from {DebianFashionMnist} (Debian package dataset-fashion-mnist)");
        return (EmbeddedDirectory, "embedded default: Fashion-MNIST subset (first 6,000 train / 2,000 test images)");
    }

    /// <summary>
    /// The labelled images <c>{prefix}-images-idx3-ubyte</c> and <c>{prefix}-labels-idx1-ubyte</c> in
    /// <paramref name="directory"/> (<c>train</c>, <c>t10k</c>, <c>ood</c>), gzip-compressed or not.
    /// </summary>
    public static LabelledData Read(string directory, string prefix) =>
        ImageData.Read(File(directory, $"{prefix}-images-idx3-ubyte"), File(directory, $"{prefix}-labels-idx1-ubyte"));

    /// <summary>The file <paramref name="stem"/> in <paramref name="directory"/>, gzip-compressed or not.</summary>
    public static string File(string directory, string stem)
    {
        foreach (var candidate in new[] { stem + ".gz", stem })
        {
            var path = Path.Combine(directory, candidate);
            if (System.IO.File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"Missing data file: neither {stem}.gz nor {stem} is in {directory}.", Path.Combine(directory, stem + ".gz"));
    }
}

using System;
using System.IO;
using System.IO.Compression;
using Xunit;

namespace BnnDsl.Runtime.Tests;

/// <summary>Bad data files stop with a message naming the file and the offset, never a bare stack trace.</summary>
public sealed class DataTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("bnndsl-data-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    static byte[] Header(byte rank, params int[] dims)
    {
        var bytes = new byte[4 + 4 * dims.Length];
        bytes[2] = 0x08;
        bytes[3] = rank;
        for (int d = 0; d < dims.Length; d++)
        {
            bytes[4 + 4 * d] = (byte)(dims[d] >> 24);
            bytes[5 + 4 * d] = (byte)(dims[d] >> 16);
            bytes[6 + 4 * d] = (byte)(dims[d] >> 8);
            bytes[7 + 4 * d] = (byte)dims[d];
        }
        return bytes;
    }

    string Write(string name, byte[] content, bool gzip = false)
    {
        string path = Path.Combine(directory, name);
        if (gzip)
        {
            using var file = File.Create(path);
            using var zip = new GZipStream(file, CompressionLevel.Fastest);
            zip.Write(content);
        }
        else File.WriteAllBytes(path, content);
        return path;
    }

    static byte[] Concat(byte[] a, byte[] b)
    {
        var joined = new byte[a.Length + b.Length];
        a.CopyTo(joined, 0);
        b.CopyTo(joined, a.Length);
        return joined;
    }

    [Fact]
    public void ReadsAGzippedImageFileAndItsLabels()
    {
        var pixels = new byte[2 * 28 * 28];
        pixels[0] = 255;
        var images = Write("images.gz", Concat(Header(3, 2, 28, 28), pixels), gzip: true);
        var labels = Write("labels", Concat(Header(1, 2), new byte[] { 3, 9 }));
        using var data = ImageData.Read(images, labels);
        Assert.Equal(2, data.Count);
        Assert.Equal(1f, data.Inputs[0, 0].item<float>());
        Assert.Equal(9L, data.Targets[1].item<long>());
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        var missing = Path.Combine(directory, "train-images-idx3-ubyte.gz");
        var error = Assert.Throws<FileNotFoundException>(() => Idx.Read(missing));
        Assert.Contains(missing, error.Message);
    }

    [Fact]
    public void ATruncatedFileNamesTheFileAndTheOffset()
    {
        var path = Write("short", Concat(Header(3, 10, 28, 28), new byte[100]));
        var error = Assert.Throws<DataFormatException>(() => Idx.Read(path));
        Assert.Equal(path, error.FilePath);
        Assert.Equal(116, error.Offset);
        Assert.Contains("truncated", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void ACutGzipStreamIsReportedAsAFormatError()
    {
        // .NET's gzip reader returns what it could decompress from a cut stream; the IDX header then finds it short.
        var good = Write("good.gz", Concat(Header(1, 4000), new byte[4000]), gzip: true);
        var bytes = File.ReadAllBytes(good);
        Array.Resize(ref bytes, bytes.Length / 2);
        var path = Write("cut.gz", bytes);
        var error = Assert.Throws<DataFormatException>(() => Idx.Read(path));
        Assert.Equal(path, error.FilePath);
        Assert.Contains("decompressed", error.Message);
    }

    [Fact]
    public void ADamagedGzipStreamNamesTheFile()
    {
        var good = Write("good.gz", Concat(Header(1, 4000), new byte[4000]), gzip: true);
        var bytes = File.ReadAllBytes(good);
        for (int i = 12; i < bytes.Length - 8; i++) bytes[i] ^= 0x5a; // scramble the deflate blocks
        var path = Write("scrambled.gz", bytes);
        var error = Assert.Throws<DataFormatException>(() => Idx.Read(path));
        Assert.Equal(path, error.FilePath);
    }

    [Fact]
    public void AFileThatIsNotIdxIsNamedWithOffsetZero()
    {
        var path = Write("notes.txt", System.Text.Encoding.ASCII.GetBytes("hello, world"));
        var error = Assert.Throws<DataFormatException>(() => Idx.Read(path));
        Assert.Equal(0, error.Offset);
        Assert.Contains("not an IDX file", error.Message);
    }

    [Fact]
    public void AWrongImageSizeNamesBothSizes()
    {
        var images = Write("images", Concat(Header(3, 1, 32, 32), new byte[32 * 32]));
        var labels = Write("labels", Concat(Header(1, 1), new byte[] { 0 }));
        var error = Assert.Throws<DataFormatException>(() => ImageData.Read(images, labels));
        Assert.Contains("32×32", error.Message);
        Assert.Contains("28×28", error.Message);
    }

    [Fact]
    public void ALabelOutOfRangeNamesItsOffset()
    {
        var images = Write("images", Concat(Header(3, 2, 28, 28), new byte[2 * 784]));
        var labels = Write("labels", Concat(Header(1, 2), new byte[] { 1, 12 }));
        var error = Assert.Throws<DataFormatException>(() => ImageData.Read(images, labels));
        Assert.Equal(9, error.Offset);
    }

    [Fact]
    public void RotationByAQuarterTurnIsExactAndCounterClockwise()
    {
        TorchSharp.torch.random.manual_seed(1);
        var images = TorchSharp.torch.rand(3, 784);
        var quarter = ImageData.Rotate(images, 90).view(3, 28, 28);
        // numpy's and libtorch's rot90 turn counter-clockwise as displayed (rows downwards).
        var expected = images.view(3, 28, 28).rot90(1, (1, 2));
        Assert.True(quarter.allclose(expected, rtol: 0, atol: 1e-5), $"largest difference {(quarter - expected).abs().max().item<float>()}");
        Assert.True(ImageData.Rotate(images, 0).Equals(images));
        var wide = ImageData.Rotate(images, 45);
        Assert.Equal(images.shape, wide.shape);
        // Corners leave the frame: a 45° turn keeps less ink than there was, never more.
        Assert.True(wide.sum().item<float>() < images.sum().item<float>());
    }
}

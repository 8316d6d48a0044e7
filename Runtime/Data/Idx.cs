using System;
using System.IO;
using System.IO.Compression;

namespace BnnDsl;

/// <summary>A damaged or unexpected data file: names the file and the byte offset where reading failed.</summary>
public sealed class DataFormatException : IOException
{
    public DataFormatException(string path, long offset, string problem, Exception? inner = null)
        : base($"{path}: {problem} (at byte {offset}{(IsGzip(path) ? " of the decompressed data" : "")})", inner)
    {
        FilePath = path;
        Offset = offset;
    }

    public string FilePath { get; }
    public long Offset { get; }

    static bool IsGzip(string path) => path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
}

/// <summary>An IDX array of unsigned bytes (the MNIST file format): its dimensions and its data, row-major.</summary>
public sealed record IdxArray(int[] Dimensions, byte[] Data);

/// <summary>Reads IDX files (type 0x08, unsigned byte), plain or gzip-compressed.</summary>
public static class Idx
{
    /// <summary>Reads a whole IDX file. Throws <see cref="FileNotFoundException"/> or <see cref="DataFormatException"/>.</summary>
    public static IdxArray Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Data file not found: {path}", path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
            if (bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) bytes = Gunzip(path, bytes);
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(path, 0, "the gzip stream is damaged: " + e.Message, e);
        }
        return Parse(path, bytes);
    }

    static byte[] Gunzip(string path, byte[] compressed)
    {
        using var input = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        try
        {
            input.CopyTo(output);
        }
        catch (Exception e) when (e is InvalidDataException || e is EndOfStreamException || e is IOException)
        {
            throw new DataFormatException(path, output.Length, "the gzip stream is damaged or cut short: " + e.Message, e);
        }
        return output.ToArray();
    }

    static IdxArray Parse(string path, byte[] bytes)
    {
        if (bytes.Length < 4) throw new DataFormatException(path, bytes.Length, "the file ends inside the 4-byte IDX magic number");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new DataFormatException(path, 0, $"not an IDX file (magic number starts {bytes[0]:x2} {bytes[1]:x2}, expected 00 00)");
        if (bytes[2] != 0x08)
            throw new DataFormatException(path, 2, $"IDX element type 0x{bytes[2]:x2} is not supported (expected 0x08, unsigned byte)");
        int rank = bytes[3];
        if (rank < 1 || rank > 4) throw new DataFormatException(path, 3, $"IDX rank {rank} is not supported (expected 1 to 4)");
        int headerLength = 4 + 4 * rank;
        if (bytes.Length < headerLength)
            throw new DataFormatException(path, bytes.Length, $"the file ends inside the header of a rank-{rank} IDX array");
        var dims = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            int offset = 4 + 4 * d;
            uint size = (uint)(bytes[offset] << 24 | bytes[offset + 1] << 16 | bytes[offset + 2] << 8 | bytes[offset + 3]);
            if (size == 0 || size > int.MaxValue) throw new DataFormatException(path, offset, $"dimension {d} has size {size}");
            dims[d] = (int)size;
            count *= size;
        }
        long available = bytes.Length - headerLength;
        if (available < count)
            throw new DataFormatException(path, bytes.Length,
                $"the file is truncated: the header declares {count} bytes of data, {available} are present");
        if (available > count)
            throw new DataFormatException(path, headerLength + count, $"{available - count} unexpected bytes after the declared data");
        var data = new byte[count];
        Array.Copy(bytes, headerLength, data, 0, count);
        return new IdxArray(dims, data);
    }
}

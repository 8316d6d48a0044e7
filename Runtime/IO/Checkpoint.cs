using System;
using System.IO;
using System.Text;

namespace BnnDsl;

/// <summary>
/// The checkpoint file: a header that says which network and declaration wrote it, then the network's state dict in
/// TorchSharp's format. Layout: the signature <c>BNNDSL-CHECKPOINT</c> (17 ASCII bytes), a format version (int32,
/// little-endian), the network's class name and its declaration summary (length-prefixed UTF-8, as
/// <see cref="BinaryWriter.Write(string)"/> writes them), then the state dict. Reading checks each part and names the
/// file, the byte offset and what is wrong.
/// </summary>
public static class Checkpoint
{
    static readonly byte[] Signature = Encoding.ASCII.GetBytes("BNNDSL-CHECKPOINT");
    const int Version = 1;

    /// <summary>What a checkpoint's header records.</summary>
    /// <param name="Network">The class name of the network that wrote it.</param>
    /// <param name="Declaration">Its <see cref="BayesianModule.Summary"/>: layers, posterior, priors and likelihood.</param>
    public sealed record Header(string Network, string Declaration);

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> atomically (a temporary file, then renamed).</summary>
    public static void Write(BayesianModule model, string path) => AtomicFile.Replace(path, temporary =>
    {
        using var stream = File.Create(temporary);
        using var writer = new BinaryWriter(stream, Encoding.UTF8);
        writer.Write(Signature);
        writer.Write(Version);
        writer.Write(model.GetType().Name);
        writer.Write(model.Summary);
        model.save(writer);
    });

    /// <summary>Reads the header of the checkpoint at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, or its header is truncated or damaged.</exception>
    public static Header ReadHeader(string path)
    {
        using var reader = Open(path);
        return ReadHeader(reader, path);
    }

    /// <summary>
    /// Reads the checkpoint at <paramref name="path"/> into <paramref name="model"/>, which must be the network and
    /// declaration that wrote it.
    /// </summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a checkpoint, was written by another network or declaration, or is truncated or damaged.
    /// </exception>
    public static void Read(BayesianModule model, string path)
    {
        using var reader = Open(path);
        var header = ReadHeader(reader, path);
        string network = model.GetType().Name;
        if (header.Network != network || header.Declaration != model.Summary)
            throw new InvalidDataException(
                $"'{path}' was written by {header.Network} ({header.Declaration}), not by {network} ({model.Summary}): " +
                "load it into the network that wrote it.");
        long offset = reader.BaseStream.Position;
        try
        {
            model.load(reader, strict: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException(
                $"'{path}' is truncated or damaged in its parameters, which start at byte {offset} of {reader.BaseStream.Length}: {e.Message}", e);
        }
        if (reader.BaseStream.Position != reader.BaseStream.Length)
            throw new InvalidDataException(
                $"'{path}' has {reader.BaseStream.Length - reader.BaseStream.Position} bytes after its parameters, which end at byte {reader.BaseStream.Position}: the file is damaged.");
    }

    static BinaryReader Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No checkpoint at '{path}'.", path);
        return new BinaryReader(File.OpenRead(path), Encoding.UTF8);
    }

    static Header ReadHeader(BinaryReader reader, string path)
    {
        long length = reader.BaseStream.Length;
        var signature = reader.ReadBytes(Signature.Length);
        if (!signature.AsSpan().SequenceEqual(Signature))
            throw new InvalidDataException(signature.Length < Signature.Length && Signature.AsSpan().StartsWith(signature)
                ? $"'{path}' is truncated at byte {length}, inside the checkpoint's signature."
                : $"'{path}' is not a BnnDsl checkpoint: its first bytes are not the signature 'BNNDSL-CHECKPOINT'.");
        try
        {
            int version = reader.ReadInt32();
            if (version != Version)
                throw new InvalidDataException($"'{path}' is a checkpoint of format version {version}, which this build cannot read (it reads version {Version}).");
            return new Header(reader.ReadString(), reader.ReadString());
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"'{path}' is truncated at byte {length}, inside the checkpoint's header.");
        }
        catch (FormatException)
        {
            // A damaged length prefix of the header's strings (not a 7-bit encoded integer).
            throw new InvalidDataException($"'{path}' is damaged in the checkpoint's header, before byte {reader.BaseStream.Position}.");
        }
    }
}

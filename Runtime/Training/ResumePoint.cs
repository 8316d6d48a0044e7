using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// A point a training run can resume from, written after an epoch: the model's checkpoint (with a sampler's samples)
/// and the session's state — the epochs run, the minibatch order's and the global generator's states (which key every
/// posterior draw and a sampler's noise), and the step rule's tensors and counters. Files are named by the epoch and
/// <c>resume.json</c>, written last and atomically, names the complete point; a run killed at any moment leaves the
/// last complete one. Resumed, the run continues bit for bit as if it had not stopped (same thread count).
/// </summary>
static class ResumePoint
{
    const string Index = "resume.json", Magic = "BNNDSL-RESUME-1";

    sealed record Pointer(int Epoch, string Checkpoint, string State, long Examples, int BatchSize, int Epochs, long Seed);

    public static void Save(string directory, BayesianModule model, IResumableStepRule rule, Generator order, int epoch,
        long examples, FitOptions options)
    {
        Directory.CreateDirectory(directory);
        string checkpoint = $"epoch{epoch}.bin", state = $"epoch{epoch}.state";
        model.Save(Path.Combine(directory, checkpoint));
        AtomicFile.Replace(Path.Combine(directory, state), temporary =>
        {
            using var writer = new BinaryWriter(File.Create(temporary), Encoding.UTF8);
            writer.Write(Magic);
            writer.Write(rule.Counters.Length);
            foreach (var counter in rule.Counters) writer.Write(counter);
            var tensors = new List<Tensor> { order.get_state(), random.get_rng_state() };
            tensors.AddRange(rule.State);
            writer.Write(tensors.Count);
            foreach (var tensor in tensors) WriteTensor(writer, tensor);
        });
        var pointer = new Pointer(epoch, checkpoint, state, examples, options.BatchSize, options.Epochs, options.Seed);
        AtomicFile.Replace(Path.Combine(directory, Index), temporary => File.WriteAllText(temporary, JsonSerializer.Serialize(pointer)));
        // The point before this one is no longer needed.
        foreach (var file in Directory.GetFiles(directory, "epoch*.*"))
            if (Path.GetFileName(file) is var name && !name.StartsWith($"epoch{epoch}.", StringComparison.Ordinal)) File.Delete(file);
    }

    /// <summary>
    /// Restores the point in <paramref name="directory"/>, if there is one, and returns its epoch (0: none). A point of
    /// another run (other data size, batch, epochs or seed) fails naming the file.
    /// </summary>
    public static int Restore(string directory, BayesianModule model, IResumableStepRule rule, Generator order, long examples, FitOptions options)
    {
        string indexPath = Path.Combine(directory, Index);
        if (!File.Exists(indexPath)) return 0;
        var pointer = JsonSerializer.Deserialize<Pointer>(File.ReadAllText(indexPath)) ?? throw new InvalidDataException($"{indexPath}: empty.");
        if (pointer.Examples != examples || pointer.BatchSize != options.BatchSize || pointer.Epochs != options.Epochs || pointer.Seed != options.Seed)
            throw new InvalidDataException($"{indexPath}: a point of another run ({pointer.Examples} examples, batch {pointer.BatchSize}, " +
                $"{pointer.Epochs} epochs, seed {pointer.Seed}); this one has {examples}, {options.BatchSize}, {options.Epochs}, {options.Seed}.");
        model.Load(Path.Combine(directory, pointer.Checkpoint));
        foreach (var store in model.modules().OfType<SampleStore>()) store.OwnSpill(); // the point's files stay as written
        string statePath = Path.Combine(directory, pointer.State);
        using var reader = new BinaryReader(File.OpenRead(statePath), Encoding.UTF8);
        try
        {
            if (reader.ReadString() != Magic) throw new InvalidDataException($"{statePath}: not a resume state.");
            rule.Counters = Enumerable.Range(0, reader.ReadInt32()).Select(_ => reader.ReadInt64()).ToArray();
            int count = reader.ReadInt32();
            if (count != 2 + rule.State.Count)
                throw new InvalidDataException($"{statePath}: holds {count - 2} step-rule tensors; this rule keeps {rule.State.Count}.");
            using (var orderState = ReadTensor(reader, statePath)) order.set_state(orderState);
            using (var globalState = ReadTensor(reader, statePath)) random.set_rng_state(globalState);
            using var noGrad = no_grad();
            foreach (var tensor in rule.State)
            {
                using var stored = ReadTensor(reader, statePath);
                if (!stored.shape.SequenceEqual(tensor.shape)) throw new InvalidDataException($"{statePath}: a step-rule tensor has another shape.");
                tensor.copy_(stored);
            }
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{statePath}: truncated at offset {reader.BaseStream.Position}.");
        }
        return pointer.Epoch;
    }

    static void WriteTensor(BinaryWriter writer, Tensor tensor)
    {
        using var cpu = tensor.detach().cpu().contiguous();
        writer.Write((int)cpu.dtype);
        writer.Write(cpu.dim());
        foreach (var size in cpu.shape) writer.Write(size);
        var bytes = cpu.bytes;
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    static Tensor ReadTensor(BinaryReader reader, string path)
    {
        var dtype = (ScalarType)reader.ReadInt32();
        var shape = Enumerable.Range(0, (int)reader.ReadInt64()).Select(_ => reader.ReadInt64()).ToArray();
        int length = reader.ReadInt32();
        var bytes = reader.ReadBytes(length);
        if (bytes.Length != length) throw new InvalidDataException($"{path}: truncated at offset {reader.BaseStream.Position}.");
        var tensor = empty(shape, dtype);
        bytes.CopyTo(tensor.bytes);
        return tensor;
    }
}

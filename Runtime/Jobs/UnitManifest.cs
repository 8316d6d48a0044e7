using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace BnnDsl;

/// <summary>
/// What a finished unit leaves beside its results, written last and atomically: the hash of the plan it ran, its index
/// and seed, its wall time, and its result files (relative to its directory). A unit without a manifest has not
/// finished, whatever files it left; a unit that is run again overwrites both.
/// </summary>
public sealed record UnitManifest(string PlanHash, int Index, long Seed, double Seconds, IReadOnlyList<string> Results)
{
    /// <summary>The manifest's file inside a unit's directory.</summary>
    public const string FileName = "manifest.json";

    /// <summary>Writes the manifest into <paramref name="unitDirectory"/> atomically, after checking that every result is there.</summary>
    public void Write(string unitDirectory)
    {
        foreach (var result in Results)
            if (!File.Exists(Path.Combine(unitDirectory, result)))
                throw new InvalidOperationException($"Unit {Index} names the result '{result}', which it did not write to {unitDirectory}.");
        AtomicFile.Replace(Path.Combine(unitDirectory, FileName), temporary => File.WriteAllText(temporary,
            JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true })));
    }

    /// <summary>Reads the manifest of <paramref name="unitDirectory"/>, or null if the unit has not finished.</summary>
    public static UnitManifest? Read(string unitDirectory)
    {
        string path = Path.Combine(unitDirectory, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<UnitManifest>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: the manifest is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a unit manifest ({e.Message}).", e);
        }
    }

    /// <summary>
    /// The manifests of every unit of <paramref name="plan"/> in <paramref name="runDirectory"/>, in index order. Fails
    /// naming the units that have not finished, and naming a manifest written under another plan.
    /// </summary>
    public static IReadOnlyList<UnitManifest> Collect(string runDirectory, JobPlan plan)
    {
        string hash = plan.Hash;
        var manifests = new List<UnitManifest>();
        var missing = new List<int>();
        foreach (var unit in plan.Units)
        {
            string directory = JobPlan.UnitDirectory(runDirectory, unit.Index);
            var manifest = Read(directory);
            if (manifest is null) { missing.Add(unit.Index); continue; }
            if (manifest.PlanHash != hash)
                throw new InvalidDataException($"{Path.Combine(directory, FileName)}: written under plan {manifest.PlanHash}, not this run's plan {hash}; " +
                    "rerun the unit or gather the run it belongs to.");
            if (manifest.Index != unit.Index || manifest.Seed != unit.Seed)
                throw new InvalidDataException($"{Path.Combine(directory, FileName)}: records unit {manifest.Index} with seed {manifest.Seed}, " +
                    $"but this is unit {unit.Index} with seed {unit.Seed}.");
            manifests.Add(manifest);
        }
        if (missing.Count > 0)
            throw new IncompleteRunException(missing, $"{runDirectory}: {missing.Count} of {plan.Units.Count} units have not finished: " +
                $"{Ranges(missing)}. Run them ('bnndsl work {runDirectory} --index i') and gather again.");
        return manifests;
    }

    /// <summary>Indices as compact ranges: 0–3, 7, 9–10.</summary>
    internal static string Ranges(IReadOnlyList<int> sorted)
    {
        var parts = new List<string>();
        for (int i = 0; i < sorted.Count;)
        {
            int j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            parts.Add(j == i ? $"{sorted[i]}" : $"{sorted[i]}–{sorted[j]}");
            i = j + 1;
        }
        return string.Join(", ", parts);
    }
}

/// <summary>Thrown by <see cref="UnitManifest.Collect"/> when units have not finished; names them.</summary>
public sealed class IncompleteRunException(IReadOnlyList<int> missing, string message) : Exception(message)
{
    /// <summary>The indices of the units without a manifest.</summary>
    public IReadOnlyList<int> Missing { get; } = missing;
}

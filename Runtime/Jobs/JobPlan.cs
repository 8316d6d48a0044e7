using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace BnnDsl;

/// <summary>
/// One unit of a <see cref="JobPlan"/>: its index (the scheduler's array index), its seed, and the settings in which it
/// differs from the plan's (a sweep point's method or learning rate, a Laplace shard's slice of the data).
/// </summary>
public sealed record JobUnit(int Index, long Seed, IReadOnlyDictionary<string, string> Settings);

/// <summary>
/// Independent units of work and what they share, written once (<c>plan.json</c>) and read by every worker: ensemble
/// members, SG-MCMC chains, sweep points or Laplace curvature shards. Any scheduler that hands each process an index
/// — Kubernetes Indexed Jobs, Slurm job arrays, <see cref="LocalWorkers"/> — runs a plan; the product schedules
/// nothing itself. Each unit writes its results and then its <see cref="UnitManifest"/>, stamped with <see cref="Hash"/>,
/// so that a gather can refuse results of another plan.
/// </summary>
public sealed record JobPlan
{
    /// <summary>The plan's file inside a run directory.</summary>
    public const string FileName = "plan.json";

    /// <summary>What the units are: <c>members</c>, <c>chains</c>, <c>sweep</c> or <c>laplace-shards</c> (the tool interprets it).</summary>
    public required string Kind { get; init; }

    /// <summary>The seed every unit's own seed comes from (<see cref="UnitSeed"/>).</summary>
    public required long MasterSeed { get; init; }

    /// <summary>The settings every unit shares (the training options, the data's location), by name.</summary>
    public required IReadOnlyDictionary<string, string> Settings { get; init; }

    /// <summary>The units, indexed 0 … n − 1 in order.</summary>
    public required IReadOnlyList<JobUnit> Units { get; init; }

    /// <summary>
    /// Unit <paramref name="index"/>'s seed: the master seed plus the index, as <see cref="Ensemble.MemberSeed"/>
    /// seeds members, so a plan's members are the members one process trains with the same seed.
    /// </summary>
    public static long UnitSeed(long masterSeed, int index) => Ensemble.MemberSeed(masterSeed, index);

    /// <summary>A plan of <paramref name="count"/> units that differ only in their seeds.</summary>
    public static JobPlan Seeded(string kind, long masterSeed, IReadOnlyDictionary<string, string> settings, int count)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "A plan has at least one unit.");
        return new JobPlan
        {
            Kind = kind, MasterSeed = masterSeed, Settings = settings,
            Units = Enumerable.Range(0, count).Select(i => new JobUnit(i, UnitSeed(masterSeed, i), new Dictionary<string, string>())).ToArray(),
        };
    }

    /// <summary>Unit <paramref name="index"/>'s settings: the plan's, with the unit's own over them.</summary>
    public IReadOnlyDictionary<string, string> SettingsOf(int index)
    {
        var merged = new SortedDictionary<string, string>(Settings.ToDictionary(p => p.Key, p => p.Value), StringComparer.Ordinal);
        foreach (var (key, value) in Unit(index).Settings) merged[key] = value;
        return merged;
    }

    /// <summary>Unit <paramref name="index"/>; an index outside the plan fails naming its range.</summary>
    public JobUnit Unit(int index) => index >= 0 && index < Units.Count
        ? Units[index]
        : throw new ArgumentOutOfRangeException(nameof(index), index, $"The plan has units 0–{Units.Count - 1}; there is no unit {index}.");

    /// <summary>
    /// The first 16 hex digits of the SHA-256 of the plan's canonical JSON: any change of kind, seed, setting or unit
    /// changes it.
    /// </summary>
    public string Hash => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical()))).ToLowerInvariant()[..16];

    /// <summary>Where unit <paramref name="index"/> writes its results inside <paramref name="runDirectory"/>.</summary>
    public static string UnitDirectory(string runDirectory, int index) =>
        Path.Combine(runDirectory, "units", index.ToString("D4", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Writes <c>plan.json</c> into <paramref name="runDirectory"/> atomically.</summary>
    public void Save(string runDirectory) =>
        AtomicFile.Replace(Path.Combine(runDirectory, FileName), temporary => File.WriteAllText(temporary, Canonical(indented: true)));

    /// <summary>Reads <c>plan.json</c> from <paramref name="runDirectory"/>; a missing or malformed file fails naming it.</summary>
    public static JobPlan Load(string runDirectory)
    {
        string path = Path.Combine(runDirectory, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no plan here; write one with 'bnndsl plan'.", path);
        try
        {
            var stored = JsonSerializer.Deserialize<StoredPlan>(File.ReadAllText(path))
                ?? throw new InvalidDataException($"{path}: the plan is empty.");
            var plan = new JobPlan
            {
                Kind = stored.Kind ?? throw new InvalidDataException($"{path}: the plan names no kind."),
                MasterSeed = stored.MasterSeed,
                Settings = stored.Settings ?? new Dictionary<string, string>(),
                Units = (stored.Units ?? throw new InvalidDataException($"{path}: the plan has no units."))
                    .Select(u => new JobUnit(u.Index, u.Seed, u.Settings ?? new Dictionary<string, string>())).ToArray(),
            };
            for (int i = 0; i < plan.Units.Count; i++)
                if (plan.Units[i].Index != i) throw new InvalidDataException($"{path}: unit {i} is stored with index {plan.Units[i].Index}.");
            return plan;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a plan ({e.Message}).", e);
        }
    }

    /// <summary>The plan as JSON with every dictionary's keys in ordinal order, so that equal plans hash alike.</summary>
    string Canonical(bool indented = false) => JsonSerializer.Serialize(new StoredPlan
    {
        Kind = Kind, MasterSeed = MasterSeed, Settings = Sorted(Settings),
        Units = Units.Select(u => new StoredUnit { Index = u.Index, Seed = u.Seed, Settings = Sorted(u.Settings) }).ToList(),
    }, new JsonSerializerOptions { WriteIndented = indented });

    /// <summary>The settings in ordinal key order (a Dictionary keeps its insertion order when serialised).</summary>
    static Dictionary<string, string> Sorted(IReadOnlyDictionary<string, string> settings) =>
        settings.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value);

    sealed class StoredPlan
    {
        public string? Kind { get; set; }
        public long MasterSeed { get; set; }
        public Dictionary<string, string>? Settings { get; set; }
        public List<StoredUnit>? Units { get; set; }
    }

    sealed class StoredUnit
    {
        public int Index { get; set; }
        public long Seed { get; set; }
        public Dictionary<string, string>? Settings { get; set; }
    }
}

/// <summary>Which unit this process runs: a given index, or the one the scheduler put in the environment.</summary>
public static class JobIndex
{
    /// <summary>The variables schedulers set, in the order they are read: Kubernetes Indexed Jobs, then Slurm job arrays.</summary>
    public static readonly IReadOnlyList<string> Variables = new[] { "JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID" };

    /// <summary>
    /// <paramref name="given"/> if not null, else the first of <see cref="Variables"/> that is set; checked against the
    /// plan's <paramref name="units"/>. <paramref name="environment"/> reads a variable (default: the process's).
    /// </summary>
    public static int Resolve(int? given, int units, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        int index;
        if (given is int explicitIndex) index = explicitIndex;
        else
        {
            var (name, value) = Variables.Select(v => (Name: v, Value: environment(v))).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v.Value));
            if (name is null)
                throw new InvalidOperationException($"No unit index: pass --index, or run under a scheduler that sets {string.Join(" or ", Variables)}.");
            if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out index))
                throw new InvalidOperationException($"{name} is '{value}', not a unit index.");
        }
        if (index < 0 || index >= units) throw new InvalidOperationException($"Unit index {index} is outside the plan's units 0–{units - 1}.");
        return index;
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>
/// A deep ensemble (Lakshminarayanan et al. 2017): members of one declaration, each initialised and trained on its own
/// seed, the predictive the average of theirs (each member's own predictive: one pass for MAP, its draws for a
/// variational family, its kept samples for a sampler). Member k trains with seed <see cref="MemberSeed"/>(seed, k)
/// for its initial weights, minibatch order and noise, and nothing else ties the members: each is an independent job
/// (<see cref="FitMember"/>) that can run wherever its checkpoint is then read from.
/// </summary>
public sealed class Ensemble : IDisposable
{
    readonly Func<BayesianModule> create;
    readonly BayesianModule?[] members;
    readonly Func<long, int, long> memberSeed;

    /// <param name="create">Makes one member with fresh parameters (the generated constructor).</param>
    /// <param name="members">How many members, at least 2.</param>
    /// <param name="memberSeed">Member k's seed from the run's (default <see cref="MemberSeed"/>: the seed plus k).</param>
    public Ensemble(Func<BayesianModule> create, int members, Func<long, int, long>? memberSeed = null)
    {
        this.create = create ?? throw new ArgumentNullException(nameof(create));
        this.memberSeed = memberSeed ?? MemberSeed;
        if (members < 2) throw new ArgumentOutOfRangeException(nameof(members), members, "An ensemble has at least 2 members.");
        this.members = new BayesianModule?[members];
    }

    /// <summary>The number of members.</summary>
    public int Count => members.Length;

    /// <summary>The members trained or loaded so far (null where not yet).</summary>
    public IReadOnlyList<BayesianModule?> Members => members;

    /// <summary>Member k's seed: the run's seed plus k, so member 0 is the single network the same seed trains.</summary>
    public static long MemberSeed(long seed, int member) => seed + member;

    /// <summary>Trains every member in turn (<see cref="FitMember"/>); returns each one's epochs.</summary>
    public IReadOnlyList<IReadOnlyList<EpochSummary>> Fit(LabelledData data, FitOptions options, IProgress<TrainingProgress>? progress = null) =>
        Enumerable.Range(0, Count).Select(k => FitMember(k, data, options, progress)).ToArray();

    /// <summary>
    /// Creates member <paramref name="member"/> from its seed and trains it: the unit of work that may run on any machine.
    /// </summary>
    public IReadOnlyList<EpochSummary> FitMember(int member, LabelledData data, FitOptions options, IProgress<TrainingProgress>? progress = null)
    {
        long seed = memberSeed(options.Seed, member);
        random.manual_seed(seed);
        members[member]?.Dispose();
        var network = members[member] = create();
        return Trainer.Fit(network, data, options with { Seed = seed }, progress);
    }

    /// <summary>The checkpoint path of member <paramref name="member"/> beside <paramref name="path"/>: <c>model.bin</c> → <c>model.member2.bin</c>.</summary>
    public static string MemberPath(string path, int member) =>
        Path.Combine(Path.GetDirectoryName(path) ?? "", $"{Path.GetFileNameWithoutExtension(path)}.member{member}{Path.GetExtension(path)}");

    /// <summary>Saves every member beside <paramref name="path"/> (<see cref="MemberPath"/>).</summary>
    public void Save(string path)
    {
        for (int k = 0; k < Count; k++) (members[k] ?? throw new InvalidOperationException($"Member {k} is not trained.")).Save(MemberPath(path, k));
    }

    /// <summary>Loads every member from beside <paramref name="path"/>; a missing member file fails naming it.</summary>
    public void Load(string path)
    {
        for (int k = 0; k < Count; k++) LoadMember(k, MemberPath(path, k));
    }

    /// <summary>Loads member <paramref name="member"/> from <paramref name="path"/> (a member trained elsewhere); a missing file fails naming it.</summary>
    public void LoadMember(int member, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: the ensemble's member {member} is missing.", path);
        members[member]?.Dispose();
        members[member] = create();
        members[member]!.Load(path);
    }

    /// <summary>
    /// The average of the members' predictives: class probabilities averaged; for regression the mixture's mean and
    /// variance (the mean of the members' variances plus the variance of their means).
    /// </summary>
    public Predictive Predict(Tensor inputs, int samples = 32, int batchSize = 1000)
    {
        var trained = members.Select((m, k) => m ?? throw new InvalidOperationException($"Member {k} is not trained or loaded.")).ToArray();
        Tensor? first = null, second = null;
        bool categorical = trained[0].Likelihood == Likelihood.Categorical;
        int draws = 0;
        foreach (var member in trained)
        {
            using var predictive = member.Predict(inputs, samples, batchSize);
            draws += predictive.Samples;
            if (categorical) first = first is null ? predictive.Probabilities.clone() : first.add_(predictive.Probabilities);
            else
            {
                first = first is null ? predictive.Mean.clone() : first.add_(predictive.Mean);
                var moment = predictive.Variance + predictive.Mean.square();
                second = second is null ? moment : second.add_(moment);
            }
        }
        if (categorical) return Predictive.Categorical(first!.div_(Count), draws);
        var mean = first!.div_(Count);
        return Predictive.Gaussian(mean, second!.div_(Count).sub_(mean.square()).clamp_min_(0), draws);
    }

    public void Dispose()
    {
        foreach (var member in members) member?.Dispose();
    }
}

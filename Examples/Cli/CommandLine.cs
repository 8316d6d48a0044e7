using System;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Linq;

namespace BnnDsl.Examples.Cli;

/// <summary>
/// The command tree of <c>bnndsl</c> on System.CommandLine: <c>train</c> (also what runs without a subcommand, and
/// under its former name <c>fashion</c>), <c>evaluate</c> and <c>toy-regression</c>, each with the options it takes,
/// help (<c>-h</c>), validation that names the option, and shell completion (<c>[suggest]</c>).
/// </summary>
public static class CommandLine
{
    /// <summary>Builds the command tree; each command's action runs <paramref name="run"/> with the parsed options.</summary>
    public static RootCommand Build(Func<Options, int> run)
    {
        var train = new Command("train", "Train a Fashion-MNIST network and judge its uncertainty (the default command).");
        train.Aliases.Add("fashion");
        var evaluate = new Command("evaluate", "Judge a saved model as train does after training: metrics, metrics.json and plots.");
        var toyRegression = new Command("toy-regression", "Fit Blundell et al.'s curve and plot the predictive band.");
        var rotation = new Command("rotation", "Judge saved models on test images rotated through 0-180 degrees: rotation.png and rotation.json.");
        var fiveClasses = new Command("five-classes", "Train on classes 0-4 only; error on them and the entropy AUROC against classes 5-9.");
        var compare = new Command("compare", "The seed's comparison: every method trained on classes 0-4 (or all ten, --experiment digits); one table and entropy CDF plot.");
        var root = new RootCommand("BnnDsl: Bayesian neural networks declared with attributes. Without a command, runs train.");

        foreach (var command in new[] { (Command)root, train })
            Bind(command, "train", run, Network(), Method(), Epochs("20"), Data(), Ood(), Samples(), Seed(), Threads(), Out(),
                TrainSize(), BatchSize(), LearningRate("0.001"), Schedule("cosine; constant for the peer-* rows"), Temperature(), KlWarmUp(), KlWeight());
        Bind(evaluate, "evaluate", run, Model(), Data(), Ood(), Samples(), Seed(), Threads(), Out());
        Bind(toyRegression, "toy-regression", run, ToyMethod(), Epochs("1500"), Seed(), Threads(), Out(), BatchSize(), LearningRate("0.01"),
            Schedule("constant"));
        root.Subcommands.Add(train);
        root.Subcommands.Add(evaluate);
        Bind(rotation, "rotation", run, Models(), AngleStep(), TestSize(), Data(), Samples(), Seed(), Threads(), Out());
        Bind(fiveClasses, "five-classes", run, Network(), Methods(), Epochs("20"), Data(), Samples(), Seed(), Threads(), Out(), TrainSize(),
            BatchSize(), LearningRate("0.001"), Schedule("cosine; constant for the peer-* rows"), KlWarmUp(), KlWeight());
        root.Subcommands.Add(toyRegression);
        root.Subcommands.Add(rotation);
        root.Subcommands.Add(fiveClasses);
        Bind(compare, "compare", run, Network(), Experiment(), CompareMethods(), Epochs("20"), Data(), Ood(), Samples(), Seed(), Threads(), Out(), TrainSize(),
            BatchSize(), AngleStep(), TestSize());
        root.Subcommands.Add(compare);

        var plan = new Command("plan", "Plan independent units (ensemble members, SG-MCMC chains, a sweep, Laplace shards) and write plan.json, job.yaml and job.sbatch into --out.");
        Bind(plan, "plan", run, Network(), Method(), Epochs("20"), Data(), Ood(), Samples(), Seed(), RunOut(), TrainSize(), BatchSize(), LearningRate("0.001"),
            Schedule("cosine; constant for the peer-* rows"), Temperature(), KlWarmUp(), KlWeight(), Count("--members", "Train K ensemble members, one unit each."),
            Count("--chains", "Run K chains of an SG-MCMC method, one unit each."), SweepOption(),
            Count("--shards", "Split the Laplace curvature of --model over K slices of the training data."), ShardModel(),
            WorkerThreads("Threads per worker in job.yaml and job.sbatch (default 1)."));
        var work = new Command("work", "Run one unit of a plan: --index, else JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID (--all: every unfinished one, here).");
        Bind(work, "work", run, RunArgument(), Index(), AllUnits(), Threads(), ResumeEvery());
        var runLocal = new Command("run-local", "Run a plan's unfinished units as local worker processes, --workers at a time.");
        Bind(runLocal, "run-local", run, RunArgument(), Workers(), WorkerThreads("Threads per worker (default: cores / workers)."));
        var gather = new Command("gather", "Combine a plan's finished units into what one run writes: model, metrics.json and plots (a sweep: sweep.md, sweep.json).");
        Bind(gather, "gather", run, RunArgument(), GatherOut(), Threads());
        foreach (var command in new[] { plan, work, runLocal, gather }) root.Subcommands.Add(command);
        return root;
    }

    /// <summary>
    /// Parses <paramref name="args"/> and runs the command. A parse or validation error is one line naming the option,
    /// then a pointer to the help, and exit code 2.
    /// </summary>
    public static int Run(string[] args, Func<Options, int> run)
    {
        var result = Build(run).Parse(args);
        if (result.Errors.Count > 0)
        {
            // One line, whatever the parser's message looks like ("Must be one of:" lists choices on lines of their own).
            var message = string.Join(" ", result.Errors[0].Message.Split('\n', '\t').Select(part => part.Trim()).Where(part => part.Length > 0));
            message = message.Replace("'System.Nullable`1[System.Int32]'", "integer").Replace("'System.Int32'", "integer")
                .Replace("'System.Nullable`1[System.Double]'", "number");
            Console.Error.WriteLine($"error: {message}");
            Console.Error.WriteLine("Run 'bnndsl --help' (or 'bnndsl COMMAND --help') for the options.");
            return 2;
        }
        // Exceptions reach the program, which turns the ones a user can fix into one line (Program.cs).
        return result.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }

    static void Bind(Command command, string job, Func<Options, int> run, params Symbol[] symbols)
    {
        var options = symbols.OfType<Option>().ToArray();
        var runArgument = symbols.OfType<Argument<string>>().SingleOrDefault();
        foreach (var option in options) command.Options.Add(option);
        if (runArgument is not null) command.Arguments.Add(runArgument);
        command.SetAction(result => run(Read(result, job, options) with { Run = runArgument is null ? null : result.GetValue(runArgument) }));
    }

    /// <summary>The options a command was given, defaults for the rest.</summary>
    static Options Read(ParseResult result, string job, Option[] options)
    {
        var parsed = new Options { Job = job };
        foreach (var option in options)
        {
            parsed = option.Name switch
            {
                "--network" => parsed with { Network = result.GetValue((Option<string>)option)! },
                "--method" => parsed with { Method = result.GetValue((Option<string>)option)! },
                "--model" => parsed with { Model = result.GetValue((Option<string>)option) },
                "--models" => parsed with { Models = result.GetValue((Option<string[]>)option) },
                "--methods" => parsed with { Methods = result.GetValue((Option<string>)option)! },
                "--experiment" => parsed with { Experiment = result.GetValue((Option<string>)option)! },
                "--angle-step" => parsed with { AngleStep = result.GetValue((Option<int>)option) },
                "--test-size" => parsed with { TestSize = result.GetValue((Option<int?>)option) },
                "--epochs" => parsed with { Epochs = result.GetValue((Option<int?>)option) },
                "--data" => parsed with { Data = result.GetValue((Option<string>)option) },
                "--ood" => parsed with { Ood = result.GetValue((Option<string>)option) },
                "--samples" => parsed with { Samples = result.GetValue((Option<int>)option) },
                "--seed" => parsed with { Seed = result.GetValue((Option<int>)option) },
                "--threads" when option is Option<int?> perWorker => parsed with { WorkerThreads = result.GetValue(perWorker) },
                "--threads" => parsed with { Threads = result.GetValue((Option<int>)option) },
                "--out" => result.GetValue((Option<string>)option) is { } directory
                    ? parsed with { Out = directory, OutGiven = result.GetResult(option) is { Implicit: false } }
                    : parsed,
                "--members" => parsed with { Members = result.GetValue((Option<int?>)option) },
                "--chains" => parsed with { Chains = result.GetValue((Option<int?>)option) },
                "--shards" => parsed with { Shards = result.GetValue((Option<int?>)option) },
                "--sweep" => parsed with { Sweep = result.GetValue((Option<string>)option) },
                "--index" => parsed with { Index = result.GetValue((Option<int?>)option) },
                "--all" => parsed with { AllUnits = result.GetValue((Option<bool>)option) },
                "--workers" => parsed with { Workers = result.GetValue((Option<int>)option) },
                "--resume-every" => parsed with { ResumeEvery = result.GetValue((Option<double>)option) },
                "--train-size" => parsed with { TrainSize = result.GetValue((Option<int?>)option) },
                "--batch-size" => parsed with { BatchSize = result.GetValue((Option<int>)option) },
                "--lr" => parsed with { LearningRate = result.GetValue((Option<double?>)option) },
                "--temperature" => parsed with { Temperature = result.GetValue((Option<double?>)option) },
                "--kl-warmup" => parsed with { KlWarmUp = result.GetValue((Option<double?>)option) },
                "--kl-weight" => parsed with { KlWeight = result.GetValue((Option<double?>)option) },
                "--schedule" => parsed with { Schedule = result.GetValue((Option<string>)option) is { } name ? Enum.Parse<LearningRateSchedule>(name, ignoreCase: true) : null },
                _ => throw new InvalidOperationException($"No binding for {option.Name}."),
            };
        }
        return parsed;
    }

    static Option<string> Network() => Choice("--network", "mlp",
        "mlp (784-400-400-10 ReLU) or lenet5 (conv 6@5x5 pad 2, pool, conv 16@5x5, pool, 120, 84, 10)", "mlp", "lenet5");

    static Option<string> Method() => Choice("--method", "mean-field",
        "mean-field (the best mean-field declaration), mnf (multiplicative normalising flows), laplace-ll, laplace-ll-kron (last-layer Laplace, full or Kronecker-factored), laplace-diag, laplace-kron (Laplace over all weights), sgld, psgld, sghmc, csghmc (SG-MCMC samplers), dropout (MC dropout), ensemble (five MAP members), mean-field-lu (log-uniform prior), map (baseline), peer-mf, peer-mf-lrt (the peers' setting: Normal(0,1), rho0 = -3; mlp only)",
        "mean-field", "mnf", "laplace-ll", "laplace-ll-kron", "laplace-diag", "laplace-kron", "sgld", "psgld", "sghmc", "csghmc", "dropout", "ensemble", "mean-field-lu", "map", "peer-mf", "peer-mf-lrt");

    static Option<string> ToyMethod() => Choice("--method", "mean-field",
        "mean-field (Bayes by Backprop) or laplace (MAP, then last-layer Laplace with the noise learned)", "mean-field", "laplace");

    static Option<string> Model()
    {
        var option = new Option<string>("--model") { Description = "The checkpoint to judge (out/model.bin after a train run).", Required = true };
        return option;
    }

    static Option<string[]> Models() => new("--models")
    {
        Description = "The checkpoints to judge (each a model.bin the main job wrote), space-separated.",
        Required = true,
        AllowMultipleArgumentsPerToken = true,
    };

    static Option<string> Experiment() => Choice("--experiment", "five-classes",
        "five-classes (train on classes 0-4; the unseen classes 5-9 as outliers), digits (all ten classes; MNIST digits as outliers) "
        + "or rotation (all ten classes; the test images rotated by 90 degrees as outliers, and each row's curve over 0-180 degrees)",
        "five-classes", "digits", "rotation");

    static Option<string> CompareMethods() => new("--methods")
    {
        Description = "Comma-separated rows, as --method names them (default: the seed's rows that are declarable).",
        DefaultValueFactory = _ => Experiments.CompareRows,
    };

    static Option<string> Methods() => new("--methods")
    {
        Description = "Comma-separated methods to train, as --method names them (default map,mean-field,mnf).",
        DefaultValueFactory = _ => "map,mean-field,mnf",
    };

    static Option<int> AngleStep()
    {
        var option = new Option<int>("--angle-step") { Description = "Degrees between the rotations from 0 to 180 (15).", DefaultValueFactory = _ => 15 };
        option.Validators.Add(result =>
        {
            int value = result.GetValueOrDefault<int>();
            if (value < 1 || value > 180) result.AddError($"--angle-step must be between 1 and 180, not {value}.");
        });
        return option;
    }

    static Option<int?> TestSize() => AtLeast(new Option<int?>("--test-size") { Description = "Use the first N test images (2000)." }, 1);

    static Option<int?> Epochs(string byDefault) => AtLeast(new Option<int?>("--epochs") { Description = $"Training epochs (default {byDefault})." }, 0);

    static Option<string> Data() => new("--data")
    {
        Description = "Directory with the Fashion-MNIST IDX files (train-images-idx3-ubyte[.gz], ...); default "
            + "/usr/share/datasets/fashion-mnist if present, else the embedded subset.",
    };

    static Option<string> Ood() => new("--ood")
    {
        Description = "Out-of-distribution set: a directory with ood-images-idx3-ubyte[.gz] and labels, or 'none'; default the embedded 10,000 MNIST digits.",
    };

    static Option<int> Samples() => AtLeast(new Option<int>("--samples")
    {
        Description = "Posterior samples for prediction; more take longer and estimate the entropies better.",
        DefaultValueFactory = _ => 32,
    }, 1);

    static Option<int> Seed() => AtLeast(new Option<int>("--seed")
    {
        Description = "Seed for initialisation, minibatch order and posterior draws.",
        DefaultValueFactory = _ => 1,
    }, 0);

    static Option<int> Threads() => AtLeast(new Option<int>("--threads")
    {
        Description = "libtorch CPU threads (default: all cores).",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    }, 1);

    static Option<string> Out() => new("--out")
    {
        Description = "Where metrics.json, the PNGs and the checkpoint go.",
        DefaultValueFactory = _ => "out",
    };

    static Option<int?> TrainSize() => AtLeast(new Option<int?>("--train-size") { Description = "Use only the first N training examples." }, 1);

    static Option<int> BatchSize() => AtLeast(new Option<int>("--batch-size")
    {
        Description = "Minibatch size.",
        DefaultValueFactory = _ => 128,
    }, 1);

    static Option<double?> Temperature()
    {
        var option = new Option<double?>("--temperature") { Description = "A sampler's temperature T (default: the declaration's; 1 is the posterior, below 1 a cold one)." };
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out double? parsed) && parsed is double value && !(value > 0 && double.IsFinite(value)))
                result.AddError($"--temperature needs a positive number; got '{value.ToString(CultureInfo.InvariantCulture)}'.");
        });
        return option;
    }

    static Argument<string> RunArgument() => new("run") { Description = "The run directory: the --out of 'bnndsl plan'." };

    static Option<int?> Count(string name, string description) => AtLeast(new Option<int?>(name) { Description = description }, 1);

    static Option<string> SweepOption() => new("--sweep")
    {
        Description = "The points of a sweep, every combination of the values: \"method=map,mean-field;seed=1,2,3\" " +
            "(keys: seed, method, lr, epochs, kl-warmup, kl-weight, temperature, batch-size, train-size).",
    };

    static Option<string> ShardModel() => new("--model") { Description = "With --shards: the checkpoint of a Laplace declaration whose weights the curvature is taken at." };

    static Option<int?> WorkerThreads(string description) => AtLeast(new Option<int?>("--threads") { Description = description }, 1);

    static Option<int?> Index() => AtLeast(new Option<int?>("--index") { Description = "The unit to run (0-based); default: JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID." }, 0);

    static Option<bool> AllUnits() => new("--all") { Description = "Run every unfinished unit, one after another, in this process." };

    static Option<double> ResumeEvery()
    {
        var option = new Option<double>("--resume-every")
        {
            Description = "Seconds between a member's or chain's resume points (60): a unit stopped mid-run continues from its last one.",
            DefaultValueFactory = _ => 60,
        };
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out double parsed) && !(parsed >= 0 && double.IsFinite(parsed)))
                result.AddError($"--resume-every needs a non-negative number of seconds; got '{parsed.ToString(CultureInfo.InvariantCulture)}'.");
        });
        return option;
    }

    static Option<int> Workers() => AtLeast(new Option<int>("--workers")
    {
        Description = "Worker processes at once (1).",
        DefaultValueFactory = _ => 1,
    }, 1);

    static Option<string> RunOut() => new("--out")
    {
        Description = "The run directory to create: plan.json, job.yaml, job.sbatch, then the units' results. Put it where every worker sees it.",
        Required = true,
    };

    static Option<string> GatherOut() => new("--out") { Description = "Where the combined model, metrics.json and plots go (default: the run directory)." };

    static Option<double?> KlWeight()
    {
        var option = new Option<double?>("--kl-weight")
        {
            Description = "The KL term's weight beta once warmed up (default 1, the ELBO; below 1 a tempered posterior that fits the data more tightly).",
        };
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out double? parsed) && parsed is double value && !(value > 0 && double.IsFinite(value)))
                result.AddError($"--kl-weight needs a positive number; got '{value.ToString(CultureInfo.InvariantCulture)}'.");
        });
        return option;
    }

    static Option<double?> KlWarmUp()
    {
        var option = new Option<double?>("--kl-warmup")
        {
            Description = "Epochs over which the KL term's weight rises from 0 to its full value (1, or --kl-weight) (default: half the epochs for mean-field-lu, else 0).",
        };
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out double? parsed) && parsed is double value && !(value >= 0 && double.IsFinite(value)))
                result.AddError($"--kl-warmup needs a non-negative number of epochs; got '{value.ToString(CultureInfo.InvariantCulture)}'.");
        });
        return option;
    }

    static Option<double?> LearningRate(string byDefault)
    {
        var option = new Option<double?>("--lr") { Description = $"Adam's learning rate (default {byDefault}), or a sampler's step size η0 (default: the declaration's)." };
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out double? parsed) && parsed is double value && !(value > 0 && double.IsFinite(value)))
                result.AddError($"--lr needs a positive number; got '{value.ToString(CultureInfo.InvariantCulture)}'.");
        });
        return option;
    }

    static Option<string> Schedule(string byDefault) => Choice("--schedule", null,
        $"constant or cosine: the learning rate's course over the epochs (default {byDefault}).", "constant", "cosine");

    static Option<string> Choice(string name, string? byDefault, string description, params string[] choices)
    {
        var option = new Option<string>(name) { Description = description };
        if (byDefault is not null) option.DefaultValueFactory = _ => byDefault;
        option.AcceptOnlyFromAmong(choices);
        return option;
    }

    static Option<T> AtLeast<T>(Option<T> option, int minimum)
    {
        option.Validators.Add(result =>
        {
            if (!TryGetValue(result, out T? value)) return; // a value that is not a number: the parser's own error says so
            if (value is int number && number < minimum)
                result.AddError($"{option.Name} needs an integer ≥ {minimum}; got '{number}'.");
        });
        return option;
    }

    /// <summary>The option's value, or false when its text did not convert (the parser reports that itself).</summary>
    static bool TryGetValue<T>(OptionResult result, out T? value)
    {
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default;
            return false;
        }
    }
}

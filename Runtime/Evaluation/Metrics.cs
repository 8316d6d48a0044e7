using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace BnnDsl;

/// <summary>How well a classification predictive fits held-out labels (docs/METHODS.md §7). Natural logs throughout.</summary>
/// <param name="Count">Number of examples.</param>
/// <param name="Error">Fraction misclassified by the arg-max class.</param>
/// <param name="Nll">−mean log p(y | x, D), with p floored at 1e-12.</param>
/// <param name="Brier">mean Σ_c (p_c − [y = c])² (the multi-class Brier score, in [0, 2]).</param>
/// <param name="Ece">Expected calibration error over 15 equal-width confidence bins (lo, hi].</param>
/// <param name="MeanEntropy">mean −Σ_c p_c log p_c.</param>
public sealed record ClassificationMetrics(int Count, double Error, double Nll, double Brier, double Ece, double MeanEntropy);

/// <summary>One confidence bin of a reliability diagram.</summary>
public sealed record ReliabilityBin(double Lower, double Upper, int Count, double Accuracy, double Confidence);

/// <summary>How well a regression predictive fits held-out targets.</summary>
/// <param name="Count">Number of examples.</param>
/// <param name="Rmse">Root mean squared error of the predictive mean.</param>
/// <param name="Nll">−mean log N(y; mean, variance) (the moment-matched Gaussian of the predictive).</param>
/// <param name="Coverage95">Fraction of targets inside mean ± 1.96 σ.</param>
public sealed record RegressionMetrics(int Count, double Rmse, double Nll, double Coverage95);

/// <summary>Uncertainty metrics. Computed in double precision on the CPU, from the predictive's probabilities.</summary>
public static class Metrics
{
    public const int CalibrationBins = 15;
    const double ProbabilityFloor = 1e-12;

    /// <summary>Error, NLL, Brier, ECE and mean entropy of a categorical predictive against integer labels.</summary>
    public static ClassificationMetrics Evaluate(Predictive predictive, Tensor labels) =>
        Evaluate(ToRows(predictive.Probabilities), ToLabels(labels));

    /// <summary>The same metrics from plain arrays: <paramref name="probabilities"/>[n][c], <paramref name="labels"/>[n].</summary>
    public static ClassificationMetrics Evaluate(double[][] probabilities, long[] labels)
    {
        if (probabilities.Length != labels.Length)
            throw new ArgumentException($"{probabilities.Length} predictions but {labels.Length} labels.");
        if (labels.Length == 0) throw new ArgumentException("No examples to evaluate.");
        int n = labels.Length, errors = 0;
        double nll = 0, brier = 0, entropy = 0;
        for (int i = 0; i < n; i++)
        {
            var p = probabilities[i];
            long y = labels[i];
            if (y < 0 || y >= p.Length) throw new ArgumentException($"Label {y} of example {i} is outside 0..{p.Length - 1}.");
            if (ArgMax(p) != y) errors++;
            nll -= Math.Log(Math.Max(p[y], ProbabilityFloor));
            for (int c = 0; c < p.Length; c++)
            {
                double target = c == y ? 1 : 0;
                brier += (p[c] - target) * (p[c] - target);
            }
            entropy += Entropy(p);
        }
        return new ClassificationMetrics(n, (double)errors / n, nll / n, brier / n, Ece(probabilities, labels), entropy / n);
    }

    /// <summary>Σ_b (|B_b| / n) |acc(B_b) − conf(B_b)| over <see cref="CalibrationBins"/> equal-width bins.</summary>
    public static double Ece(double[][] probabilities, long[] labels) =>
        Reliability(probabilities, labels).Sum(b => (double)b.Count / labels.Length * Math.Abs(b.Accuracy - b.Confidence));

    /// <summary>
    /// Accuracy and mean confidence per bin of the top-class confidence; bin b holds confidences in
    /// (b/B, (b+1)/B], the first bin also 0. Empty bins report zero accuracy and confidence.
    /// </summary>
    public static ReliabilityBin[] Reliability(double[][] probabilities, long[] labels, int bins = CalibrationBins)
    {
        var count = new int[bins];
        var correct = new double[bins];
        var confidence = new double[bins];
        for (int i = 0; i < labels.Length; i++)
        {
            var p = probabilities[i];
            int top = ArgMax(p);
            int b = Math.Clamp((int)Math.Ceiling(p[top] * bins) - 1, 0, bins - 1);
            count[b]++;
            confidence[b] += p[top];
            if (top == labels[i]) correct[b]++;
        }
        return Enumerable.Range(0, bins).Select(b => new ReliabilityBin(
            (double)b / bins, (double)(b + 1) / bins, count[b],
            count[b] == 0 ? 0 : correct[b] / count[b],
            count[b] == 0 ? 0 : confidence[b] / count[b])).ToArray();
    }

    /// <summary>−Σ_c p_c log p_c (zero terms contribute zero).</summary>
    public static double Entropy(double[] p)
    {
        double h = 0;
        foreach (double pc in p) if (pc > 0) h -= pc * Math.Log(pc);
        return h;
    }

    /// <summary>The predictive entropy of each row of a categorical predictive.</summary>
    public static double[] Entropies(Predictive predictive) => ToRows(predictive.Probabilities).Select(Entropy).ToArray();

    /// <summary>
    /// Area under the ROC curve for telling <paramref name="positives"/> from <paramref name="negatives"/> by a
    /// score, higher meaning positive: the Mann–Whitney probability P(score⁺ &gt; score⁻) + ½ P(tie).
    /// For OOD detection: scores are predictive entropies, positives the out-of-distribution inputs.
    /// </summary>
    public static double Auroc(IReadOnlyList<double> negatives, IReadOnlyList<double> positives)
    {
        if (negatives.Count == 0 || positives.Count == 0) throw new ArgumentException("AUROC needs at least one example of each kind.");
        var all = negatives.Select(s => (Score: s, Positive: false)).Concat(positives.Select(s => (Score: s, Positive: true)))
            .OrderBy(e => e.Score).ToArray();
        // Sum of the (tie-averaged) ranks of the positives.
        double rankSum = 0;
        for (int i = 0; i < all.Length;)
        {
            int j = i;
            while (j < all.Length && all[j].Score == all[i].Score) j++;
            double averageRank = (i + 1 + j) / 2.0; // ranks i+1 .. j
            for (int k = i; k < j; k++) if (all[k].Positive) rankSum += averageRank;
            i = j;
        }
        double nPos = positives.Count, nNeg = negatives.Count;
        return (rankSum - nPos * (nPos + 1) / 2) / (nPos * nNeg);
    }

    /// <summary>RMSE, Gaussian NLL and 95% coverage of a regression predictive with one output.</summary>
    public static RegressionMetrics EvaluateRegression(Predictive predictive, Tensor targets)
    {
        var mean = ToRows(predictive.Mean).Select(r => r[0]).ToArray();
        var variance = ToRows(predictive.Variance).Select(r => r[0]).ToArray();
        var y = targets.to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        int n = y.Length;
        double squared = 0, nll = 0;
        int inside = 0;
        for (int i = 0; i < n; i++)
        {
            double residual = y[i] - mean[i];
            squared += residual * residual;
            nll += 0.5 * (Math.Log(2 * Math.PI * variance[i]) + residual * residual / variance[i]);
            if (Math.Abs(residual) <= 1.96 * Math.Sqrt(variance[i])) inside++;
        }
        return new RegressionMetrics(n, Math.Sqrt(squared / n), nll / n, (double)inside / n);
    }

    static int ArgMax(double[] p)
    {
        int best = 0;
        for (int c = 1; c < p.Length; c++) if (p[c] > p[best]) best = c;
        return best;
    }

    /// <summary>A [n, c] tensor as n rows of doubles, on the CPU.</summary>
    public static double[][] ToRows(Tensor matrix)
    {
        using var cpu = matrix.detach().to_type(ScalarType.Float64).cpu();
        long n = cpu.shape[0], c = cpu.shape[1];
        var flat = cpu.data<double>().ToArray();
        var rows = new double[n][];
        for (long i = 0; i < n; i++)
        {
            rows[i] = new double[c];
            Array.Copy(flat, i * c, rows[i], 0, c);
        }
        return rows;
    }

    /// <summary>A label tensor as int64 values, on the CPU.</summary>
    public static long[] ToLabels(Tensor labels)
    {
        using var cpu = labels.detach().to_type(ScalarType.Int64).cpu();
        return cpu.data<long>().ToArray();
    }
}

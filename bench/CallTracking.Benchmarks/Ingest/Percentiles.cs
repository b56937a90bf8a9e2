using System.Globalization;

namespace CallTracking.IngestBench;

/// <summary>Nearest-rank percentiles of millisecond samples, printed in one line.</summary>
public static class Percentiles
{
    public static double Of(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    public static string Line(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToArray();
        return string.Create(CultureInfo.InvariantCulture,
            $"p50 {Of(sorted, 0.50):F2}  p95 {Of(sorted, 0.95):F2}  p99 {Of(sorted, 0.99):F2}  p99.9 {Of(sorted, 0.999):F2}  max {(sorted.Length == 0 ? double.NaN : sorted[^1]):F2} ms");
    }
}

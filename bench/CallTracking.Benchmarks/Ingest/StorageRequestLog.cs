using System.Globalization;
using System.Text.RegularExpressions;
using CallTracking.Tests.Infrastructure;

namespace CallTracking.IngestBench;

/// <summary>
/// Counts storage requests from Azurite's access log (one line per request; the fixture runs it without
/// <c>--silent</c>), so a phase can say how many Table and Queue operations each webhook cost. A transaction counts
/// as one request.
/// </summary>
public sealed partial class StorageRequestLog(AzuriteFixture azurite)
{
    public string[] Snapshot() => azurite.Output.Split('\n');

    public static string Describe(string[] before, string[] after, int webhooks)
    {
        var counts = after.Skip(before.Length - 1)
            .Select(line => Request().Match(line))
            .Where(m => m.Success)
            .GroupBy(m => $"{m.Groups[1].Value} {Name(m.Groups[2].Value)}")
            .OrderByDescending(g => g.Count())
            .Select(g => (Name: g.Key, Count: g.Count()))
            .ToList();
        string Per(int n) => (n / (double)Math.Max(1, webhooks)).ToString("F2", CultureInfo.InvariantCulture);
        return $"storage requests per webhook: {Per(counts.Sum(c => c.Count))} ({string.Join(", ", counts.Select(c => $"{c.Name} {Per(c.Count)}"))})";
    }

    // Azurite logs an entity-group transaction once, as the HTTP request it is (POST /$batch), not per action: one
    // request, named for what it is (its table is only in the body).
    private static string Name(string path) => path == "$batch" ? "$batch (entity-group transaction)" : path;

    [GeneratedRegex("\"([A-Z]+) /devstoreaccount1/([^/?( \"]+)")]
    private static partial Regex Request();
}

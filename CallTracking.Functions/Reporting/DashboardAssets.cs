using System.Collections.Frozen;

namespace CallTracking.Functions.Reporting;

/// <summary>The dashboard page and its vendored chart library, embedded in the assembly (no CDN, no files to deploy).</summary>
public sealed class DashboardAssets
{
    public const string PageName = "dashboard.html";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [PageName] = "text/html; charset=utf-8",
        ["chart.umd.min.js"] = "text/javascript; charset=utf-8",
        ["chart.js.LICENSE.md"] = "text/markdown; charset=utf-8",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private readonly FrozenDictionary<string, byte[]> _assets = Load();

    /// <summary>The asset's bytes and content type; null for a name that is not an asset.</summary>
    public (byte[] Content, string ContentType)? Get(string name) =>
        _assets.TryGetValue(name, out var bytes) ? (bytes, ContentTypes[name]) : null;

    private static FrozenDictionary<string, byte[]> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var assets = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in ContentTypes.Keys)
        {
            using var stream = assembly.GetManifestResourceStream("Dashboard/" + name)
                ?? throw new InvalidOperationException($"Embedded dashboard asset {name} is missing.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            assets[name] = copy.ToArray();
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }
}

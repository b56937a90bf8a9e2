using System.Globalization;
using System.Text;
using System.Text.Json;
using CallTracking.Tests.Infrastructure;

namespace CallTracking.Tests.Deployment;

/// <summary>
/// The Function app's app settings as infra/main.bicep deploys them, without Azure: `bicep snapshot` evaluates the
/// template (modules, conditions, parameter defaults) for a given parameter set and leaves only values known at
/// deployment time (resource properties such as endpoints and ids) as ARM expressions.
/// </summary>
public static class BicepAppSettings
{
    public static string MainTemplate => RepositoryPaths.Combine("infra", "main.bicep");

    /// <summary>Setting name -> ARM value (a literal, or an expression in brackets for a deployment-time value).</summary>
    public static async Task<IReadOnlyDictionary<string, string>> SnapshotAsync(IReadOnlyDictionary<string, string> parameters) =>
        AppSettingsOf(await TemplateSnapshotAsync(parameters.ToDictionary(p => p.Key, object (p) => p.Value)));

    /// <summary>
    /// The template evaluated for a parameter set (values: string, int or bool): its predicted resources and outputs.
    /// Throws, with the CLI's diagnostics, when the parameters are rejected (a missing required one, a value not allowed).
    /// </summary>
    public static async Task<JsonElement> TemplateSnapshotAsync(IReadOnlyDictionary<string, object> parameters)
    {
        var directory = Directory.CreateTempSubdirectory("bicep-snapshot-").FullName;
        try
        {
            var paramFile = Path.Combine(directory, "coverage.bicepparam");
            // `using` only accepts a relative path.
            var template = Path.GetRelativePath(directory, MainTemplate).Replace('\\', '/');
            var text = new StringBuilder($"using '{template}'\n");
            foreach (var (name, value) in parameters)
            {
                text.Append($"param {name} = {BicepLiteral(value)}\n");
            }

            await File.WriteAllTextAsync(paramFile, text.ToString());
            var (exitCode, output, errors) = await BicepCli.RunAsync(
                directory, "snapshot", paramFile, "--mode", "overwrite",
                "--subscription-id", "00000000-0000-0000-0000-000000000000", "--location", (string)parameters["location"]);
            var snapshotFile = Path.Combine(directory, "coverage.snapshot.json");
            if (exitCode != 0 || !File.Exists(snapshotFile))
            {
                throw new InvalidOperationException($"bicep snapshot failed ({exitCode}):\n{output}\n{errors}");
            }

            using var snapshot = JsonDocument.Parse(await File.ReadAllTextAsync(snapshotFile));
            var diagnostics = snapshot.RootElement.GetProperty("diagnostics").EnumerateArray().Select(d => d.ToString()).ToList();
            if (diagnostics.Count > 0)
            {
                throw new InvalidOperationException("bicep snapshot reported diagnostics:\n" + string.Join('\n', diagnostics));
            }

            return snapshot.RootElement.Clone();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The one predicted resource of a type (e.g. Microsoft.Web/sites) in a <see cref="TemplateSnapshotAsync"/> result.</summary>
    public static JsonElement SingleResource(JsonElement snapshot, string type) =>
        snapshot.GetProperty("predictedResources").EnumerateArray().Single(r => r.GetProperty("type").GetString() == type);

    private static string BicepLiteral(object value) => value switch
    {
        string s => $"'{s.Replace("\\", "\\\\").Replace("'", "\\'").Replace("${", "\\${")}'",
        int i => i.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => throw new NotSupportedException($"No Bicep literal for {value.GetType()}"),
    };

    private static Dictionary<string, string> AppSettingsOf(JsonElement snapshot)
    {
        var appSettings = snapshot.GetProperty("predictedResources").EnumerateArray()
            .Where(r => r.GetProperty("type").GetString() == "Microsoft.Web/sites/config"
                        && r.GetProperty("name").GetString()!.EndsWith("/appsettings", StringComparison.Ordinal))
            .ToList();
        if (appSettings.Count != 1)
        {
            throw new InvalidOperationException($"Expected one Microsoft.Web/sites/config 'appsettings' resource, found {appSettings.Count}");
        }

        var properties = appSettings[0].GetProperty("properties");
        if (properties.ValueKind != JsonValueKind.Object)
        {
            // Happens when the set of setting names depends on something only known while deploying
            // (e.g. a condition on a @secure() parameter): then nobody can tell offline what the app gets.
            throw new InvalidOperationException($"The app settings' names cannot be evaluated offline: {properties}");
        }

        return properties.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);
    }
}

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
    public static async Task<IReadOnlyDictionary<string, string>> SnapshotAsync(IReadOnlyDictionary<string, string> parameters)
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
                text.Append($"param {name} = '{value.Replace("\\", "\\\\").Replace("'", "\\'").Replace("${", "\\${")}'\n");
            }

            await File.WriteAllTextAsync(paramFile, text.ToString());
            var (exitCode, output, errors) = await BicepCli.RunAsync(
                directory, "snapshot", paramFile, "--mode", "overwrite",
                "--subscription-id", "00000000-0000-0000-0000-000000000000", "--location", parameters["location"]);
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

            return AppSettingsOf(snapshot.RootElement);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

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

using System.Collections;
using System.Text.Json;

namespace CallTracking.LocalHost.Configuration;

/// <summary>
/// The app settings the worker runs with, built the way <c>func start</c> builds them: local.settings.json
/// <c>Values</c>, overridden by the process environment, overridden by explicit settings.
/// </summary>
public sealed class LocalSettings
{
    public const string DefaultFileName = "local.settings.json";

    private LocalSettings(IReadOnlyDictionary<string, string> values, string? source)
    {
        Values = values;
        Source = source;
    }

    /// <summary>Settings that the worker sees as environment variables (the file and explicit ones only).</summary>
    public IReadOnlyDictionary<string, string> Values { get; }

    /// <summary>The settings file that was read, if any.</summary>
    public string? Source { get; }

    /// <summary>A setting as the app sees it: explicit and file values, unless the process environment has it.</summary>
    public string? this[string name] => Values.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name);

    public static LocalSettings Load(LocalHostOptions options) => Load(options.SettingsFile, options.AppDirectory, options.Settings);

    public static LocalSettings Load(string? settingsFile, string appDirectory, IEnumerable<KeyValuePair<string, string?>> explicitSettings)
    {
        var file = settingsFile ?? FindSettingsFile(appDirectory);
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (file is not null)
        {
            var environment = Environment.GetEnvironmentVariables();
            foreach (var (name, value) in ReadValues(file))
            {
                // Process environment variables override the file, as with Core Tools. Empty values are left out:
                // Core Tools sets them with Environment.SetEnvironmentVariable, for which empty means "unset".
                if (value.Length > 0 && !ContainsKey(environment, name))
                {
                    values[name] = value;
                }
            }
        }

        foreach (var (name, value) in explicitSettings)
        {
            if (string.IsNullOrEmpty(value))
            {
                values.Remove(name);
            }
            else
            {
                values[name] = value;
            }
        }

        return new LocalSettings(values, file);
    }

    /// <summary>local.settings.json in the current folder, then the app folder, then the committed example in either.</summary>
    public static string? FindSettingsFile(string appDirectory)
    {
        string[] folders = [Directory.GetCurrentDirectory(), appDirectory];
        foreach (var name in new[] { DefaultFileName, DefaultFileName + ".example" })
        {
            foreach (var folder in folders)
            {
                var path = Path.Combine(folder, name);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }

        return null;
    }

    public static IEnumerable<KeyValuePair<string, string>> ReadValues(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        if (!document.RootElement.TryGetProperty("Values", out var valuesElement) || valuesElement.ValueKind != JsonValueKind.Object)
        {
            return [];
        }

        return valuesElement.EnumerateObject()
            .Select(p => KeyValuePair.Create(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() ?? "" : p.Value.GetRawText()))
            .ToList();
    }

    private static bool ContainsKey(IDictionary environment, string name)
    {
        foreach (DictionaryEntry entry in environment)
        {
            if (string.Equals((string)entry.Key, name, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

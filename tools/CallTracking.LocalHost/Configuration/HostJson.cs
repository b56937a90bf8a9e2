using System.Globalization;
using System.Text.Json;

namespace CallTracking.LocalHost.Configuration;

/// <summary>host.json's <c>extensions.queues</c>, with the Functions host's defaults.</summary>
public sealed record QueueOptions
{
    public int BatchSize { get; init; } = 16;

    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.Zero;

    public int MaxDequeueCount { get; init; } = 5;

    /// <summary>The host's default is one minute, but two seconds in Development (which a local run is).</summary>
    public TimeSpan MaxPollingInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>True for base64 message bodies (the default), false for <c>"messageEncoding": "none"</c>.</summary>
    public bool Base64 { get; init; } = true;
}

/// <summary>The parts of host.json the local host honours.</summary>
public sealed record HostJson
{
    /// <summary>App settings named like this override host.json, as on the real host.</summary>
    public const string OverridePrefix = "AzureFunctionsJobHost__";

    public string RoutePrefix { get; init; } = "api";

    public QueueOptions Queues { get; init; } = new();

    public TimeSpan FunctionTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public static HostJson Load(string appDirectory, LocalSettings settings)
    {
        var path = Path.Combine(appDirectory, "host.json");
        var json = File.Exists(path) ? File.ReadAllText(path) : "{}";
        return Parse(json, name => settings[OverridePrefix + name]);
    }

    /// <summary>Parses host.json; <paramref name="overrideFor"/> returns a setting for a path like <c>extensions__queues__batchSize</c>.</summary>
    public static HostJson Parse(string json, Func<string, string?>? overrideFor = null)
    {
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        var root = document.RootElement;
        string? Read(string path)
        {
            if (overrideFor?.Invoke(path) is { } overridden)
            {
                return overridden;
            }

            var element = root;
            foreach (var part in path.Split("__"))
            {
                if (element.ValueKind != JsonValueKind.Object || !element.TryGetPropertyIgnoreCase(part, out element))
                {
                    return null;
                }
            }

            return element.ValueKind switch
            {
                JsonValueKind.String => element.GetString(),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                _ => element.GetRawText(),
            };
        }

        var defaults = new QueueOptions();
        var queues = new QueueOptions
        {
            BatchSize = Math.Clamp(ReadInt(Read("extensions__queues__batchSize")) ?? defaults.BatchSize, 1, 32),
            VisibilityTimeout = ReadTimeSpan(Read("extensions__queues__visibilityTimeout")) ?? defaults.VisibilityTimeout,
            MaxDequeueCount = Math.Max(1, ReadInt(Read("extensions__queues__maxDequeueCount")) ?? defaults.MaxDequeueCount),
            MaxPollingInterval = Max(ReadTimeSpan(Read("extensions__queues__maxPollingInterval")) ?? defaults.MaxPollingInterval,
                TimeSpan.FromMilliseconds(100)),
            Base64 = !string.Equals(Read("extensions__queues__messageEncoding"), "none", StringComparison.OrdinalIgnoreCase),
        };

        return new HostJson
        {
            RoutePrefix = (Read("extensions__http__routePrefix") ?? "api").Trim('/'),
            Queues = queues,
            FunctionTimeout = ReadTimeSpan(Read("functionTimeout")) ?? TimeSpan.FromMinutes(5),
        };
    }

    private static int? ReadInt(string? value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result) ? result : null;

    private static TimeSpan? ReadTimeSpan(string? value) =>
        TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var result) ? result : null;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}

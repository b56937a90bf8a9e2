using System.Text.Json;
using System.Text.RegularExpressions;
using CallTracking.LocalHost.Configuration;
using CallTracking.LocalHost.Rpc;

namespace CallTracking.LocalHost.Functions;

public enum AuthLevel
{
    Anonymous,
    User,
    Function,
    System,
    Admin,
}

/// <summary>An HTTP trigger: where it is served and with which methods (null = any method).</summary>
public sealed record HttpTrigger(string ParameterName, string Route, IReadOnlyList<string>? Methods, AuthLevel AuthLevel);

/// <summary>A queue trigger: the queue it pumps and how its parameter wants the message.</summary>
public sealed record QueueTrigger(string ParameterName, string QueueName, string Connection, bool IsBinary);

/// <summary>An output binding; <see cref="Name"/> is <c>$return</c> or the property of a multi-output class.</summary>
public sealed record OutputBinding(string Name, string Type, string? QueueName, string? Connection)
{
    public const string ReturnName = "$return";

    public bool IsHttp => string.Equals(Type, "http", StringComparison.OrdinalIgnoreCase);

    public bool IsQueue => string.Equals(Type, "queue", StringComparison.OrdinalIgnoreCase);
}

/// <summary>One function as the worker described it, with the parts of its raw bindings the host needs.</summary>
public sealed record FunctionDescriptor(
    string Name,
    string FunctionId,
    string? TriggerType,
    HttpTrigger? Http,
    QueueTrigger? Queue,
    IReadOnlyList<OutputBinding> Outputs)
{
    /// <summary>The output that carries the HTTP response, if the function has one.</summary>
    public OutputBinding? HttpOutput { get; } = Outputs.FirstOrDefault(o => o.IsHttp);

    public IReadOnlyList<OutputBinding> QueueOutputs { get; } = Outputs.Where(o => o.IsQueue).ToArray();
}

/// <summary>
/// Reads function metadata from the worker. Routes, methods, auth levels and queue names exist only in the
/// <c>raw_bindings</c> JSON strings (the typed <c>bindings</c> map carries just type and direction).
/// </summary>
public static partial class FunctionCatalog
{
    public const string DefaultConnection = "AzureWebJobsStorage";

    /// <param name="resolveSetting">Resolves <c>%name%</c> binding expressions (app settings).</param>
    public static FunctionDescriptor Parse(RpcFunctionMetadata metadata, Func<string, string?>? resolveSetting = null)
    {
        string? triggerType = null;
        HttpTrigger? http = null;
        QueueTrigger? queue = null;
        var outputs = new List<OutputBinding>();

        foreach (var raw in metadata.RawBindings)
        {
            using var document = JsonDocument.Parse(raw);
            var binding = document.RootElement;
            var name = GetString(binding, "name") ?? "";
            var type = GetString(binding, "type") ?? "";
            var direction = GetString(binding, "direction") ?? "in";

            if (type.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase))
            {
                triggerType = type;
                if (string.Equals(type, "httpTrigger", StringComparison.OrdinalIgnoreCase))
                {
                    // The host neither resolves %setting% in a route nor keeps a blank one (ScriptHost.ValidateHttpFunction).
                    var route = GetString(binding, "route");
                    http = new HttpTrigger(
                        name,
                        string.IsNullOrWhiteSpace(route) ? metadata.Name : route,
                        GetMethods(binding),
                        ParseAuthLevel(GetString(binding, "authLevel")));
                }
                else if (string.Equals(type, "queueTrigger", StringComparison.OrdinalIgnoreCase))
                {
                    queue = new QueueTrigger(
                        name,
                        Resolve(GetString(binding, "queueName"), resolveSetting) ?? throw new InvalidOperationException(
                            $"Function '{metadata.Name}': queue trigger without a queueName"),
                        GetString(binding, "connection") is { Length: > 0 } c ? c : DefaultConnection,
                        string.Equals(GetString(binding, "dataType"), "binary", StringComparison.OrdinalIgnoreCase));
                }
            }
            else if (IsOut(direction))
            {
                outputs.Add(new OutputBinding(
                    name,
                    type,
                    Resolve(GetString(binding, "queueName"), resolveSetting),
                    GetString(binding, "connection") is { Length: > 0 } c ? c : DefaultConnection));
            }
        }

        return new FunctionDescriptor(metadata.Name, metadata.FunctionId, triggerType, http, queue, outputs);
    }

    public static AuthLevel ParseAuthLevel(string? value) =>
        Enum.TryParse<AuthLevel>(value, ignoreCase: true, out var level) && Enum.IsDefined(level) ? level : AuthLevel.Function;

    private static IReadOnlyList<string>? GetMethods(JsonElement binding)
    {
        if (!binding.TryGetPropertyIgnoreCase("methods", out var methods) || methods.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var list = methods.EnumerateArray()
            .Select(m => m.GetString())
            .Where(m => !string.IsNullOrWhiteSpace(m))
            .Select(m => m!.ToUpperInvariant())
            .Distinct()
            .ToArray();
        return list.Length == 0 ? null : list;
    }

    private static bool IsOut(string direction) =>
        direction.Equals("out", StringComparison.OrdinalIgnoreCase) || direction.Equals("inout", StringComparison.OrdinalIgnoreCase)
        || direction == "1" || direction == "2";

    /// <summary>Replaces <c>%setting%</c> with the app setting's value, as the host does for binding expressions.</summary>
    private static string? Resolve(string? value, Func<string, string?>? resolveSetting)
    {
        if (value is null || resolveSetting is null || !value.Contains('%', StringComparison.Ordinal))
        {
            return value;
        }

        return SettingExpression().Replace(value, m => resolveSetting(m.Groups[1].Value)
            ?? throw new InvalidOperationException($"Binding expression '{m.Value}' names an app setting that is not set"));
    }

    private static string? GetString(JsonElement element, string name) =>
        element.TryGetPropertyIgnoreCase(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Null => null,
                _ => value.GetRawText(),
            }
            : null;

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingExpression();
}

using System.Text.Json;
using System.Text.RegularExpressions;
using CallTracking.LocalHost.Configuration;
using CallTracking.LocalHost.Rpc;

namespace CallTracking.LocalHost.Functions;

/// <summary>A function the host refused: it is logged, and neither loaded into the worker, served, nor pumped.</summary>
public sealed record FunctionError(string FunctionName, string Message)
{
    /// <summary>The real host's log line (ScriptHostLoggerExtension.FunctionError, event 402).</summary>
    public const string LogTemplate = "The '{FunctionName}' function is in error: {ErrorMessage}";

    public override string ToString() => $"The '{FunctionName}' function is in error: {Message}";
}

/// <summary>The worker's functions after the host's checks: those that load, and those in error.</summary>
public sealed record FunctionIndex(IReadOnlyList<RpcFunctionMetadata> Functions, IReadOnlyList<FunctionError> Errors);

/// <summary>
/// The checks by which the Functions host puts one function in error while the others load, with its messages word
/// for word. Read from Azure/azure-functions-host 89dc438 (4.1037), src/WebJobs.Script/; each rule names its source.
/// A function fails on its first broken rule, in the host's order.
/// </summary>
public static partial class HostFunctionRules
{
    public static FunctionIndex Index(IEnumerable<RpcFunctionMetadata> functions)
    {
        var loaded = new List<RpcFunctionMetadata>();
        var errors = new List<FunctionError>();
        var httpFunctions = new List<(string Name, HttpRoute Route)>();

        // Host/FunctionMetadataManager.cs LoadFunctionMetadata sorts by name before ScriptHost validates, so of two
        // conflicting routes the first by name is served and the other is in error.
        foreach (var function in functions.OrderBy(f => f.Name, StringComparer.OrdinalIgnoreCase))
        {
            var bindings = function.RawBindings.Select(Binding.Parse).ToArray();
            var error = ValidateMetadata(function.Name, bindings) ?? ValidateFunction(function.Name, bindings, httpFunctions);
            if (error is null)
            {
                loaded.Add(function);
            }
            else
            {
                errors.Add(new FunctionError(function.Name, error));
            }
        }

        return new FunctionIndex(loaded, errors);
    }

    /// <summary>
    /// Host/WorkerFunctionMetadataProvider.cs ValidateMetadata and ValidateBindings (names from Utility.cs ValidateName
    /// and ValidateBinding), then Description/FunctionDescriptorProvider.cs ValidateFunction (a single trigger).
    /// </summary>
    private static string? ValidateMetadata(string name, IReadOnlyList<Binding> bindings)
    {
        if (!FunctionName().IsMatch(name))
        {
            return $"'{name}' is not a valid function name.";
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var binding in bindings)
        {
            if (binding.Name is null || !BindingName().IsMatch(binding.Name))
            {
                return $"The binding name {binding.Name} is invalid. Please assign a valid name to the binding.";
            }

            if (binding.IsReturn && binding.Direction != Direction.Out)
            {
                return "$return bindings must specify a direction of 'out'.";
            }

            if (!names.Add(binding.Name))
            {
                return $"Multiple bindings with name '{binding.Name}' discovered. Binding names must be unique.";
            }
        }

        if (bindings.Count == 0)
        {
            return "At least one binding must be declared.";
        }

        return bindings.Count(b => b.IsTrigger) switch
        {
            0 => "No trigger binding specified. A function must have a trigger input binding.",
            1 => null,
            _ => "Multiple trigger bindings defined. A function can only have a single trigger binding.",
        };
    }

    /// <summary>Host/ScriptHost.cs ValidateFunction, ValidateHttpFunction and HttpRoutesConflict.</summary>
    private static string? ValidateFunction(string name, IReadOnlyList<Binding> bindings, List<(string Name, HttpRoute Route)> httpFunctions)
    {
        var trigger = bindings.Single(b => b.IsTrigger);
        if (trigger.Is("httpTrigger"))
        {
            var template = trigger.GetString("route");
            var route = new HttpRoute(string.IsNullOrWhiteSpace(template) ? name : template, trigger.GetMethods()); // no route: the name

            // Keeps clear of the host's own /admin/… API and /runtime/webhooks/…: tested on the route without the
            // routePrefix, as a string prefix (so "administration" too).
            var path = route.Template.Trim('/').ToLowerInvariant();
            if (path.StartsWith("admin", StringComparison.Ordinal) || path.StartsWith("runtime", StringComparison.Ordinal))
            {
                return "The specified route conflicts with one or more built in routes.";
            }

            foreach (var other in httpFunctions)
            {
                if (route.ConflictsWith(other.Route))
                {
                    return $"The route specified conflicts with the route defined by function '{other.Name}'.";
                }
            }

            // The host's dictionary of HTTP functions compares names case-sensitively.
            if (httpFunctions.Any(f => string.Equals(f.Name, name, StringComparison.Ordinal)))
            {
                return $"The function or proxy name '{name}' must be unique within the function app.";
            }

            httpFunctions.Add((name, route));
        }

        // Checked on Flex Consumption only, which is where this app runs (infra/modules/functionapp.bicep); "legacy" is a
        // blob trigger not sourced from Event Grid (Extensions/FunctionMetadataExtensions.cs IsLegacyBlobTriggerFunction).
        if (trigger.Is("blobTrigger") && !string.Equals(trigger.GetString("source"), "EventGrid", StringComparison.OrdinalIgnoreCase))
        {
            return $"The Flex Consumption SKU only supports EventGrid as the source for BlobTrigger functions. Please update function '{name}' to use EventGrid. For more information see https://aka.ms/blob-trigger-eg.";
        }

        return null;
    }

    /// <summary>An HTTP trigger's route as the host compares it: the template unresolved, methods as written (null or empty = all).</summary>
    private sealed record HttpRoute(string Template, IReadOnlyList<string>? Methods)
    {
        // Same template (not equivalent templates: {id} and {name} differ) and a common method, compared ordinally
        // as the host's Intersect does.
        public bool ConflictsWith(HttpRoute other) =>
            string.Equals(Template.Trim('/'), other.Template.Trim('/'), StringComparison.OrdinalIgnoreCase)
            && (Methods is not { Count: > 0 } || other.Methods is not { Count: > 0 } || Methods.Intersect(other.Methods, StringComparer.Ordinal).Any());
    }

    private enum Direction
    {
        In,
        Out,
        InOut,
    }

    /// <summary>One raw binding as the host's BindingMetadata reads it (property names in any case).</summary>
    private sealed record Binding(JsonElement Raw)
    {
        public string? Name => GetString("name");

        public string? Type => GetString("type");

        public Direction Direction => GetString("direction")?.ToLowerInvariant() switch
        {
            "out" or "1" => Direction.Out,
            "inout" or "2" => Direction.InOut,
            _ => Direction.In,
        };

        public bool IsReturn => string.Equals(Name, OutputBinding.ReturnName, StringComparison.OrdinalIgnoreCase);

        // FunctionMetadata.InputBindings (direction other than out) whose type ends in "trigger" (BindingMetadata.IsTrigger).
        public bool IsTrigger => Direction != Direction.Out && Type?.EndsWith("trigger", StringComparison.OrdinalIgnoreCase) == true;

        public static Binding Parse(string raw)
        {
            using var document = JsonDocument.Parse(raw);
            return new Binding(document.RootElement.Clone());
        }

        public bool Is(string type) => string.Equals(Type, type, StringComparison.OrdinalIgnoreCase);

        public string? GetString(string name) =>
            Raw.TryGetPropertyIgnoreCase(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        public IReadOnlyList<string>? GetMethods() =>
            Raw.TryGetPropertyIgnoreCase("methods", out var methods) && methods.ValueKind == JsonValueKind.Array
                ? methods.EnumerateArray().Select(m => m.ToString()).ToArray()
                : null;
    }

    // Utility.cs FunctionNameValidationRegex: a letter, then up to 127 letters, digits, '_' or '-'; not "host".
    [GeneratedRegex(@"^[a-z][a-z0-9_\-]{0,127}$(?<!^host$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex FunctionName();

    // Utility.cs BindingNameValidationRegex: a letter then up to 127 letters or digits, or exactly "$return".
    [GeneratedRegex(@"^([a-zA-Z][a-zA-Z0-9]{0,127}|\$return)$")]
    private static partial Regex BindingName();
}

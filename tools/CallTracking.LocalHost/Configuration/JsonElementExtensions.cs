using System.Text.Json;

namespace CallTracking.LocalHost.Configuration;

/// <summary>host.json and functions.metadata name their properties in any case, as the Functions host reads them.</summary>
internal static class JsonElementExtensions
{
    public static bool TryGetPropertyIgnoreCase(this JsonElement element, string name, out JsonElement value)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        value = default;
        return false;
    }
}

using System.Globalization;
using System.Text.Json;

namespace CallTracking.Functions.Enrichment;

/// <summary>
/// Tolerant reads from provider responses: a field may be missing, null, a string where a number is
/// documented (Number Insight prices), or a string where an object is documented (NI <c>roaming</c>).
/// </summary>
internal static class JsonFields
{
    public static JsonElement? Object(this JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object
            ? value
            : null;

    public static string? String(this JsonElement? element, string name)
    {
        if (element is not { ValueKind: JsonValueKind.Object } obj || !obj.TryGetProperty(name, out var value))
        {
            return null;
        }

        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
        return string.IsNullOrWhiteSpace(text) ? null : text.Trim();
    }

    public static int? Int(this JsonElement? element, string name) =>
        int.TryParse(element.String(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    public static decimal? Decimal(this JsonElement? element, string name) =>
        decimal.TryParse(element.String(name), NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value : null;
}

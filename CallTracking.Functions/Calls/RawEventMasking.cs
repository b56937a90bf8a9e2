using System.Text.Json;
using System.Text.Json.Nodes;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Calls;

/// <summary>
/// Raw webhook bodies are kept for recomputation, but nothing recomputes the caller's number from them (the ledger
/// row has it), so they are stored with the caller's side masked (<see cref="E164.Mask"/>): <c>from</c> of an
/// inbound leg, <c>to</c> of an outbound one (an agent, or a caller called back), both when the payload has no
/// direction. Our own tracking number (<c>to</c> of an inbound leg) stays readable.
/// </summary>
public static class RawEventMasking
{
    public static string Mask(string body, VonageEvent e)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return body; // the parser accepted it, so this does not happen; keep it rather than lose it
        }

        if (node is not JsonObject root)
        {
            return body;
        }

        var changed = false;
        if (e.Direction != "outbound")
        {
            changed |= MaskField(root, "from");
        }

        if (e.Direction != "inbound")
        {
            changed |= MaskField(root, "to");
        }

        return changed ? root.ToJsonString() : body;
    }

    private static bool MaskField(JsonObject root, string name)
    {
        if (root[name] is not JsonValue value || !value.TryGetValue<string>(out var text) || !text.Any(char.IsAsciiDigit))
        {
            return false;
        }

        root[name] = E164.Mask(text);
        return true;
    }
}

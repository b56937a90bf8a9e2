using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CallTracking.Functions.Common;
using CallTracking.Functions.Processing;

namespace CallTracking.Functions.Forwarding;

/// <summary>
/// Values every sink derives the same way from a processed call, all deterministic so that a retry sends
/// exactly what the first attempt sent (analytics deduplicate on them).
/// </summary>
public static class CallFacts
{
    public const string EventName = "Inbound Call";

    /// <summary>The analytics user: the caller's E.164 number, or one anonymous id per withheld call.</summary>
    public static string UserId(ProcessedCall call) => call.CallerNumber ?? "withheld-" + call.CallId;

    public static bool IsWithheld(ProcessedCall call) => call.CallerNumber is null;

    /// <summary>
    /// A deterministic id for one kind of message about one call: 32 hex characters of SHA-256
    /// (Mixpanel's <c>$insert_id</c> allows at most 36 bytes of alphanumerics and '-').
    /// </summary>
    public static string MessageId(string callId, string purpose)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(purpose + "|" + callId), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    public static string Iso(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The caller's country: enrichment's answer, else the number's own prefix.</summary>
    public static string? CallerCountry(ProcessedCall call) =>
        call.CallerCountry ?? (call.CallerNumber is { } number ? E164.RegionOf(number) : null);
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CallTracking.Functions.Forwarding;

/// <summary>
/// <c>X-CallTracking-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "&lt;t&gt;.&lt;body&gt;"&gt;</c>: the
/// timestamp is signed with the body so a receiver can refuse old replays; README shows the receiving side.
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "X-CallTracking-Signature";

    public const string DeliveryHeader = "X-CallTracking-Delivery";

    public static string Create(string secret, long unixSeconds, string body)
    {
        var t = unixSeconds.ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(t + "." + body));
        return $"t={t},v1={Convert.ToHexStringLower(mac)}";
    }

    /// <summary>The receiver's check (also used by our tests): signature matches and is at most <paramref name="tolerance"/> old.</summary>
    public static bool Verify(string secret, string? header, string body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrEmpty(header))
        {
            return false;
        }

        string? t = null;
        string? v1 = null;
        foreach (var part in header.Split(','))
        {
            var (key, value) = part.IndexOf('=', StringComparison.Ordinal) is var i and > 0 ? (part[..i].Trim(), part[(i + 1)..].Trim()) : ("", "");
            if (key == "t")
            {
                t = value;
            }
            else if (key == "v1")
            {
                v1 = value;
            }
        }

        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || v1 is null
            || (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > tolerance)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Create(secret, seconds, body)[(("t=" + t + ",v1=").Length)..]);
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(v1.ToLowerInvariant()));
    }
}

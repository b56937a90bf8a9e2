using System.Security.Cryptography;
using System.Text;
using CallTracking.LocalHost.Functions;
using Microsoft.AspNetCore.Http;

namespace CallTracking.LocalHost.Http;

/// <summary>
/// Function and admin keys. <c>func start</c> does not enforce them locally, and neither does this host unless
/// asked to (<c>--require-keys</c>): then <c>function</c> level needs the function or master key and <c>admin</c>
/// level the master key, passed as <c>?code=</c> or <c>x-functions-key</c>, as in Azure.
/// </summary>
public sealed class FunctionKeys(bool required, string functionKey, string masterKey)
{
    public bool Required { get; } = required;

    public string FunctionKey { get; } = functionKey;

    public string MasterKey { get; } = masterKey;

    public static FunctionKeys Create(bool required, Func<string, string?> setting) => new(
        required,
        setting("LocalHost__FunctionKey") is { Length: > 0 } f ? f : NewKey(),
        setting("LocalHost__MasterKey") is { Length: > 0 } m ? m : NewKey());

    public bool IsAuthorized(HttpRequest request, AuthLevel level)
    {
        if (!Required || level is AuthLevel.Anonymous or AuthLevel.User)
        {
            return true;
        }

        var presented = request.Headers.TryGetValue("x-functions-key", out var header) ? header.ToString()
            : request.Query.TryGetValue("code", out var code) ? code.ToString()
            : null;
        if (presented is null)
        {
            return false;
        }

        return Matches(presented, MasterKey) || (level == AuthLevel.Function && Matches(presented, FunctionKey));
    }

    private static bool Matches(string presented, string key) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(key));

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(30)).Replace('+', '-').Replace('/', '_');
}

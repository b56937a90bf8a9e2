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

    /// <summary>
    /// As the host's <c>AuthUtility.PrincipalHasAuthLevelClaim</c> (azure-functions-host,
    /// src/WebJobs.Script.WebHost/Security/Authorization/AuthUtility.cs): the master key grants admin level, which
    /// passes every level; any other key passes only its own level. So <c>admin</c>, <c>system</c> and <c>user</c>
    /// functions need the master key here (this host has no system keys and no App Service authentication).
    /// </summary>
    public bool IsAuthorized(HttpRequest request, AuthLevel level)
    {
        if (!Required || level == AuthLevel.Anonymous)
        {
            return true;
        }

        var granted = LevelOf(PresentedKey(request));
        return granted == AuthLevel.Admin || granted == level;
    }

    /// <summary>
    /// As the host's <c>AuthenticationLevelHandler.GetAuthorizationKeyInfoAsync</c>: the header, when present, wins
    /// over <c>?code=</c>, and only its first value counts.
    /// </summary>
    private static string? PresentedKey(HttpRequest request) =>
        request.Headers.TryGetValue("x-functions-key", out var header) ? header.FirstOrDefault()
        : request.Query.TryGetValue("code", out var code) ? code.FirstOrDefault()
        : null;

    /// <summary>As the host's <c>SecretManager.GetAuthorizationLevelAsync</c>: the master key first, then the function key.</summary>
    private AuthLevel? LevelOf(string? key) =>
        string.IsNullOrEmpty(key) ? null
        : Matches(key, MasterKey) ? AuthLevel.Admin
        : Matches(key, FunctionKey) ? AuthLevel.Function
        : null;

    private static bool Matches(string presented, string key) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(key));

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(30)).Replace('+', '-').Replace('/', '_');
}

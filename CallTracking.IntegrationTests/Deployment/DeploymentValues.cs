using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace CallTracking.Tests.Deployment;

/// <summary>
/// Turns the ARM values of app settings into what the app would read in Azure: literals as they are; values only
/// known at deployment time (endpoints, ids, host names) as realistic placeholders; Key Vault references as the
/// secret the platform resolves them to. An expression with no rule here fails loudly instead of guessing.
/// </summary>
public static partial class DeploymentValues
{
    public const string KeyVaultReferencePrefix = "@Microsoft.KeyVault(";

    private static readonly Lazy<string> PrivateKeyPem = new(() =>
    {
        using var rsa = RSA.Create(2048);
        return rsa.ExportPkcs8PrivateKeyPem();
    });

    public static bool IsExpression(string armValue) => armValue.StartsWith('[') && !armValue.StartsWith("[[", StringComparison.Ordinal);

    /// <summary>Setting name -> the value the app reads (Key Vault references resolved to placeholder secrets).</summary>
    public static Dictionary<string, string> AsAppSees(IReadOnlyDictionary<string, string> armSettings) =>
        armSettings.ToDictionary(s => s.Key, s => AsAppSees(s.Key, s.Value), StringComparer.Ordinal);

    public static string AsAppSees(string setting, string armValue)
    {
        var value = Evaluate(setting, armValue);
        return value.StartsWith(KeyVaultReferencePrefix, StringComparison.Ordinal) ? PlaceholderSecret(setting) : value;
    }

    /// <summary>The ARM value with deployment-time parts replaced by placeholders.</summary>
    public static string Evaluate(string setting, string armValue)
    {
        if (!IsExpression(armValue))
        {
            return armValue.StartsWith("[[", StringComparison.Ordinal) ? armValue[1..] : armValue;
        }

        var expression = armValue[1..^1].Trim();
        var format = FormatCall().Match(expression);
        if (!format.Success)
        {
            return Placeholder(setting, expression);
        }

        var arguments = SplitArguments(format.Groups["args"].Value);
        var template = Unquote(arguments[0]);
        var values = arguments.Skip(1).Select(a => IsQuoted(a) ? Unquote(a) : Placeholder(setting, a)).ToArray<object>();
        return string.Format(System.Globalization.CultureInfo.InvariantCulture, template, values);
    }

    private static string Placeholder(string setting, string expression)
    {
        var endpoint = StorageEndpoint().Match(expression);
        if (endpoint.Success)
        {
            return $"https://stplaceholder.{endpoint.Groups[1].Value}.core.windows.net/";
        }

        return expression switch
        {
            _ when Ends(expression, ".clientId", ".principalId", ".tenantId") => "6f1c7e55-2b0e-4c1e-9a51-0d4f1f0c2a11",
            _ when Ends(expression, ".ConnectionString") =>
                "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://placeholder.in.applicationinsights.azure.com/",
            _ when Ends(expression, ".defaultHostName") => "func-placeholder.azurewebsites.net",
            _ when Ends(expression, ".vaultUri", ".outputs.uri.value") => "https://kv-placeholder.vault.azure.net/",
            _ => throw new NotSupportedException(
                $"App setting '{setting}' has a deployment-time value with no placeholder rule: [{expression}]. " +
                $"Add a rule to {nameof(DeploymentValues)}."),
        };
    }

    private static string PlaceholderSecret(string setting) =>
        setting.EndsWith("PrivateKey", StringComparison.OrdinalIgnoreCase)
            ? PrivateKeyPem.Value
            // Long enough for any HMAC key-size rule (HS256 wants at least 256 bits).
            : $"{setting}-placeholder-{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(setting)))}";

    private static bool Ends(string expression, params string[] suffixes) =>
        suffixes.Any(s => expression.EndsWith(s, StringComparison.Ordinal));

    private static bool IsQuoted(string argument) => argument.Length >= 2 && argument[0] == '\'' && argument[^1] == '\'';

    private static string Unquote(string argument) =>
        IsQuoted(argument) ? argument[1..^1].Replace("''", "'", StringComparison.Ordinal) : throw new NotSupportedException($"Not a string literal: {argument}");

    /// <summary>Splits "a, f(b, c), 'd,e'" at the top-level commas.</summary>
    private static List<string> SplitArguments(string arguments)
    {
        var result = new List<string>();
        var depth = 0;
        var quoted = false;
        var start = 0;
        for (var i = 0; i < arguments.Length; i++)
        {
            switch (arguments[i])
            {
                case '\'':
                    quoted = !quoted; // '' inside a literal toggles twice: still quoted
                    break;
                case '(' or '[' when !quoted:
                    depth++;
                    break;
                case ')' or ']' when !quoted:
                    depth--;
                    break;
                case ',' when !quoted && depth == 0:
                    result.Add(arguments[start..i].Trim());
                    start = i + 1;
                    break;
            }
        }

        result.Add(arguments[start..].Trim());
        return result;
    }

    [GeneratedRegex(@"^format\((?<args>.*)\)$", RegexOptions.Singleline)]
    private static partial Regex FormatCall();

    [GeneratedRegex(@"\.primaryEndpoints\.(blob|queue|table|file|dfs|web)$")]
    private static partial Regex StorageEndpoint();
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Common;

/// <summary>
/// In Azure, secrets reach the app as Key Vault references (<c>@Microsoft.KeyVault(SecretUri=...)</c>). When the
/// platform cannot resolve one (the secret was never set, or access is missing) it leaves the reference text as the
/// setting's value. That text must never be used as a credential: such settings are treated as unset, so an optional
/// feature stays off and a required one fails start-up validation by name, and a warning names them at start-up.
/// </summary>
public static class UnresolvedKeyVaultReferences
{
    public const string Prefix = "@Microsoft.KeyVault(";

    /// <summary>Hides unresolved Key Vault references in the builder's configuration; returns the affected keys.</summary>
    public static IReadOnlyList<string> IgnoreUnresolvedKeyVaultReferences(this IHostApplicationBuilder builder)
    {
        var unresolved = builder.Configuration.AsEnumerable()
            .Where(setting => setting.Value?.TrimStart().StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) == true)
            .Select(setting => setting.Key)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (unresolved.Count == 0)
        {
            return unresolved;
        }

        // A later source wins; a null value there makes the key read as unset.
        builder.Configuration.AddInMemoryCollection(unresolved.Select(key => new KeyValuePair<string, string?>(key, null)));
        builder.Services.AddHostedService(sp => new Warning(unresolved, sp.GetRequiredService<ILogger<Warning>>()));
        return unresolved;
    }

    internal sealed class Warning(IReadOnlyList<string> keys, ILogger<Warning> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            foreach (var key in keys)
            {
                logger.LogWarning(
                    "App setting {Setting} is a Key Vault reference the platform could not resolve (secret not set, or no access); it is treated as unset",
                    key.Replace(":", "__", StringComparison.Ordinal));
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

using System.Reflection;
using System.Runtime.ExceptionServices;
using CallTracking.Functions;
using CallTracking.Functions.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CallTracking.Tests.Deployment;

/// <summary>
/// Runs the app's real start-up checks against a given set of app settings: the same registrations as Program.cs
/// (<see cref="AppServices.AddCallTrackingApp"/>), ValidateOnStart validation, and the binding of every options class
/// the app registers — whichever feature added it.
/// </summary>
public static class AppStartup
{
    /// <summary>Validates as the worker does at start-up; returns what the app says is missing (health's problems).</summary>
    public static IReadOnlyList<SettingProblem> Validate(IReadOnlyDictionary<string, string> appSettings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        // App settings are environment variables to the worker: '__' separates sections.
        builder.Configuration.AddInMemoryCollection(
            appSettings.Select(s => new KeyValuePair<string, string?>(s.Key.Replace("__", ":", StringComparison.Ordinal), s.Value)));
        // The same start-up steps as Program.cs.
        builder.IgnoreUnresolvedKeyVaultReferences();
        builder.Services.AddCallTrackingApp();
        var services = builder.Services;
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        provider.GetService<IStartupValidator>()?.Validate();
        foreach (var optionsType in AppOptionsTypes(services))
        {
            var options = provider.GetRequiredService(typeof(IOptions<>).MakeGenericType(optionsType));
            try
            {
                _ = options.GetType().GetProperty(nameof(IOptions<object>.Value))!.GetValue(options);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            }
        }

        return provider.GetRequiredService<SettingsHealth>().Problems;
    }

    /// <summary>Every options class of the app's assembly that has configuration, validation or change tracking registered.</summary>
    public static IReadOnlyList<Type> AppOptionsTypes(IServiceCollection services)
    {
        Type[] optionsServices = [typeof(IConfigureOptions<>), typeof(IPostConfigureOptions<>), typeof(IValidateOptions<>), typeof(IOptionsChangeTokenSource<>)];
        return services
            .Select(d => d.ServiceType)
            .Where(t => t.IsGenericType && optionsServices.Contains(t.GetGenericTypeDefinition()))
            .Select(t => t.GetGenericArguments()[0])
            .Where(t => t.Assembly == typeof(AppServices).Assembly)
            .Distinct()
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToList();
    }
}

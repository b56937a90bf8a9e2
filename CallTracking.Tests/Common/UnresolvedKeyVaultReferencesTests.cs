using CallTracking.Functions.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Xunit;

namespace CallTracking.Tests.Common;

public class UnresolvedKeyVaultReferencesTests
{
    private sealed class SinkOptions
    {
        public string? Token { get; set; }

        public string Region { get; set; } = "us";
    }

    [Fact]
    public void An_unresolved_reference_reads_as_unset_and_resolved_values_are_untouched()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sink:Token"] = "@Microsoft.KeyVault(SecretUri=https://kv-x.vault.azure.net/secrets/sink-token/)",
            ["Sink:Region"] = "eu",
            ["Other:Secret"] = "resolved-secret-value",
        });
        builder.Services.AddOptions<SinkOptions>().BindConfiguration("Sink");

        var affected = builder.IgnoreUnresolvedKeyVaultReferences();

        using var host = builder.Build();
        Assert.Equal(["Sink:Token"], affected);
        Assert.Null(host.Services.GetRequiredService<IConfiguration>()["Sink:Token"]);
        Assert.Equal("resolved-secret-value", host.Services.GetRequiredService<IConfiguration>()["Other:Secret"]);
        var options = host.Services.GetRequiredService<IOptions<SinkOptions>>().Value;
        Assert.Null(options.Token);
        Assert.Equal("eu", options.Region);
    }

    [Fact]
    public void Nothing_changes_when_every_reference_was_resolved()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Sink:Token"] = "abc" });

        Assert.Empty(builder.IgnoreUnresolvedKeyVaultReferences());
        Assert.DoesNotContain(builder.Services, s => s.ServiceType == typeof(IHostedService));
    }
}

using System.Net;
using CallTracking.LocalHost.Functions;
using CallTracking.LocalHost.Queues;
using CallTracking.LocalHost.Worker;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CallTracking.LocalHost.Http;

/// <summary>The public side: Kestrel on 127.0.0.1 serving every HTTP trigger, like <c>func start</c> on port 7071.</summary>
public sealed class HttpFrontEnd : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HttpFrontEnd(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<HttpFrontEnd> StartAsync(
        int port,
        IReadOnlyCollection<FunctionDescriptor> functions,
        string routePrefix,
        IFunctionInvoker invoker,
        QueueOutputWriter? queueOutputs,
        FunctionKeys keys,
        TimeSpan functionTimeout,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, port);
        });

        var app = builder.Build();
        var logger = loggerFactory.CreateLogger("Host.Function");
        HttpTriggerRouter.MapFunctions(app, functions, routePrefix,
            f => new HttpFunctionEndpoint(f, invoker, queueOutputs, keys, functionTimeout, logger).InvokeAsync);
        // What func start answers for a liveness check of the host itself.
        app.MapGet("/admin/host/status", () => Results.Json(new { state = "Running" }));

        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new HttpFrontEnd(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync(CancellationToken.None);
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }
}

using CallTracking.Functions;
using CallTracking.Functions.Common;
using CallTracking.Functions.Vonage;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);

builder.IgnoreUnresolvedKeyVaultReferences();
builder.Services.AddCallTrackingApp();
builder.UseVonageSignatures();

builder.Build().Run();

using CallTracking.Functions;
using CallTracking.Functions.Common;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);

builder.IgnoreUnresolvedKeyVaultReferences();
builder.Services.AddCallTrackingApp();

builder.Build().Run();

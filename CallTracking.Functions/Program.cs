using CallTracking.Functions;
using CallTracking.Functions.Vonage;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);

builder.Services.AddCallTrackingApp();
builder.UseVonageSignatures();

builder.Build().Run();

using CallTracking.Functions;
using CallTracking.Functions.Common;
using CallTracking.Functions.Http;
using CallTracking.Functions.Telemetry;
using CallTracking.Functions.Vonage;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);

builder.IgnoreUnresolvedKeyVaultReferences();
builder.Services.AddCallTrackingApp();
// Application Insights only when APPLICATIONINSIGHTS_CONNECTION_STRING is set; otherwise nothing is added.
builder.AddCallTrackingTelemetry();
// Problems first (outermost): it answers the signature middleware's failures as well as the functions'.
builder.UseHttpProblems();
builder.UseVonageSignatures();
builder.UsePoisonCounting();

builder.Build().Run();

using CallTracking.Functions;
using CallTracking.Functions.Common;
using CallTracking.Functions.Http;
using CallTracking.Functions.Vonage;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);

builder.IgnoreUnresolvedKeyVaultReferences();
builder.Services.AddCallTrackingApp();
// Problems first (outermost): it answers the signature middleware's failures as well as the functions'.
builder.UseHttpProblems();
builder.UseVonageSignatures();

builder.Build().Run();

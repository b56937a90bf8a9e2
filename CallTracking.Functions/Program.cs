using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);

builder.Services
    .AddCallTrackingCore()
    .AddCampaigns()
    .AddCalls();

builder.Build().Run();

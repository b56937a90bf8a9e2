using System.Text.Json;
using Azure;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Http;
using CallTracking.Functions.Reporting;
using Xunit;

namespace CallTracking.Tests.Http;

/// <summary>Which failures the HTTP edge answers, and with what; the rest stay failures (500) for the host to report.</summary>
public class HttpProblemMiddlewareTests
{
    public static readonly TheoryData<Exception, int, string?> RequestFaults = new()
    {
        { new ValidationException("trackingNumber", "Not a phone number."), 400, "trackingNumber" },
        { new MalformedJsonException("The body must be a JSON object."), 400, "$" },
        { new RequestBodyTooLargeException(RequestBodyLimits.Campaign), 413, "$" },
        { new NotFoundException("No campaign 'x'."), 404, null },
        { new NotFoundException("No call 'x'.", "call"), 404, "call" },
        { new ReportNotFoundException("campaign", "Campaign 'x' does not exist."), 404, "campaign" },
        { new CampaignConflictException("trackingNumber", "Taken by 'y'."), 409, "trackingNumber" },
    };

    [Theory]
    [MemberData(nameof(RequestFaults))]
    public void Request_faults_become_problems_naming_the_field(Exception exception, int status, string? field)
    {
        foreach (var function in new[] { "PutCampaign", "Event" })
        {
            var problem = HttpProblemMiddleware.ToProblem(function, exception);

            Assert.NotNull(problem);
            Assert.Equal(status, problem.Status);
            Assert.Equal(field, problem.Errors?.Single().Field);
            Assert.True(HttpProblemMiddleware.IsRequestFault(function, exception));
        }
    }

    [Theory]
    [InlineData("Event")]
    [InlineData("Recording")]
    public void Our_failures_in_the_call_webhooks_are_503_so_Vonage_retries(string function)
    {
        var problem = HttpProblemMiddleware.ToProblem(function, new RequestFailedException(500, "storage down"));

        Assert.Equal(503, problem?.Status);
        Assert.False(HttpProblemMiddleware.IsRequestFault(function, new RequestFailedException(500, "storage down")));
    }

    [Theory]
    [InlineData("Answer")]
    [InlineData("ListCampaigns")]
    [InlineData("CallRecords")]
    public void Our_other_failures_are_left_to_the_host(string function)
    {
        // A JsonException here is a corrupt stored row: request bodies that are not JSON are MalformedJsonException.
        Assert.Null(HttpProblemMiddleware.ToProblem(function, new JsonException("Campaign row id|x is empty")));
        Assert.Null(HttpProblemMiddleware.ToProblem(function, new RequestFailedException(500, "storage down")));
    }

    [Theory]
    [InlineData("Answer")]
    [InlineData("Event")]
    public void Cancellation_is_left_to_the_host(string function) =>
        Assert.Null(HttpProblemMiddleware.ToProblem(function, new OperationCanceledException()));

    [Fact]
    public void Body_limits_are_per_function_and_a_function_without_one_cannot_read_a_body()
    {
        Assert.Equal(RequestBodyLimits.VonageWebhook, RequestBodyLimits.For("Event"));
        Assert.Equal(RequestBodyLimits.VonageWebhook, RequestBodyLimits.For("Answer"));
        Assert.Equal(RequestBodyLimits.Campaign, RequestBodyLimits.For("PutCampaign"));
        Assert.Equal(RequestBodyLimits.CampaignImport, RequestBodyLimits.For("ImportCampaigns"));
        Assert.All(RequestBodyLimits.ByFunction.Values.Append(RequestBodyLimits.VonageWebhook), limit => Assert.InRange(limit, 1, RequestBodyLimits.Largest));
        Assert.Throws<InvalidOperationException>(() => RequestBodyLimits.For("ListCampaigns"));
    }
}

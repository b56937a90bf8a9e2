using System.Buffers;
using System.Net;
using System.Text.Json;
using CallTracking.Functions.CallFlow;
using CallTracking.Functions.Common;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>
/// Vonage's NCCO webhooks: the answer URL (GET or POST) and the whisper URL the agent leg fetches on answer. Anonymous: Vonage cannot send a function key; a forged answer request only gets an NCCO.
/// </summary>
public sealed class AnswerFunctions(AnswerService answers, CallbackUrlResolver callbackUrls)
{
    private const int MaxBodyBytes = 64 * 1024;

    [Function("Answer")]
    public async Task<HttpResponseData> Answer(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "answer")] HttpRequestData req)
    {
        AnswerRequest request;
        try
        {
            request = await ReadAsync(req);
        }
        catch (JsonException)
        {
            return await req.ProblemAsync(Problem.BadRequest("$", "The body must be a JSON object with the answer webhook's fields."));
        }

        try
        {
            var outcome = await answers.AnswerAsync(request, callbackUrls.Resolve(req.Url), req.FunctionContext.CancellationToken);
            return await NccoAsync(req, outcome.Ncco);
        }
        catch (ValidationException ex)
        {
            return await req.ProblemAsync(Problem.Validation(ex.Errors));
        }
    }

    [Function("Whisper")]
    public async Task<HttpResponseData> Whisper(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "whisper")] HttpRequestData req)
    {
        var campaignId = req.Query["campaign"];
        return await NccoAsync(req, await answers.WhisperAsync(campaignId, req.FunctionContext.CancellationToken));
    }

    internal static async Task<AnswerRequest> ReadAsync(HttpRequestData req)
    {
        if (!string.Equals(req.Method, "POST", StringComparison.OrdinalIgnoreCase))
        {
            return AnswerRequest.FromQuery(req.Url.Query);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            var length = 0;
            int read;
            while ((read = await req.Body.ReadAsync(buffer.AsMemory(length))) > 0)
            {
                length += read;
                if (length == buffer.Length)
                {
                    if (length >= MaxBodyBytes)
                    {
                        throw new JsonException("The body is too large.");
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }

            // Some senders put the fields in the query even on POST; an empty body means exactly that.
            return length == 0 ? AnswerRequest.FromQuery(req.Url.Query) : AnswerRequest.FromJson(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static async Task<HttpResponseData> NccoAsync(HttpRequestData req, byte[] ncco)
    {
        var response = req.CreateResponse(HttpStatusCode.OK);
        response.Headers.Add("Content-Type", "application/json");
        await response.Body.WriteAsync(ncco);
        return response;
    }
}

using System.Net;
using CallTracking.Functions.CallFlow;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>
/// Vonage's NCCO webhooks: the answer URL (GET or POST) and the whisper URL the agent leg fetches on answer. Anonymous: Vonage cannot send a function key; a forged answer request only gets an NCCO.
/// A failure of ours still answers a call: <see cref="AnswerService"/> returns the fallback NCCO (200) itself; only
/// bad input (no readable <c>to</c>) becomes a 400 problem, in <c>HttpProblemMiddleware</c>.
/// </summary>
public sealed class AnswerFunctions(AnswerService answers, CallbackUrlResolver callbackUrls)
{
    [Function("Answer")]
    public async Task<HttpResponseData> Answer(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "answer")] HttpRequestData req, CancellationToken cancellationToken)
    {
        var outcome = await answers.AnswerAsync(await AnswerRequest.ReadAsync(req, cancellationToken), callbackUrls.Resolve(req.Url), cancellationToken);
        return await NccoAsync(req, outcome.Ncco);
    }

    [Function("Whisper")]
    public async Task<HttpResponseData> Whisper(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "whisper")] HttpRequestData req, CancellationToken cancellationToken) =>
        await NccoAsync(req, await answers.WhisperAsync(req.Query["campaign"], cancellationToken));

    internal static async Task<HttpResponseData> NccoAsync(HttpRequestData req, byte[] ncco)
    {
        var response = req.CreateResponse(HttpStatusCode.OK);
        response.Headers.Add("Content-Type", "application/json");
        await response.Body.WriteAsync(ncco);
        return response;
    }
}

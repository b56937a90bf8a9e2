using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Common;

/// <summary>One invalid input field and why.</summary>
public sealed record FieldError(
    [property: JsonPropertyName("field")] string Field,
    [property: JsonPropertyName("message")] string Message);

/// <summary>An RFC 9457 problem body; <c>errors</c> names each bad field.</summary>
public sealed record Problem(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("detail")] string? Detail = null,
    [property: JsonPropertyName("errors")] IReadOnlyList<FieldError>? Errors = null)
{
    public static Problem Validation(IReadOnlyList<FieldError> errors, string? detail = null) =>
        new("https://calltracking.dev/problems/validation", "One or more fields are invalid.", 400,
            detail ?? string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")), errors);

    public static Problem BadRequest(string field, string message) => Validation([new FieldError(field, message)]);

    public static Problem NotFound(string detail) =>
        new("https://calltracking.dev/problems/not-found", "Not found.", 404, detail);

    public static Problem Conflict(string detail, IReadOnlyList<FieldError>? errors = null) =>
        new("https://calltracking.dev/problems/conflict", "Conflict.", 409, detail, errors);

    public static Problem Unauthorized(string detail) =>
        new("https://calltracking.dev/problems/unauthorized", "Unauthorized.", 401, detail);

    public static Problem PayloadTooLarge(int limit) =>
        new("https://calltracking.dev/problems/too-large", "Payload too large.", 413, $"The body exceeds {limit} bytes.",
            [new FieldError("$", $"At most {limit} bytes.")]);
}

/// <summary>Thrown by domain services for input that cannot be accepted; functions map it to a 400.</summary>
public sealed class ValidationException(IReadOnlyList<FieldError> errors)
    : Exception(string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")))
{
    public IReadOnlyList<FieldError> Errors { get; } = errors;

    public ValidationException(string field, string message) : this([new FieldError(field, message)])
    {
    }
}

public static class HttpResponses
{
    public const string ProblemContentType = "application/problem+json";

    public static async Task<HttpResponseData> ProblemAsync(this HttpRequestData request, Problem problem)
    {
        var response = request.CreateResponse((HttpStatusCode)problem.Status);
        response.Headers.Add("Content-Type", ProblemContentType);
        await response.WriteBytesAsync(JsonSerializer.SerializeToUtf8Bytes(problem, JsonDefaults.Options));
        return response;
    }

    public static async Task<HttpResponseData> JsonAsync<T>(this HttpRequestData request, T body, HttpStatusCode status = HttpStatusCode.OK)
    {
        var response = request.CreateResponse(status);
        response.Headers.Add("Content-Type", "application/json; charset=utf-8");
        await response.WriteBytesAsync(JsonSerializer.SerializeToUtf8Bytes(body, JsonDefaults.Options));
        return response;
    }
}

/// <summary>The JSON settings for our own API bodies: camelCase, readable characters, enums as strings.</summary>
public static class JsonDefaults
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}

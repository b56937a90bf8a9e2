using System.Text;
using System.Text.Json;

namespace CallTracking.Simulator.Sweep;

/// <summary>
/// Generates malformed and hostile requests against every CallTracking HTTP function: broken JSON, huge bodies,
/// wrong types, missing fields, injection strings (SQL, OData filters, quotes), unicode and control characters,
/// forged, replayed and expired webhook signatures, path tricks and bad reporting parameters.
/// Every id a request carries contains <see cref="Marker"/>, so a test can search storage for anything that leaked.
/// None of these requests is acceptable input: the expectation is always a 4xx problem (or a safe NCCO). They may be
/// sent concurrently and in any order: no request can create what another's expectation depends on (see CampaignAdmin).
/// </summary>
public sealed class HostileRequestGenerator(VonageRequestSigner signer, string marker, string? existingCampaignId = null)
{
    private const int HugeBodyBytes = 5 * 1024 * 1024;

    public string Marker => marker;

    /// <summary>Strings that must never reach a query, a key or a file path unchecked.</summary>
    public static readonly string[] Injections =
    [
        "' OR '1'='1", "'; DROP TABLE Calls; --", "\" OR \"\"=\"", "1 or 1 eq 1", "' or PartitionKey ne '",
        "$filter=PartitionKey ne ''", "') or (RowKey ge '", "%27%20or%201%3D1", "../../etc/passwd", "..\\..\\windows\\win.ini",
        "a/b", "a\\b", "a#b", "a?b", "\u0000", "nul\u0000byte", "line\nbreak", "tab\tchar", "\u001b[31mred", "\u202Eevil",
        "caf\u00e9", "\ud83d\ude00\ud83d\ude00", "\u4e2d\u6587", "\ufeffbom", "<script>alert(1)</script>", "${jndi:ldap://x}",
        "{{7*7}}", "%s%s%s%n", "null", "undefined", "NaN", "-1", "1e309", " ", "", new string('A', 2048),
        new string('9', 400), "+", "+0", "00", "+999999999999999999999",
    ];

    /// <summary>Path segments for <c>{id}</c> routes, already escaped as a client might send them.</summary>
    public static readonly string[] PathTricks =
    [
        "..%2F..", "..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e", "%2e%2e%2f%2e%2e", "..%5C..", "a%00b", "%00", "%27", "%27%20or%20%271%27%3D%271",
        "%24filter%3DPartitionKey%20ne%20%27%27", "caf%C3%A9", "%F0%9F%98%80", "%E2%80%AE", "%0A", "%0D%0Ainjected%3A%201", "%20",
        "UPPER-CASE", "with.dot", "a%2Fb", "a%5Cb", "a%23b", "a%3Fb", "%25", new string('a', 300), new string('x', 5000),
        "-leading", "trailing-", "under_score", "%C0%AE%C0%AE", "%uff0e%uff0e",
    ];

    public IEnumerable<HostileRequest> Generate()
    {
        return SignedWebhooks()
            .Concat(CallControl())
            .Concat(CampaignAdmin())
            .Concat(Replay())
            .Concat(Reporting());
    }

    private string Id(string label) => $"{marker}-{label}";

    private string ConversationId(int n) => $"CON-{marker}-{n:0000}";

    // ---------- POST /api/event and /api/recording ----------

    private IEnumerable<HostileRequest> SignedWebhooks()
    {
        var n = 0;
        foreach (var (endpoint, path) in new[] { ("event", "api/event"), ("recording", "api/recording") })
        {
            // Well-formed bodies that would be accepted with a good signature: every forgery must be refused.
            var goodBodies = endpoint == "event"
                ? new[] { EventBody(ConversationId(++n), "started"), EventBody(ConversationId(++n), "completed"), EventBody(ConversationId(++n), "answered") }
                : new[] { RecordingBody(ConversationId(++n), "https://api-us.nexmo.com/v1/files/" + Guid.NewGuid()) };
            for (var b = 0; b < goodBodies.Length; b++)
            {
                foreach (var (name, auth) in ForgedAuthorizations(goodBodies[b]))
                {
                    yield return Post(endpoint, $"forged: {name} (body {b})", path, goodBodies[b], auth);
                }
            }

            // Correctly signed, but the body is broken or hostile.
            foreach (var (name, body) in BrokenJson())
            {
                yield return Post(endpoint, "json: " + name, path, body, Bearer(body));
            }

            var template = endpoint == "event" ? EventFields(ConversationId(++n), "completed") : RecordingFields(ConversationId(++n), "https://api-us.nexmo.com/v1/files/x");
            var keyFields = endpoint == "event" ? new[] { "uuid", "conversation_uuid", "status", "timestamp" } : new[] { "conversation_uuid", "recording_url", "timestamp" };
            foreach (var field in keyFields)
            {
                var missing = Serialize(template.Where(p => p.Key != field));
                yield return Post(endpoint, $"missing {field}", path, missing, Bearer(missing));
                foreach (var (typeName, value) in WrongTypes())
                {
                    var body = Serialize(template.Select(p => p.Key == field ? new KeyValuePair<string, object?>(p.Key, value) : p));
                    yield return Post(endpoint, $"{field} as {typeName}", path, body, Bearer(body));
                }

                foreach (var injection in Injections)
                {
                    // A hostile value in a key field must be refused; "timestamp" also gets the non-dates.
                    var value = field == "conversation_uuid" ? "CON-" + marker + injection : injection;
                    var body = Serialize(template.Select(p => p.Key == field ? new KeyValuePair<string, object?>(p.Key, value) : p));
                    yield return Post(endpoint, $"{field} = {Describe(injection)}", path, body, Bearer(body));
                }
            }

            if (endpoint == "event")
            {
                foreach (var status in new[] { "COMPLETED", "complete", "started ", "exploded", "' or 1=1" })
                {
                    var body = Serialize(EventFields(ConversationId(++n), status).Where(p => true).Select(p => p.Key == "uuid" ? new KeyValuePair<string, object?>("uuid", "not a uuid " + marker) : p));
                    yield return Post(endpoint, $"bad uuid and status {Describe(status)}", path, body, Bearer(body));
                }
            }
            else
            {
                foreach (var url in new[]
                         {
                             "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd", "javascript:alert(1)", "ftp://api.nexmo.com/x",
                             "https://evil.example/v1/files/x", "https://api.nexmo.com.evil.example/v1/files/x", "//api.nexmo.com/v1/files/x",
                             "http://127.0.0.1:10000/devstoreaccount1/", "not a url", "https://", new string('h', 10000),
                         })
                {
                    var body = Serialize(RecordingFields(ConversationId(++n), url));
                    yield return Post(endpoint, $"recording_url = {Describe(url)}", path, body, Bearer(body));
                }

                foreach (var size in new object?[] { -1, "big", 1e300, new[] { 1 } })
                {
                    var body = Serialize(RecordingFields(ConversationId(++n), "x").Select(p => p.Key == "size" ? new KeyValuePair<string, object?>("size", size) : p));
                    yield return Post(endpoint, $"size = {size} and bad url", path, body, Bearer(body));
                }
            }

            // Content types that are not JSON, with a broken body.
            foreach (var contentType in new[] { "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml" })
            {
                var body = Encoding.UTF8.GetBytes(contentType.StartsWith("application/xml", StringComparison.Ordinal) ? "<status>started</status>" : "status=started&uuid=" + marker);
                yield return new HostileRequest("content-type " + contentType, endpoint, HttpMethod.Post, path, body, contentType, Bearer(body), SweepExpectation.Problem);
            }
        }
    }

    private IEnumerable<(string Name, string? Authorization)> ForgedAuthorizations(byte[] body)
    {
        var hash = VonageRequestSigner.PayloadHash(body);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var key = Encoding.UTF8.GetBytes("not-the-secret");
        byte[] Claims(long iat, string? payloadHash = null, string iss = "Vonage", string apiKey = "use-signer")
        {
            var claims = new Dictionary<string, object?>
            {
                ["iat"] = iat,
                ["jti"] = Guid.NewGuid().ToString(),
                ["iss"] = iss,
                ["payload_hash"] = payloadHash ?? hash,
                ["api_key"] = apiKey == "use-signer" ? signer.ApiKey : apiKey,
            };
            return JsonSerializer.SerializeToUtf8Bytes(claims);
        }

        string Unsigned(string header, byte[] claims) =>
            System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header)) + "." + System.Buffers.Text.Base64Url.EncodeToString(claims) + ".";

        yield return ("no header", null);
        yield return ("empty header", "");
        yield return ("Basic scheme", "Basic " + Convert.ToBase64String("user:pass"u8));
        yield return ("Bearer only", "Bearer");
        yield return ("Bearer empty", "Bearer ");
        yield return ("Bearer garbage", "Bearer garbage");
        yield return ("two segments", "Bearer abc.def");
        yield return ("four segments", "Bearer a.b.c.d");
        yield return ("bad base64", "Bearer !!!.???.***");
        yield return ("alg none", "Bearer " + Unsigned("""{"alg":"none","typ":"JWT"}""", Claims(now)));
        yield return ("alg None with signature stripped", "Bearer " + Unsigned("""{"alg":"None","typ":"JWT"}""", Claims(now)));
        yield return ("alg HS512 with the real secret", "Bearer " + signer.SignClaimsHs512(Claims(now)));
        yield return ("alg RS256 header, HMAC with the real secret", "Bearer " + signer.SignClaims(Claims(now), """{"alg":"RS256","typ":"JWT"}"""u8));
        yield return ("alg none header, HMAC with the real secret", "Bearer " + signer.SignClaims(Claims(now), """{"alg":"none","typ":"JWT"}"""u8));
        yield return ("wrong secret", "Bearer " + VonageRequestSigner.SignRaw("""{"alg":"HS256","typ":"JWT"}"""u8, Claims(now), key));
        yield return ("empty secret", "Bearer " + VonageRequestSigner.SignRaw("""{"alg":"HS256","typ":"JWT"}"""u8, Claims(now), []));
        yield return ("iss not Vonage", "Bearer " + signer.SignClaims(Claims(now, iss: "Evil")));
        yield return ("other api_key", "Bearer " + signer.SignClaims(Claims(now, apiKey: "someone-else")));
        yield return ("expired iat (1 h)", "Bearer " + signer.Sign(hash, issuedAt: now - 3600));
        yield return ("expired iat (1 day)", "Bearer " + signer.Sign(hash, issuedAt: now - 86400));
        yield return ("iat zero", "Bearer " + signer.Sign(hash, issuedAt: 0));
        yield return ("iat in the future (1 h)", "Bearer " + signer.Sign(hash, issuedAt: now + 3600));
        yield return ("iat in milliseconds", "Bearer " + signer.Sign(hash, issuedAt: now * 1000));
        yield return ("iat as string", "Bearer " + signer.SignClaims(JsonSerializer.SerializeToUtf8Bytes(new { iat = "yesterday", jti = "j", iss = "Vonage", payload_hash = hash, api_key = signer.ApiKey })));
        yield return ("no payload_hash", "Bearer " + signer.SignClaims(JsonSerializer.SerializeToUtf8Bytes(new { iat = now, jti = Guid.NewGuid().ToString(), iss = "Vonage", api_key = signer.ApiKey })));
        yield return ("tampered payload_hash", "Bearer " + signer.Sign(VonageRequestSigner.PayloadHash("{}"u8)));
        yield return ("payload_hash of another body", "Bearer " + signer.SignBody(Encoding.UTF8.GetBytes("{\"status\":\"started\"}")));
        yield return ("payload_hash not hex", "Bearer " + signer.Sign("' OR 1=1 --"));
        yield return ("signature flipped", "Bearer " + FlipLastChar(signer.SignBody(body)));
        yield return ("claims not json", "Bearer " + VonageRequestSigner.SignRaw("""{"alg":"HS256","typ":"JWT"}"""u8, "not json"u8, Encoding.UTF8.GetBytes("x")));
        yield return ("huge token", "Bearer " + new string('a', 60_000) + ".b.c");
        yield return ("token with spaces", "Bearer " + signer.SignBody(body).Replace(".", " . ", StringComparison.Ordinal));
        yield return ("header kid path, empty key", "Bearer " + VonageRequestSigner.SignRaw("""{"alg":"HS256","typ":"JWT","kid":"../../../../dev/null"}"""u8, Claims(now), []));
    }

    private static string FlipLastChar(string token) => token[..^1] + (token[^1] == 'A' ? 'B' : 'A');

    private static readonly Lazy<IReadOnlyList<(string Name, byte[] Body)>> BrokenJsonBodies = new(() => MakeBrokenJson().ToList());

    private static IReadOnlyList<(string Name, byte[] Body)> BrokenJson() => BrokenJsonBodies.Value;

    private static IEnumerable<(string Name, byte[] Body)> MakeBrokenJson()
    {
        foreach (var text in new[]
                 {
                     "", " ", "{", "}", "[", "{\"status\":", "{\"status\":\"started\",}", "{'status':'started'}", "{status:started}",
                     "null", "true", "123", "\"a string\"", "[]", "[{}]", "{}", "{\"a\":NaN}", "{\"a\":Infinity}", "\u0000\u0000",
                     "{\"status\":\"started\"}garbage", "<xml/>", "status=started", "{\"status\":\"\\ud800\"}",
                 })
        {
            yield return ($"text {Describe(text)}", Encoding.UTF8.GetBytes(text));
        }

        yield return ("invalid utf-8", [0x7B, 0x22, 0xC3, 0x28, 0xFF, 0xFE, 0x22, 0x7D]);
        yield return ("utf-16 body", Encoding.Unicode.GetBytes("{\"status\":\"started\"}"));
        yield return ("deep nesting", Encoding.UTF8.GetBytes(new string('[', 100_000) + new string(']', 100_000)));
        yield return ("5 MB string field", Encoding.UTF8.GetBytes("{\"status\":\"started\",\"x\":\"" + new string('x', HugeBodyBytes) + "\"}"));
        yield return ("5 MB garbage", Enumerable.Repeat((byte)'z', HugeBodyBytes).ToArray());
        yield return ("many keys", Encoding.UTF8.GetBytes("{" + string.Join(",", Enumerable.Range(0, 50_000).Select(i => $"\"k{i}\":{i}")) + "}"));
    }

    private static IEnumerable<(string Name, object? Value)> WrongTypes() =>
    [
        ("null", null), ("number", 42), ("negative", -1), ("float", 1.5), ("bool", true), ("array", new[] { "a" }),
        ("object", new Dictionary<string, object> { ["$ne"] = "" }), ("empty", ""),
    ];

    private Dictionary<string, object?> EventFields(string conversation, string status) => new()
    {
        ["from"] = "447700900123",
        ["to"] = "442079460999",
        ["uuid"] = Guid.NewGuid().ToString(),
        ["conversation_uuid"] = conversation,
        ["status"] = status,
        ["direction"] = "inbound",
        ["timestamp"] = ScenarioGenerator.Iso(DateTimeOffset.UtcNow),
        ["duration"] = "12",
        ["rate"] = "0.00450000",
        ["price"] = "0.00090000",
        ["network"] = "GB-FIXED",
        ["start_time"] = ScenarioGenerator.Iso(DateTimeOffset.UtcNow.AddSeconds(-12)),
        ["end_time"] = ScenarioGenerator.Iso(DateTimeOffset.UtcNow),
    };

    private static Dictionary<string, object?> RecordingFields(string conversation, string url) => new()
    {
        ["start_time"] = ScenarioGenerator.Iso(DateTimeOffset.UtcNow.AddSeconds(-30)),
        ["recording_url"] = url,
        ["size"] = 12345,
        ["recording_uuid"] = Guid.NewGuid().ToString(),
        ["end_time"] = ScenarioGenerator.Iso(DateTimeOffset.UtcNow),
        ["conversation_uuid"] = conversation,
        ["timestamp"] = ScenarioGenerator.Iso(DateTimeOffset.UtcNow),
    };

    private byte[] EventBody(string conversation, string status) => Serialize(EventFields(conversation, status));

    private static byte[] RecordingBody(string conversation, string url) => Serialize(RecordingFields(conversation, url));

    private static byte[] Serialize(IEnumerable<KeyValuePair<string, object?>> fields) =>
        JsonSerializer.SerializeToUtf8Bytes(fields.ToDictionary(p => p.Key, p => p.Value));

    private string Bearer(byte[] body) => "Bearer " + signer.SignBody(body);

    private static HostileRequest Post(string endpoint, string name, string path, byte[] body, string? auth) =>
        new(name, endpoint, HttpMethod.Post, path, body, "application/json", auth, SweepExpectation.Problem);

    // ---------- GET|POST /api/answer, /api/whisper, /api/fallback ----------

    private IEnumerable<HostileRequest> CallControl()
    {
        foreach (var endpoint in new[] { "answer", "whisper", "fallback" })
        {
            var path = "api/" + endpoint;
            HostileRequest Get(string name, string query, bool tooBig = false)
            {
                var pairs = query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
                    .Select(p => new KeyValuePair<string, string>(Uri.UnescapeDataString(p[0]), p.Length > 1 ? Uri.UnescapeDataString(p[1]) : ""));
                return new HostileRequest(name, endpoint, HttpMethod.Get, path + (query.Length > 0 ? "?" + query : ""), null, null,
                    "Bearer " + signer.SignQuery(pairs), SweepExpectation.SafeNcco)
                { ServerMayRefuse = tooBig };
            }

            yield return Get("no parameters", "");
            yield return Get("only to", "to=442079460999");
            yield return Get("repeated to", $"to=442079460999&to=447700900000&uuid=x{marker}&conversation_uuid=CON-{marker}-x");
            yield return Get("huge to", $"to={new string('4', 9000)}&conversation_uuid=CON-{marker}-h", tooBig: true);
            foreach (var injection in Injections)
            {
                var escaped = Uri.EscapeDataString(injection.Length > 500 ? injection[..500] : injection);
                // Hostile ids; and hostile numbers with hostile ids, so nothing here is a call worth recording.
                yield return Get($"conversation_uuid = {Describe(injection)}", $"to=442079460999&from=447700900123&uuid={escaped}&conversation_uuid={escaped}&endpoint_type=phone");
                yield return Get($"to = {Describe(injection)}", $"to={escaped}&from={escaped}&uuid=not-a-uuid-{marker}&conversation_uuid={escaped}");
                var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["to"] = injection,
                    ["from"] = injection,
                    ["uuid"] = injection,
                    ["conversation_uuid"] = "CON-" + marker + injection,
                }));
                yield return new HostileRequest($"POST to = {Describe(injection)}", endpoint, HttpMethod.Post, path, body, "application/json",
                    "Bearer " + signer.SignBody(body), SweepExpectation.SafeNcco);
            }

            foreach (var (name, body) in BrokenJson())
            {
                yield return new HostileRequest("POST json: " + name, endpoint, HttpMethod.Post, path, body, "application/json",
                    "Bearer " + signer.SignBody(body), SweepExpectation.SafeNcco);
            }

            foreach (var (name, auth) in ForgedAuthorizations([]).Take(12))
            {
                yield return new HostileRequest("forged: " + name, endpoint, HttpMethod.Get,
                    $"{path}?to=442079460999&uuid=%27&conversation_uuid=CON-{marker}%27", null, null, auth, SweepExpectation.SafeNcco);
            }
        }
    }

    // ---------- /api/campaigns ----------

    /// <remarks>
    /// The sweep sends its requests concurrently, in any order, so no request's expected answer may depend on another
    /// having run first. Every campaign write therefore carries its own campaign ids and tracking numbers, shared with
    /// no other request, and no read (GET, DELETE, stats) targets an id that a write carries: were a write wrongly
    /// accepted, it could otherwise turn a read's 404 into a 200, or make an import fail only because another request
    /// already held its number. And only hostile writes are sent: input the app rightly accepts (a legal id, the right
    /// type) is not part of a bad-input sweep.
    /// </remarks>
    private IEnumerable<HostileRequest> CampaignAdmin()
    {
        HostileRequest Json(string name, HttpMethod method, string path, byte[] body, bool routeMayNotMatch = false) =>
            new(name, "campaigns", method, path, body, "application/json", null, SweepExpectation.Problem) { RouteMayNotMatch = routeMayNotMatch };

        var ids = 0;
        var numbers = 0;
        string NewId(string label) => Id($"{label}{++ids}");
        string NewNumber() => TrackingNumber(numbers++);
        Dictionary<string, object?> Valid(string label) => ValidCampaign(NewId(label), NewNumber());
        static byte[] Body(object value) => JsonSerializer.SerializeToUtf8Bytes(value);

        foreach (var (name, body) in BrokenJson())
        {
            yield return Json("import json: " + name, HttpMethod.Post, "api/campaigns/import", body);
            yield return Json("put json: " + name, HttpMethod.Put, $"api/campaigns/{NewId("put")}", body);
        }

        foreach (var field in ValidCampaign("", "").Keys)
        {
            if (field is "id" or "name" or "trackingNumber" or "agentNumber")
            {
                // With a second, valid campaign in the same import: all or nothing.
                yield return Json($"import missing {field}", HttpMethod.Post, "api/campaigns/import",
                    Body(new object[] { Valid("pair"), Without(Valid("miss"), field) }));
                if (field != "id")
                {
                    // (A PUT without "id" takes the route's: valid input, so not sent.) The body's id matches the route,
                    // so the missing field is the only fault.
                    var put = Valid("miss");
                    yield return Json($"put missing {field}", HttpMethod.Put, $"api/campaigns/{put["id"]}", Body(Without(put, field)));
                }
            }

            foreach (var (typeName, value) in WrongTypes())
            {
                if ((field is "isActive" or "recordCalls" or "whisperText" && typeName is "null" or "empty")
                    || (field is "isActive" or "recordCalls" && typeName == "bool"))
                {
                    continue; // legitimately optional, or the right type
                }

                var changed = Valid("type");
                changed[field] = value;
                yield return Json($"import {field} as {typeName}", HttpMethod.Post, "api/campaigns/import", Body(new object[] { Valid("pair"), changed }));
            }
        }

        foreach (var injection in Injections)
        {
            foreach (var field in new[] { "id", "trackingNumber", "agentNumber", "fallbackNumber" })
            {
                var changed = Valid("inj");
                var value = field == "id" ? changed["id"] + injection : injection;
                if (field == "id" ? IsLegalCampaignId(value.Trim()) : value.Length == 0 || (field == "fallbackNumber" && string.IsNullOrWhiteSpace(value)))
                {
                    continue; // a legal id (the validator trims it), or no number (a blank fallbackNumber is none: it is optional)
                }

                changed[field] = value;
                yield return Json($"import {field} = {Describe(injection)}", HttpMethod.Post, "api/campaigns/import", Body(new object[] { changed }));
            }
        }

        foreach (var (name, hours) in new (string, object)[]
                 {
                     ("unknown zone", new { timeZone = "Mars/Olympus_Mons", windows = Array.Empty<object>() }),
                     ("zone injection", new { timeZone = "../../etc/localtime", windows = Array.Empty<object>() }),
                     ("bad day", new { timeZone = "Europe/London", windows = new[] { new { day = "Funday", open = "09:00", close = "17:00" } } }),
                     ("bad time", new { timeZone = "Europe/London", windows = new[] { new { day = "Monday", open = "25:00", close = "17:00" } } }),
                     ("close before open", new { timeZone = "Europe/London", windows = new[] { new { day = "Monday", open = "17:00", close = "09:00" } } }),
                 })
        {
            var changed = Valid("hours");
            changed["businessHours"] = hours;
            yield return Json("import business hours: " + name, HttpMethod.Post, "api/campaigns/import", Body(new object[] { changed }));
        }

        // Numbers that are not numbers: too many campaigns and every one invalid, without using up the number block.
        yield return Json("import 5 MB of campaigns", HttpMethod.Post, "api/campaigns/import", Encoding.UTF8.GetBytes(
            "[" + string.Join(",", Enumerable.Range(0, 40_000).Select(i => JsonSerializer.Serialize(ValidCampaign($"{marker}-bulk-{i}", "x" + i)))) + "]"));
        var duplicate = NewId("dup");
        yield return Json("import duplicate ids", HttpMethod.Post, "api/campaigns/import",
            Body(new object[] { ValidCampaign(duplicate, NewNumber()), ValidCampaign(duplicate, NewNumber()) }));
        var shared = NewNumber();
        yield return Json("import one number twice", HttpMethod.Post, "api/campaigns/import",
            Body(new object[] { ValidCampaign(NewId("n"), shared), ValidCampaign(NewId("n"), shared) }));
        yield return Json("put id differs from route", HttpMethod.Put, $"api/campaigns/{NewId("route")}", Body(Valid("body")));

        foreach (var trick in PathTricks)
        {
            var id = TrickId(trick);
            var routeMayNotMatch = trick.Contains("%2F", StringComparison.OrdinalIgnoreCase) || trick.Contains("%5C", StringComparison.OrdinalIgnoreCase)
                || trick.StartsWith('.') || trick.StartsWith("%2e", StringComparison.OrdinalIgnoreCase) || trick.Contains("%00", StringComparison.Ordinal)
                || trick.Contains("%3F", StringComparison.OrdinalIgnoreCase) || trick.Contains("%23", StringComparison.OrdinalIgnoreCase)
                || trick.Contains("%0", StringComparison.Ordinal) || trick.Length > 1000 || trick.StartsWith("%C0", StringComparison.Ordinal) || trick == "%20";
            // GET and DELETE of an id no request can create: 404 (or 400) whatever ran before.
            yield return new HostileRequest($"get {trick[..Math.Min(40, trick.Length)]}", "campaigns", HttpMethod.Get, "api/campaigns/" + id, null, null, null,
                SweepExpectation.Problem)
            { RouteMayNotMatch = routeMayNotMatch, ServerMayRefuse = trick.Length > 1000 };
            yield return new HostileRequest($"delete {trick[..Math.Min(40, trick.Length)]}", "campaigns", HttpMethod.Delete, "api/campaigns/" + id, null, null, null,
                SweepExpectation.Problem)
            { RouteMayNotMatch = routeMayNotMatch, ServerMayRefuse = trick.Length > 1000 };

            // The PUT gets an id of its own. A trick that leaves the id legal ("trailing-": the id rule allows a trailing
            // '-') is no bad input for a PUT with a valid body: that is a create, so it is not sent.
            var putId = TrickId(trick, $"-put{++ids}"); // numbered: two tricks may decode alike ("..%2F..", "%2e%2e%2f%2e%2e")
            if (IsLegalCampaignId(Uri.UnescapeDataString(putId)))
            {
                continue;
            }

            yield return new HostileRequest($"put {trick[..Math.Min(40, trick.Length)]}", "campaigns", HttpMethod.Put, "api/campaigns/" + putId,
                Body(ValidCampaign(Uri.UnescapeDataString(putId), NewNumber())), "application/json", null, SweepExpectation.Problem)
            { RouteMayNotMatch = routeMayNotMatch, ServerMayRefuse = trick.Length > 1000 };
        }
    }

    private static Dictionary<string, object?> Without(Dictionary<string, object?> campaign, string field) =>
        campaign.Where(p => p.Key != field).ToDictionary(p => p.Key, p => p.Value);

    /// <summary>
    /// The <c>{id}</c> segment for a path trick: the marker (with <paramref name="tag"/>) and the trick, which keeps its
    /// place when it is about the id's start ("-leading"); a trick too long to be an id anyway is sent without the marker.
    /// </summary>
    private string TrickId(string trick, string tag = "") =>
        trick.Length > 100 ? tag.TrimStart('-') + trick
        : trick.StartsWith('-') ? trick + marker + tag
        : marker + tag + trick;

    /// <summary>
    /// The sweep's own tracking numbers, one per use: +44 20 7946 0200-0998 (Ofcom's drama range). 0000-0199 are left
    /// to the caller (the sweep test's seed campaign) and 0999 is the number the call-control requests dial.
    /// </summary>
    private static string TrackingNumber(int index) =>
        index < 799 ? "+442079460" + (200 + index).ToString(System.Globalization.CultureInfo.InvariantCulture)
        : throw new InvalidOperationException("The sweep ran out of tracking numbers; widen the block.");

    /// <summary>
    /// CampaignValidator's id rule (1-64 of a-z, 0-9 and '-', not starting with '-'). An id it accepts is no bad input;
    /// HostileRequestGeneratorTests checks the two agree.
    /// </summary>
    internal static bool IsLegalCampaignId(string id) =>
        id.Length is >= 1 and <= 64 && id[0] != '-' && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');

    private static Dictionary<string, object?> ValidCampaign(string id, string trackingNumber) => new()
    {
        ["id"] = id,
        ["name"] = "Sweep " + id,
        ["trackingNumber"] = trackingNumber,
        ["agentNumber"] = "+447700900555",
        ["isActive"] = true,
        ["recordCalls"] = false,
        ["whisperText"] = "Sweep call",
    };

    // ---------- POST /api/ops/replay?queue=&call=id ----------

    private IEnumerable<HostileRequest> Replay()
    {
        // The call id and the queue name are the input here; a well-formed unknown id is a legitimate no-op, so only
        // bad ids are sent, and every injection as a queue name (only two names are accepted).
        foreach (var injection in Injections.Where(i => i.Length == 0 || i.Length > 100 || i.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))))
        {
            yield return new HostileRequest($"call = {Describe(injection)}", "replay", HttpMethod.Post,
                "api/ops/replay?call=" + Uri.EscapeDataString(injection.Length > 3000 ? injection[..3000] : injection), [], "application/json", null,
                SweepExpectation.Problem);
        }

        foreach (var injection in Injections)
        {
            yield return new HostileRequest($"queue = {Describe(injection)}", "replay", HttpMethod.Post,
                "api/ops/replay?queue=" + Uri.EscapeDataString(injection.Length > 3000 ? injection[..3000] : injection), [], "application/json", null,
                SweepExpectation.Problem);
        }
    }

    // ---------- Reporting: stats, call records (JSON and CSV), deliveries, rebuild ----------

    private IEnumerable<HostileRequest> Reporting()
    {
        var campaign = existingCampaignId ?? Id("none");
        HostileRequest Get(string endpoint, string name, string pathAndQuery, SweepExpectation expect = SweepExpectation.Problem,
            bool routeMayNotMatch = false, bool tooBig = false) =>
            new(name, endpoint, HttpMethod.Get, pathAndQuery, null, null, null, expect)
            {
                RouteMayNotMatch = routeMayNotMatch,
                ServerMayRefuse = tooBig,
            };

        var rangeTargets = new (string Endpoint, string Path)[]
        {
            ("stats", $"api/campaigns/{campaign}/stats"), ("stats", "api/stats"), ("calls", $"api/calls?campaign={campaign}"),
            ("calls.csv", $"api/calls.csv?campaign={campaign}"),
        };
        var badDates = new[]
        {
            "yesterday", "2026-13-45", "2026-02-30", "2026-02-30T00:00:00Z", "0000-00-00", "99999-01-01", "-1", "1e309", "%27%20or%201%3D1",
            "%24filter", "2026-01-01T00:00:00Z%27", "%00", "%F0%9F%98%80", "null", "[]", new string('9', 400),
        };
        foreach (var (endpoint, path) in rangeTargets)
        {
            var join = path.Contains('?', StringComparison.Ordinal) ? "&" : "?";
            foreach (var value in badDates)
            {
                yield return Get(endpoint, $"{path} from = {value[..Math.Min(30, value.Length)]}", $"{path}{join}from={value}&to=2026-12-01T00:00:00Z");
                yield return Get(endpoint, $"{path} to = {value[..Math.Min(30, value.Length)]}", $"{path}{join}from=2026-11-01T00:00:00Z&to={value}");
            }

            foreach (var tz in new[] { "Mars%2FOlympus", "..%2F..%2Fetc%2Flocaltime", "%27", "UTC%00", new string('Z', 300) })
            {
                yield return Get(endpoint, $"{path} tz = {tz[..Math.Min(30, tz.Length)]}", $"{path}{join}tz={tz}");
            }

            yield return Get(endpoint, $"{path} from after to", $"{path}{join}from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z");
            yield return Get(endpoint, $"{path} ten-year range", $"{path}{join}from=2016-01-01&to=2026-01-01");
        }

        foreach (var endpoint in new[] { "calls", "calls.csv" })
        {
            var path = "api/" + endpoint;
            foreach (var (name, value) in new[]
                     {
                         ("limit", "0"), ("limit", "-5"), ("limit", "100000"), ("limit", "2.5"), ("limit", "0x10"), ("limit", "abc"),
                         ("offset", "-1"), ("offset", "10000000"), ("offset", "x"), ("status", "exploded"), ("status", "1"),
                         ("status", "%27%20or%201%3D1"), ("caller", "not-a-number"), ("caller", "%27%20OR%20%271%27%3D%271"),
                         ("caller", "%2B999999999999999999999"), ("continuation", "eyJ9"), ("continuation", "!!!"),
                         ("continuation", Uri.EscapeDataString(Convert.ToBase64String("' or PartitionKey ne ''"u8))),
                         ("continuation", Uri.EscapeDataString(Convert.ToBase64String("{\"pk\":\"../x\",\"rk\":1}"u8))),
                         ("continuation", new string('A', 4000)), ("campaign", ""), ("campaign", "a%2Fb"), ("campaign", "a%23b"),
                         ("campaign", "a%3Fb"), ("campaign", "a%5Cb"), ("campaign", "%0A"), ("campaign", new string('c', 65)),
                     })
            {
                if (endpoint == "calls.csv" && name == "offset")
                {
                    continue; // not a parameter of the export (its parts continue by token)
                }

                yield return Get(endpoint, $"{name} = {value[..Math.Min(30, value.Length)]}", $"{path}?{name}={value}");
            }

            foreach (var injection in Injections.Where(i => i.Length is > 0 and <= 64 && !i.Any(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c))))
            {
                // Legal as a filter value: must not widen the query.
                yield return Get(endpoint, $"campaign = {Describe(injection)}", $"{path}?campaign={Uri.EscapeDataString(injection)}",
                    SweepExpectation.ProblemOrNoLeak);
            }
        }

        foreach (var (name, value) in new[]
                 {
                     ("limit", "0"), ("limit", "-5"), ("limit", "100000"), ("limit", "abc"), ("q", "abc"), ("q", "%27%20or%201%3D1"),
                     ("q", new string('9', 40)), ("continuation", "eyJ9"), ("continuation", "!!!"), ("continuation", new string('A', 4000)),
                     ("continuation", Uri.EscapeDataString(Convert.ToBase64String("c1:c|1' or ''='"u8))), ("campaign", "a%2Fb"),
                     ("campaign", "%0A"), ("campaign", new string('c', 65)),
                 })
        {
            yield return Get("callers", $"{name} = {value[..Math.Min(30, value.Length)]}", $"api/callers?{name}={value}");
        }

        foreach (var value in new[] { "yesterday", "2026-02-30", "%27" })
        {
            yield return new HostileRequest($"rebuild from = {value}", "rebuild", HttpMethod.Post, $"api/reports/rebuild?from={value}", [], "application/json",
                null, SweepExpectation.Problem);
        }

        yield return new HostileRequest("rebuild ten-year range", "rebuild", HttpMethod.Post, "api/reports/rebuild?from=2016-01-01&to=2026-01-01", [],
            "application/json", null, SweepExpectation.Problem);

        foreach (var trick in PathTricks)
        {
            var routeMayNotMatch = trick.Contains("%2F", StringComparison.OrdinalIgnoreCase) || trick.Contains("%5C", StringComparison.OrdinalIgnoreCase)
                || trick.StartsWith('.') || trick.StartsWith("%2e", StringComparison.OrdinalIgnoreCase) || trick.Contains("%0", StringComparison.Ordinal)
                || trick.Contains("%3F", StringComparison.OrdinalIgnoreCase) || trick.Contains("%23", StringComparison.OrdinalIgnoreCase)
                || trick.Length > 1000 || trick.StartsWith("%C0", StringComparison.Ordinal) || trick == "%20";
            var id = TrickId(trick);
            yield return Get("stats", $"campaign id {trick[..Math.Min(40, trick.Length)]}", $"api/campaigns/{id}/stats",
                routeMayNotMatch: routeMayNotMatch, tooBig: trick.Length > 1000);
            yield return Get("deliveries", $"call id {trick[..Math.Min(40, trick.Length)]}", $"api/calls/{id}/deliveries",
                routeMayNotMatch: routeMayNotMatch, tooBig: trick.Length > 1000);
        }
    }

    private static string Describe(string value)
    {
        var shown = value.Length > 24 ? value[..24] + $"…({value.Length})" : value;
        var escaped = new StringBuilder();
        foreach (var c in shown)
        {
            escaped.Append(char.IsControl(c) || char.IsSurrogate(c) || c is '\u202E' or '\ufeff' ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return "\"" + escaped + "\"";
    }
}

using System.Text.Json;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Simulator;
using CallTracking.Simulator.Sweep;
using CallTracking.Tests.Sweep;
using Microsoft.Extensions.Options;
using Xunit;

namespace CallTracking.Tests.Simulator;

public class HostileRequestGeneratorTests
{
    private const string Marker = "swp-test";

    private static readonly CampaignValidator Validator = new(Options.Create(new CallTrackingOptions()));

    private static readonly List<HostileRequest> Requests =
        new HostileRequestGenerator(new VonageRequestSigner("s", "k"), Marker, "swp-seed-campaign").Generate().ToList();

    [Fact]
    public void Covers_every_http_function_with_over_a_thousand_requests()
    {
        var requests = new HostileRequestGenerator(new VonageRequestSigner("s", "k"), "swp-test").Generate().ToList();

        Assert.True(requests.Count >= 1000, $"only {requests.Count} requests");
        Assert.Equal(
            ["answer", "callers", "calls", "calls.csv", "campaigns", "deliveries", "event", "fallback", "rebuild", "recording", "replay", "stats", "whisper"],
            requests.Select(r => r.Endpoint).Distinct().Order());
        Assert.Contains(requests, r => r.Body is { Length: >= 5 * 1024 * 1024 });
        Assert.Contains(requests, r => r.Endpoint == "event" && r.Name.StartsWith("forged: expired", StringComparison.Ordinal));
        Assert.All(requests.GroupBy(r => (r.Endpoint, r.Method, r.Name)), g => Assert.Single(g));
    }

    /// <summary>
    /// Issue 11, item 7: the sweep sends its requests concurrently, so none may create what another's expectation
    /// depends on. Each campaign write owns its campaign ids and tracking numbers; no read targets an id a write carries;
    /// no write takes a number the sweep's seed campaign holds or the call-control requests dial; no deliveries lookup
    /// names a call a webhook request could record.
    /// </summary>
    [Fact]
    public void No_request_can_create_what_another_requests_expectation_depends_on()
    {
        var writes = Requests.Where(IsCampaignWrite).ToList();
        var owners = new Dictionary<string, HostileRequest>(StringComparer.Ordinal);
        var shared = new List<string>();
        foreach (var write in writes)
        {
            foreach (var value in CampaignIds(write).Select(id => "id " + id).Concat(TrackingNumbers(write).Select(n => "number " + n)).Distinct())
            {
                if (owners.TryGetValue(value, out var owner) && owner != write)
                {
                    shared.Add($"{value}: [{owner}] and [{write}]");
                }

                owners.TryAdd(value, write);
            }
        }

        // (An empty id is none: it can be neither stored nor found.)
        var writtenIds = writes.SelectMany(CampaignIds).Where(id => id.Length > 0).ToHashSet(StringComparer.Ordinal);
        var readIds = Requests.Where(r => !IsCampaignWrite(r)).SelectMany(CampaignsRead).Where(id => id.Length > 0).ToList();
        // Numbers compared as the app reads them (a string that is no number claims and dials nothing).
        var writtenNumbers = writes.SelectMany(TrackingNumbers).Select(n => E164.TryNormalize(n, "US", out var e164) ? e164 : null)
            .OfType<string>().ToHashSet(StringComparer.Ordinal);
        var dialled = Requests.Where(r => r.Endpoint is "answer" or "whisper" or "fallback")
            .SelectMany(r => Values(r, "to")).Select(E164.FromVonage).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var callIds = Requests.Where(r => r.Endpoint is "answer" or "whisper" or "fallback" or "event" or "recording")
            .SelectMany(r => Values(r, "conversation_uuid").Concat(Values(r, "uuid"))).ToHashSet(StringComparer.Ordinal);
        var deliveries = Requests.Where(r => r.Endpoint == "deliveries").Select(r => Segment(r, 2)).ToList();

        Assert.True(writes.Count > 250, $"only {writes.Count} campaign writes");
        Assert.True(readIds.Count > 100, $"only {readIds.Count} campaign reads");
        Assert.True(shared.Count == 0, string.Join("\n", shared));
        Assert.DoesNotContain(readIds, writtenIds.Contains);
        Assert.DoesNotContain(BadInputSweepTests.SeedTrackingNumber, writtenNumbers);
        Assert.Contains("+442079460999", dialled);
        Assert.DoesNotContain(writtenNumbers, dialled.Contains);
        Assert.DoesNotContain(deliveries, callIds.Contains);
    }

    /// <summary>
    /// The bad-input sweep expects every campaign write to be refused for what it holds, never because another request
    /// got there first: the app's own parser and validator refuse each one before anything would be stored.
    /// </summary>
    [Fact]
    public void Every_campaign_write_is_invalid_input_by_itself()
    {
        var writes = Requests.Where(IsCampaignWrite).ToList();

        Assert.Empty(writes.Where(IsValidInput).Select(r => r.ToString()));
        // The flaky case: "<marker>trailing-" is a legal id, so no PUT creates it (and its GET and DELETE find nothing).
        Assert.DoesNotContain(Requests, r => r.Method == HttpMethod.Put && r.PathAndQuery.EndsWith("trailing-", StringComparison.Ordinal));
        Assert.Contains(Requests, r => r.Method == HttpMethod.Get && r.PathAndQuery == $"api/campaigns/{Marker}trailing-");
        Assert.Contains(Requests, r => r.Method == HttpMethod.Put && r.PathAndQuery.StartsWith($"api/campaigns/-leading{Marker}-put", StringComparison.Ordinal));
    }

    [Fact]
    public void The_generators_id_rule_is_the_validators()
    {
        var samples = Requests.Where(r => r.Endpoint is "campaigns" or "stats").SelectMany(r => CampaignIds(r).Concat(CampaignsRead(r)))
            .Concat(HostileRequestGenerator.Injections.Select(i => Marker + i))
            .Concat(HostileRequestGenerator.PathTricks.Select(t => Uri.UnescapeDataString(t)))
            .Concat(["a", "-a", "a-", "ab c", " padded ", "", new string('a', 64), new string('a', 65)])
            .Distinct().ToList();

        Assert.All(samples, id => Assert.True(
            HostileRequestGenerator.IsLegalCampaignId(id) == CampaignValidator.IsValidId(id), $"disagree on '{id}'"));
        Assert.Contains(samples, HostileRequestGenerator.IsLegalCampaignId);
    }

    private static bool IsCampaignWrite(HostileRequest request) =>
        request.Endpoint == "campaigns" && (request.Method == HttpMethod.Put || request.Method == HttpMethod.Post);

    /// <summary>What <c>CampaignAdmin</c> would do with the write short of storing it: true when nothing refuses it.</summary>
    private static bool IsValidInput(HostileRequest request)
    {
        if (request.Body is null)
        {
            return false;
        }

        try
        {
            if (request.Method == HttpMethod.Post)
            {
                var parsed = CampaignImport.Parse(request.Body);
                if (parsed.Errors.Count > 0 || parsed.Items.Count is 0 or > CampaignAdmin.MaxImportSize)
                {
                    return false;
                }

                Validator.ValidateBatch(parsed.Items);
                return true;
            }

            // As CampaignAdmin.PutAsync reads a PUT: one object; a body id must match the route's; the route's id is used.
            var routeId = Segment(request, 2);
            using var document = JsonDocument.Parse(request.Body);
            if (!CampaignImport.TryRead(document.RootElement, FieldNames.Root, [], out var input) || input is null
                || (input.Id is { } bodyId && bodyId.Trim() != routeId))
            {
                return false;
            }

            Validator.Validate(input with { Id = routeId });
            return true;
        }
        catch (Exception ex) when (ex is JsonException or ValidationException)
        {
            return false;
        }
    }

    /// <summary>The campaign ids a write would store: the PUT's route id and every id in the body.</summary>
    private static IEnumerable<string> CampaignIds(HostileRequest request)
    {
        if (!IsCampaignWrite(request))
        {
            return [];
        }

        var fromRoute = request.Method == HttpMethod.Put ? [Segment(request, 2).Trim()] : Array.Empty<string>();
        return fromRoute.Concat(BodyStrings(request, "id").Select(id => id.Trim()));
    }

    private static IEnumerable<string> TrackingNumbers(HostileRequest request) => BodyStrings(request, "trackingNumber");

    /// <summary>The campaign ids a read looks up: GET and DELETE of a campaign, its stats, and a campaign filter.</summary>
    private static IEnumerable<string> CampaignsRead(HostileRequest request)
    {
        var id = request.PathAndQuery.Split('?')[0].Split('/') switch
        {
            ["api", "campaigns", var single] when single != "import" => single,
            ["api", "campaigns", var ofStats, "stats"] => ofStats,
            _ => null,
        };
        if (id is not null)
        {
            yield return Uri.UnescapeDataString(id).Trim();
        }

        foreach (var campaign in Values(request, "campaign"))
        {
            yield return campaign.Trim();
        }
    }

    private static string Segment(HostileRequest request, int index) => Uri.UnescapeDataString(request.PathAndQuery.Split('?')[0].Split('/')[index]);

    /// <summary>A field's string values in the query and in the JSON body (an object, or an array of objects).</summary>
    private static IEnumerable<string> Values(HostileRequest request, string name)
    {
        var query = request.PathAndQuery.Split('?', 2);
        var fromQuery = query.Length < 2 ? [] : query[1].Split('&').Select(p => p.Split('=', 2))
            .Where(p => p[0] == name && p.Length == 2).Select(p => Uri.UnescapeDataString(p[1]));
        return fromQuery.Concat(BodyStrings(request, name));
    }

    private static List<string> BodyStrings(HostileRequest request, string name)
    {
        var found = new List<string>();
        if (request.Body is null)
        {
            return found;
        }

        try
        {
            using var document = JsonDocument.Parse(request.Body);
            var root = document.RootElement;
            var objects = root.ValueKind == JsonValueKind.Array ? root.EnumerateArray().ToList() : [root];
            found.AddRange(objects.Where(o => o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String)
                .Select(o => o.GetProperty(name).GetString()!));
        }
        catch (JsonException)
        {
            // not JSON: stores nothing
        }

        return found;
    }
}

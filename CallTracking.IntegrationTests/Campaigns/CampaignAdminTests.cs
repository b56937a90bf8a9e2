using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Campaigns;

[Collection(AzuriteCollection.Name)]
public class CampaignAdminTests(AzuriteFixture azurite)
{
    private static byte[] Json(object value) => JsonSerializer.SerializeToUtf8Bytes(value, JsonDefaults.Options);

    private static CampaignInput NewInput(string? id = null) => new()
    {
        Id = id ?? TestServices.UniqueId("adm"),
        Name = "Admin test",
        TrackingNumber = TestNumbers.UkMobile(),
        AgentNumber = TestNumbers.London(),
    };

    /// <summary>Every row whose key mentions the id or the number: nothing at all must exist after a rejected write.</summary>
    private async Task<int> RowsAboutAsync(params string[] keys)
    {
        var table = azurite.TableService().GetTableClient(StorageNames.CampaignsTable);
        await table.CreateIfNotExistsAsync();
        var count = 0;
        await foreach (var row in table.QueryAsync<TableEntity>(r => r.PartitionKey == CampaignStore.Partition))
        {
            if (keys.Any(k => row.RowKey.EndsWith("|" + k, StringComparison.Ordinal)))
            {
                count++;
            }
        }

        return count;
    }

    [Fact]
    public async Task The_sample_file_imports_in_the_seed_shape()
    {
        await using var services = TestServices.Create(azurite);
        var admin = services.GetRequiredService<CampaignAdmin>();
        var body = await File.ReadAllBytesAsync(RepositoryPaths.Combine("campaigns.sample.json"));

        var first = await admin.ImportAsync(body);
        var again = await admin.ImportAsync(body);

        Assert.Equal(3, first.Count);
        Assert.All(again, s => Assert.False(s.Created)); // re-importing updates, never duplicates
        var spring = await admin.GetAsync("spring-sale-tv");
        Assert.NotNull(spring);
        Assert.Equal("+447700900001", spring.TrackingNumber);
        Assert.Equal("+447700900100", spring.AgentNumber);
        Assert.StartsWith("Thanks for calling", spring.RecordingNotice?.Text, StringComparison.Ordinal);
        Assert.True(spring.RecordCalls);
        Assert.True(spring.IsActive);
        var radio = await admin.GetAsync("radio-ad-san-francisco");
        Assert.Equal("https://example.com/audio/welcome.mp3", radio?.RecordingNotice?.AudioUrl);
        Assert.Equal("+14155550001", radio?.TrackingNumber);
        var winter = await admin.GetAsync("winter-catalogue-2025");
        Assert.False(winter?.IsActive);
        Assert.Null(winter?.RecordingNotice);
        Assert.Equal("spring-sale-tv", (await services.GetRequiredService<CampaignStore>().FindByTrackingNumberAsync("+447700900001"))?.Id);
    }

    [Fact]
    public async Task A_seed_shaped_file_maps_names_to_slugs_and_numbers_to_E164()
    {
        await using var services = TestServices.Create(azurite);
        var admin = services.GetRequiredService<CampaignAdmin>();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (a, b) = (TestNumbers.UkMobile(), TestNumbers.UkMobile());
        var seed = $$"""
            {"_default": {
              "1": {"name": "Café Deals {{suffix}}", "inbound_number": "{{a[1..]}}", "redirect_number": "{{TestNumbers.London()[1..]}}", "welcome_message": "Hello there", "is_active": true},
              "2": {"name": "Café  deals {{suffix}}!", "inbound_number": {{b[1..]}}, "redirect_number": "{{TestNumbers.London()}}", "is_active": false}
              }
            }
            """;

        var saved = await admin.ImportAsync(Encoding.UTF8.GetBytes(seed));

        Assert.Equal([$"cafe-deals-{suffix}", $"cafe-deals-{suffix}-2"], saved.Select(s => s.Campaign.Id));
        Assert.Equal(a, saved[0].Campaign.TrackingNumber);
        Assert.Equal(b, saved[1].Campaign.TrackingNumber); // a JSON number is still a number
        Assert.Equal("Hello there", saved[0].Campaign.RecordingNotice?.Text);
        Assert.False(saved[1].Campaign.IsActive);
    }

    [Fact]
    public async Task A_seed_file_with_one_bad_item_writes_nothing_and_names_the_seed_field()
    {
        await using var services = TestServices.Create(azurite);
        var admin = services.GetRequiredService<CampaignAdmin>();
        var name = "Good " + Guid.NewGuid().ToString("N")[..8];
        var good = TestNumbers.UkMobile();
        var seed = $$"""
            {"_default": {
              "1": {"name": "{{name}}", "inbound_number": "{{good[1..]}}", "redirect_number": "{{TestNumbers.London()[1..]}}", "welcome_message": "", "is_active": true},
              "2": {"name": "Bad", "inbound_number": "{{TestNumbers.UkMobile()[1..]}}", "redirect_number": "call me", "welcome_message": "welcome.mp3", "is_active": "yes"}
              }
            }
            """;

        var ex = await Assert.ThrowsAsync<ValidationException>(() => admin.ImportAsync(Encoding.UTF8.GetBytes(seed)));

        var fields = ex.Errors.Select(e => e.Field).ToList();
        Assert.Contains("_default.2.welcome_message", fields);
        Assert.Contains("_default.2.is_active", fields);
        Assert.Contains("_default.2.redirect_number", fields); // every bad field of the item, not only the first
        Assert.Contains("audioBaseUrl", ex.Errors.Single(e => e.Field == "_default.2.welcome_message").Message, StringComparison.Ordinal);
        Assert.Equal(0, await RowsAboutAsync(CampaignImport.Slug(name), good));
    }

    [Fact]
    public async Task A_seed_file_with_a_bad_number_names_the_seed_field()
    {
        await using var services = TestServices.Create(azurite);
        var admin = services.GetRequiredService<CampaignAdmin>();
        var seed = """{"_default": {"7": {"name": "X", "inbound_number": "447700900001", "redirect_number": "call me"}}}""";

        var ex = await Assert.ThrowsAsync<ValidationException>(() => admin.ImportAsync(Encoding.UTF8.GetBytes(seed)));

        Assert.Equal("_default.7.redirect_number", Assert.Single(ex.Errors).Field);
    }

    [Fact]
    public async Task An_array_with_one_invalid_item_writes_nothing()
    {
        await using var services = TestServices.Create(azurite);
        var admin = services.GetRequiredService<CampaignAdmin>();
        var good = NewInput();
        var bad = NewInput() with { AgentNumber = "not a phone" };
        var typed = new { id = TestServices.UniqueId("typed"), name = "x", trackingNumber = TestNumbers.UkMobile(), agentNumber = TestNumbers.London(), isActive = "yes" };

        var ex = await Assert.ThrowsAsync<ValidationException>(() => admin.ImportAsync(Json(new object[] { good, bad, typed })));

        Assert.Equal(["[1].agentNumber", "[2].isActive"], ex.Errors.Select(e => e.Field).Order());
        Assert.Equal(0, await RowsAboutAsync(good.Id!, good.TrackingNumber!, typed.id));
    }

    [Fact]
    public async Task Duplicate_tracking_numbers_in_one_import_name_both_items()
    {
        await using var services = TestServices.Create(azurite);
        var admin = services.GetRequiredService<CampaignAdmin>();
        var first = NewInput();
        var second = NewInput() with { TrackingNumber = first.TrackingNumber };

        var ex = await Assert.ThrowsAsync<ValidationException>(() => admin.ImportAsync(Json(new[] { first, second })));

        Assert.Equal(["[0].trackingNumber", "[1].trackingNumber"], ex.Errors.Select(e => e.Field).Order());
        Assert.Equal(0, await RowsAboutAsync(first.Id!, second.Id!, first.TrackingNumber!));
    }

    [Fact]
    public async Task An_import_larger_than_the_cap_is_rejected_whole()
    {
        await using var services = TestServices.Create(azurite);
        var admin = services.GetRequiredService<CampaignAdmin>();
        var inputs = Enumerable.Range(0, CampaignAdmin.MaxImportSize + 1).Select(_ => NewInput()).ToArray();

        var ex = await Assert.ThrowsAsync<ValidationException>(() => admin.ImportAsync(Json(inputs)));

        Assert.Equal("$", Assert.Single(ex.Errors).Field);
        Assert.Equal(0, await RowsAboutAsync(inputs[0].Id!, inputs[^1].Id!));
    }

    [Fact]
    public async Task Thirty_three_campaigns_import_in_one_transaction()
    {
        await using var services = TestServices.Create(azurite);
        var admin = services.GetRequiredService<CampaignAdmin>();
        var inputs = Enumerable.Range(0, 33).Select(_ => NewInput()).ToArray();

        var saved = await admin.ImportAsync(Json(inputs));

        Assert.Equal(33, saved.Count);
        Assert.Equal(33 * 2, await RowsAboutAsync(inputs.SelectMany(i => new[] { i.Id!, i.TrackingNumber! }).ToArray()));
    }

    [Fact]
    public async Task A_hundred_campaigns_import_in_chunks_and_reimport_updates()
    {
        await using var services = TestServices.Create(azurite);
        var admin = services.GetRequiredService<CampaignAdmin>();
        var inputs = Enumerable.Range(0, 100).Select(_ => NewInput()).ToArray();

        var saved = await admin.ImportAsync(Json(inputs));
        var again = await admin.ImportAsync(Json(inputs));

        Assert.Equal(100, saved.Count(s => s.Created));
        Assert.All(again, s => Assert.False(s.Created));
        Assert.Equal(100 * 2, await RowsAboutAsync(inputs.SelectMany(i => new[] { i.Id!, i.TrackingNumber! }).ToArray()));
    }

    [Fact]
    public async Task A_chunked_import_with_a_taken_number_in_a_late_chunk_writes_nothing()
    {
        await using var services = TestServices.Create(azurite);
        var admin = services.GetRequiredService<CampaignAdmin>();
        var owner = NewInput();
        await admin.PutAsync(owner.Id!, Json(owner));
        var inputs = Enumerable.Range(0, 80).Select(_ => NewInput()).ToArray();
        inputs[75] = inputs[75] with { TrackingNumber = owner.TrackingNumber };

        var ex = await Assert.ThrowsAsync<CampaignConflictException>(() => admin.ImportAsync(Json(inputs)));

        Assert.Equal("trackingNumber", ex.Field);
        Assert.Equal(0, await RowsAboutAsync(inputs.Select(i => i.Id!).ToArray()));
        Assert.Equal(owner.Id, (await services.GetRequiredService<CampaignStore>().FindByTrackingNumberAsync(owner.TrackingNumber!))?.Id);
    }

    [Fact]
    public async Task The_tutorials_file_name_and_site_path_join_the_audio_base_url()
    {
        await using var services = TestServices.Create(azurite);
        var admin = services.GetRequiredService<CampaignAdmin>();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var seed = $$"""
            {"_default": {
              "1": {"name": "Bare {{suffix}}", "inbound_number": "{{TestNumbers.UkMobile()[1..]}}", "redirect_number": "{{TestNumbers.London()[1..]}}", "welcome_message": "calls-recorded.mp3", "is_active": true},
              "2": {"name": "Path {{suffix}}", "inbound_number": "{{TestNumbers.UkMobile()[1..]}}", "redirect_number": "{{TestNumbers.London()[1..]}}", "welcome_message": "/static/audio/calls-recorded.mp3", "is_active": true}
              }
            }
            """;

        var saved = await admin.ImportAsync(Encoding.UTF8.GetBytes(seed), "https://cdn.example.com/audio/");

        Assert.Equal("https://cdn.example.com/audio/calls-recorded.mp3", saved[0].Campaign.RecordingNotice?.AudioUrl);
        Assert.Equal("https://cdn.example.com/static/audio/calls-recorded.mp3", saved[1].Campaign.RecordingNotice?.AudioUrl);
    }

    [Fact]
    public async Task The_audio_base_setting_is_used_and_the_query_wins()
    {
        await using var services = TestServices.Create(azurite, new Dictionary<string, string?> { ["CallTracking__AudioBaseUrl"] = "https://setting.example.com/a" });
        var admin = services.GetRequiredService<CampaignAdmin>();
        var first = NewInput() with { RecordingNotice = new RecordingNoticeInput { AudioUrl = "hello.mp3" } };
        var second = NewInput() with { RecordingNotice = new RecordingNoticeInput { AudioUrl = "hello.mp3" } };

        var bySetting = await admin.ImportAsync(Json(new[] { first }));
        var byQuery = await admin.ImportAsync(Json(new[] { second }), "https://query.example.com/b/");

        Assert.Equal("https://setting.example.com/a/hello.mp3", bySetting[0].Campaign.RecordingNotice?.AudioUrl);
        Assert.Equal("https://query.example.com/b/hello.mp3", byQuery[0].Campaign.RecordingNotice?.AudioUrl);
    }

    [Fact]
    public async Task A_malformed_audio_base_url_is_a_400_naming_it()
    {
        await using var services = TestServices.Create(azurite);
        var admin = services.GetRequiredService<CampaignAdmin>();
        var input = NewInput();

        var ex = await Assert.ThrowsAsync<ValidationException>(() => admin.ImportAsync(Json(new[] { input }), "ftp://nope/"));

        Assert.Equal("audioBaseUrl", Assert.Single(ex.Errors).Field);
        Assert.Equal(0, await RowsAboutAsync(input.Id!));
    }

    [Fact]
    public async Task A_relative_audio_url_without_a_base_names_the_field_and_the_fix()
    {
        await using var services = TestServices.Create(azurite);
        var admin = services.GetRequiredService<CampaignAdmin>();
        var input = NewInput() with { RecordingNotice = new RecordingNoticeInput { AudioUrl = "/static/hello.mp3" }, AgentNumber = "nope" };

        var ex = await Assert.ThrowsAsync<ValidationException>(() => admin.ImportAsync(Json(new[] { input })));

        var notice = ex.Errors.Single(e => e.Field == "[0].recordingNotice.audioUrl");
        Assert.Contains("CallTracking__AudioBaseUrl", notice.Message, StringComparison.Ordinal);
        Assert.Contains(ex.Errors, e => e.Field == "[0].agentNumber");
    }

    [Fact]
    public async Task Put_with_bad_input_names_the_field_and_writes_nothing()
    {
        await using var services = TestServices.Create(azurite);
        var admin = services.GetRequiredService<CampaignAdmin>();
        var input = NewInput() with { BusinessHours = new BusinessHoursInput { TimeZone = "Europe/Nowhere" } };

        var ex = await Assert.ThrowsAsync<ValidationException>(() => admin.PutAsync(input.Id!, Json(input)));

        Assert.Equal("businessHours.timeZone", Assert.Single(ex.Errors).Field);
        Assert.Equal(0, await RowsAboutAsync(input.Id!, input.TrackingNumber!));
    }

    [Theory]
    [InlineData("not json", "$")]
    [InlineData("[]", "$")]
    [InlineData("""{"ringTimeoutSeconds":"soon"}""", "ringTimeoutSeconds")]
    public async Task Put_with_an_unreadable_body_names_where(string body, string field)
    {
        await using var services = TestServices.Create(azurite);
        var admin = services.GetRequiredService<CampaignAdmin>();

        var ex = await Assert.ThrowsAsync<ValidationException>(() => admin.PutAsync("x", Encoding.UTF8.GetBytes(body)));

        Assert.Contains(field, ex.Errors.Select(e => e.Field));
    }

    [Fact]
    public async Task Put_body_id_must_match_the_route()
    {
        await using var services = TestServices.Create(azurite);
        var admin = services.GetRequiredService<CampaignAdmin>();
        var input = NewInput();

        var ex = await Assert.ThrowsAsync<ValidationException>(() => admin.PutAsync("other-id", Json(input)));

        Assert.Equal("id", Assert.Single(ex.Errors).Field);
        var created = await admin.PutAsync(input.Id!, Json(input with { Id = null }));
        Assert.True(created.Created);
        Assert.Equal(input.Id, created.Campaign.Id);
    }

    [Fact]
    public async Task A_tracking_number_owned_by_another_campaign_is_a_conflict()
    {
        await using var services = TestServices.Create(azurite);
        var admin = services.GetRequiredService<CampaignAdmin>();
        var owner = NewInput();
        await admin.PutAsync(owner.Id!, Json(owner));
        var intruder = NewInput() with { TrackingNumber = owner.TrackingNumber };

        var ex = await Assert.ThrowsAsync<CampaignConflictException>(() => admin.PutAsync(intruder.Id!, Json(intruder)));

        Assert.Equal("trackingNumber", ex.Field);
        Assert.Null(await admin.GetAsync(intruder.Id!));
    }

    [Fact]
    public async Task Admin_writes_invalidate_the_answer_cache()
    {
        await using var services = TestServices.Create(azurite);
        var admin = services.GetRequiredService<CampaignAdmin>();
        var directory = services.GetRequiredService<CampaignDirectory>();
        var input = NewInput();
        await admin.PutAsync(input.Id!, Json(input));
        Assert.Equal("+" + TestNumbers.Digits(input.AgentNumber!), (await directory.FindByTrackingNumberAsync(input.TrackingNumber!))?.AgentNumber);

        var newAgent = TestNumbers.London();
        await admin.PutAsync(input.Id!, Json(input with { AgentNumber = newAgent }));
        Assert.Equal(newAgent, (await directory.FindByTrackingNumberAsync(input.TrackingNumber!))?.AgentNumber);

        Assert.True(await admin.DeleteAsync(input.Id!));
        Assert.Null(await directory.FindByTrackingNumberAsync(input.TrackingNumber!));
        Assert.False(await admin.DeleteAsync(input.Id!));
        Assert.Null(await admin.GetAsync("../not-an-id"));
    }
}

using System.Text.Json;
using CallTracking.Functions.Common;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Campaigns;

/// <summary>The campaign admin API's domain side: validate, store atomically, invalidate this process's cache.</summary>
public sealed class CampaignAdmin(CampaignStore store, CampaignValidator validator, CampaignDirectory directory,
    IOptions<CallTrackingOptions> options, WhenBusyAgents whenBusyAgents)
{
    /// <summary>
    /// The most campaigns one import may hold. Up to 33 (× 3 row operations) are one entity-group transaction; more
    /// are written in several, checked first and undone on failure (<see cref="CampaignStore.SaveAsync"/>). The cap
    /// bounds one request's reads and writes (about 3 table reads per campaign) well inside the HTTP timeout.
    /// </summary>
    public const int MaxImportSize = 1000;

    public Task<IReadOnlyList<Campaign>> ListAsync(CancellationToken cancellationToken = default) => store.ListAsync(cancellationToken);

    /// <summary>Null when no such campaign (or the id cannot be one).</summary>
    public async Task<Campaign?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        CampaignValidator.IsValidId(id) ? await store.GetAsync(id, cancellationToken) : null;

    /// <summary>Creates or replaces campaign <paramref name="id"/> from a JSON body of our own shape.</summary>
    /// <exception cref="ValidationException">Names each bad field; nothing was written.</exception>
    /// <exception cref="CampaignConflictException">The tracking number belongs to another campaign.</exception>
    public async Task<(Campaign Campaign, bool Created)> PutAsync(string id, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        var input = ReadObject(body);
        if (input.Id is { } bodyId && !string.Equals(bodyId.Trim(), id, StringComparison.Ordinal))
        {
            throw new ValidationException("id", $"The body's id '{bodyId}' does not match the URL's id '{id}'.");
        }

        var campaign = validator.Validate(input with { Id = id });
        var saved = await SaveAsync([campaign], cancellationToken);
        return saved[0];
    }

    /// <summary>False when it did not exist.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        if (!CampaignValidator.IsValidId(id))
        {
            return false;
        }

        var deleted = await store.DeleteAsync(id, cancellationToken);
        directory.Invalidate(id);
        whenBusyAgents.Invalidate();
        return deleted;
    }

    /// <summary>
    /// Imports a JSON array of our own shape or the Flask seed's TinyDB file (<see cref="CampaignImport"/>).
    /// Every item is validated before anything is written; then all are written in one transaction.
    /// </summary>
    /// <exception cref="ValidationException">Names each bad field of each item; nothing was written.</exception>
    /// <exception cref="CampaignConflictException">A tracking number belongs to another campaign; nothing was written.</exception>
    /// <param name="body">The file.</param>
    /// <param name="audioBaseUrl">The import's <c>audioBaseUrl</c>; when empty, <c>CallTracking__AudioBaseUrl</c>.</param>
    /// <param name="cancellationToken">Cancels.</param>
    public async Task<IReadOnlyList<(Campaign Campaign, bool Created)>> ImportAsync(ReadOnlyMemory<byte> body, string? audioBaseUrl = null,
        CancellationToken cancellationToken = default)
    {
        var audioBase = AudioBase(audioBaseUrl);
        var parsed = CampaignImport.Parse(body, audioBase);
        var errors = new List<FieldError>(parsed.Errors);
        IReadOnlyList<Campaign> campaigns = [];
        try
        {
            campaigns = validator.ValidateBatch(parsed.Items);
        }
        catch (ValidationException ex)
        {
            errors.AddRange(ex.Errors);
        }

        if (errors.Count == 0 && parsed.Items.Count == 0)
        {
            errors.Add(new FieldError("$", "The import holds no campaigns."));
        }

        if (parsed.Items.Count > MaxImportSize)
        {
            errors.Add(new FieldError("$", $"At most {MaxImportSize} campaigns per import; this one has {parsed.Items.Count}. Split it."));
        }

        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }

        return await SaveAsync(campaigns, cancellationToken);
    }

    /// <summary>The query's base URL, else the setting's; a malformed one is refused naming where it came from.</summary>
    private Uri? AudioBase(string? query)
    {
        var (value, field) = string.IsNullOrWhiteSpace(query)
            ? (options.Value.AudioBaseUrl, "CallTracking__AudioBaseUrl")
            : (query, "audioBaseUrl");
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return CampaignImport.AudioBase(value)
            ?? throw new ValidationException(field, "Must be an absolute http(s) URL of a folder, e.g. https://cdn.example.com/audio/ (no query).");
    }

    private async Task<IReadOnlyList<(Campaign Campaign, bool Created)>> SaveAsync(IReadOnlyList<Campaign> campaigns, CancellationToken cancellationToken)
    {
        try
        {
            return await store.SaveAsync(campaigns, cancellationToken);
        }
        finally
        {
            // Also after a failure: a concurrent writer may have changed what we had cached.
            foreach (var campaign in campaigns)
            {
                directory.Invalidate(campaign.Id, campaign.TrackingNumber);
            }

            whenBusyAgents.Invalidate();
        }
    }

    private static CampaignInput ReadObject(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new ValidationException("$", $"Not valid JSON: {ex.Message}");
        }

        using (document)
        {
            var errors = new List<FieldError>();
            if (!CampaignImport.TryRead(document.RootElement, FieldNames.Root, errors, out var input) || input is null)
            {
                throw new ValidationException(errors.Count > 0 ? errors : [new FieldError("$", "A campaign object is required.")]);
            }

            return input;
        }
    }
}

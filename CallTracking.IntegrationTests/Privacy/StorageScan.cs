using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using CallTracking.Tests.Infrastructure;

namespace CallTracking.Tests.Privacy;

/// <summary>Every table row and blob of the account that holds a string (a phone number's digits), wherever in it.</summary>
public static class StorageScan
{
    public sealed record Hit(string Store, string Partition, string Row);

    public static async Task<List<Hit>> FindAsync(AzuriteFixture azurite, string text)
    {
        var hits = new List<Hit>();
        var tables = azurite.TableService();
        await foreach (var table in tables.QueryAsync())
        {
            await foreach (var row in tables.GetTableClient(table.Name).QueryAsync<TableEntity>())
            {
                var all = new StringBuilder().Append(row.PartitionKey).Append('|').Append(row.RowKey);
                foreach (var (_, value) in row)
                {
                    all.Append('|').Append(value switch
                    {
                        byte[] bytes => Encoding.UTF8.GetString(bytes),
                        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
                    });
                }

                if (all.ToString().Contains(text, StringComparison.Ordinal))
                {
                    hits.Add(new Hit(table.Name, row.PartitionKey, row.RowKey));
                }
            }
        }

        var blobs = azurite.BlobService();
        await foreach (var container in blobs.GetBlobContainersAsync())
        {
            var client = blobs.GetBlobContainerClient(container.Name);
            await foreach (var blob in client.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Traits = Azure.Storage.Blobs.Models.BlobTraits.Metadata }))
            {
                var all = blob.Name + "|" + string.Join('|', blob.Metadata.Select(m => m.Key + "=" + m.Value));
                if (blob.Properties.ContentLength < 1024 * 1024)
                {
                    all += "|" + Encoding.Latin1.GetString((await client.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray());
                }

                if (all.Contains(text, StringComparison.Ordinal))
                {
                    hits.Add(new Hit("blob:" + container.Name, "", blob.Name));
                }
            }
        }

        return hits;
    }
}

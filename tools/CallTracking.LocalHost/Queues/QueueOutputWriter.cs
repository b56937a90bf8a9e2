using System.Text.Json;
using CallTracking.LocalHost.Functions;
using CallTracking.LocalHost.Rpc;

namespace CallTracking.LocalHost.Queues;

/// <summary>
/// Writes a function's queue output bindings, as the host does: the value comes from the return value
/// (<c>$return</c>) or from the output named after the binding; a JSON array becomes one message per element.
/// </summary>
public sealed class QueueOutputWriter(QueueConnections connections)
{
    public async Task WriteAsync(FunctionDescriptor function, InvocationResponse response, CancellationToken cancellationToken)
    {
        foreach (var output in function.QueueOutputs)
        {
            var data = Find(response, output.Name);
            if (data is null || output.QueueName is null)
            {
                continue;
            }

            var messages = Messages(data);
            if (messages.Count == 0)
            {
                continue;
            }

            var queue = await connections.GetAsync(output.Connection ?? FunctionCatalog.DefaultConnection, output.QueueName, raw: false,
                cancellationToken);
            foreach (var message in messages)
            {
                await queue.SendMessageAsync(message, cancellationToken: cancellationToken);
            }
        }
    }

    /// <summary>The messages one output value stands for.</summary>
    public static IReadOnlyList<BinaryData> Messages(TypedData data)
    {
        switch (data.DataCase)
        {
            case TypedData.DataOneofCase.String:
                return [BinaryData.FromString(data.String)];
            case TypedData.DataOneofCase.Bytes:
                return [BinaryData.FromBytes(data.Bytes.ToByteArray())];
            case TypedData.DataOneofCase.Json:
                using (var document = JsonDocument.Parse(data.Json))
                {
                    var root = document.RootElement;
                    return root.ValueKind switch
                    {
                        JsonValueKind.Null => [],
                        JsonValueKind.Array => root.EnumerateArray().Where(e => e.ValueKind != JsonValueKind.Null).Select(Message).ToArray(),
                        _ => [Message(root)],
                    };
                }

            default:
                return [];
        }
    }

    private static BinaryData Message(JsonElement element) =>
        BinaryData.FromString(element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText());

    private static TypedData? Find(InvocationResponse response, string name)
    {
        if (name == OutputBinding.ReturnName)
        {
            return response.ReturnValue;
        }

        foreach (var output in response.OutputData)
        {
            if (output.Name == name)
            {
                return output.Data;
            }
        }

        return null;
    }
}

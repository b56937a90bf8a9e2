namespace CallTracking.Functions.Forwarding;

/// <summary>
/// A sink whose payload carries the call's recording (impact.com's <c>CallRecording</c>). When a recording reaches a
/// call after it was delivered, the forwarder sends the call to such a sink once more, as an update carrying it; the
/// ledger's <see cref="DeliveryRecord.SentRecordingUrl"/> makes that happen once per recording.
/// </summary>
public interface IRecordingSink
{
}

namespace CallTracking.Functions.Callbacks;

/// <summary>One <c>callbacks</c> queue message: place attempt <see cref="Attempt"/> of the callback of missed call <see cref="CallId"/>.</summary>
public sealed record CallbackMessage(string CallId, int Attempt);

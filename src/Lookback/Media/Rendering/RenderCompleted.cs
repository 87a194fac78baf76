namespace Lookback.Media.Rendering;

/// <summary>
/// A render finished (ok, error, busy or cancelled): the one way a render's outcome leaves the render service. The
/// queue publishes it once per request, before the returned task completes; the MQTT side announces it (the result
/// when the request has a <see cref="RenderRequest.Reply"/>, then the *_ready event), the moment store records it and
/// the uploads pick its files up. The returned task only answers the asker (the HTTP response, the motion event).
/// </summary>
public sealed record RenderCompleted(RenderRequest Request, RenderResult Result);

/// <summary>An MQTT asker's address: its MQTT 5 response topic and correlation data (both optional).</summary>
public sealed record ResultReply(string? ResponseTopic = null, byte[]? CorrelationData = null);

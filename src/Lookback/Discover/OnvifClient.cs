using System.Net.Http.Headers;
using System.Text;
using System.Xml.Linq;
using Lookback.Config;

namespace Lookback.Discover;

/// <summary>What one ONVIF device told: its media profiles (with URIs), or why it could not be read.</summary>
public sealed record OnvifDevice(string DeviceUrl, IReadOnlyList<OnvifProfile> Profiles, string? Error);

/// <summary>
/// Reads a device's profiles and their stream and snapshot URIs over ONVIF (SOAP 1.2 over HTTP POST): the clock
/// (GetSystemDateAndTime, for the UsernameToken's Created), the media service (GetCapabilities, else GetServices),
/// GetProfiles, then GetStreamUri and GetSnapshotUri per profile. Every request has <c>timeout</c>; answers are
/// capped at 1 MiB and parsed with <see cref="SafeXml"/>. Never throws for a device's fault: the error is in the result.
/// </summary>
public sealed class OnvifClient(HttpClient http, TimeSpan timeout)
{
    public async Task<OnvifDevice> ReadAsync(string deviceUrl, string? username, string? password, CancellationToken ct)
    {
        var shown = Redaction.Redact(deviceUrl);
        try
        {
            Func<XElement?> security = () => null;
            if (!string.IsNullOrEmpty(username))
            {
                var offset = TimeSpan.Zero;
                try
                {
                    var clock = OnvifMessages.ParseSystemDateAndTime(await PostAsync(deviceUrl, OnvifMessages.GetSystemDateAndTime(), ct), shown);
                    if (clock is { } c) offset = c - DateTimeOffset.UtcNow;
                }
                catch (DiscoverReplyException) { } // optional: stamp with our own clock
                security = () => UsernameToken.Header(username, password ?? "", DateTimeOffset.UtcNow + offset);
            }

            string? media;
            try { media = OnvifMessages.ParseCapabilitiesMedia(await PostAsync(deviceUrl, OnvifMessages.GetCapabilities(security()), ct), shown); }
            catch (DiscoverReplyException ex) when (ex.InnerException is null) // it answered, but not with capabilities
            {
                media = OnvifMessages.ParseServicesMedia(await PostAsync(deviceUrl, OnvifMessages.GetServices(security()), ct), shown);
            }
            if (media is null) return new OnvifDevice(deviceUrl, [], $"{shown}: the device names no media service");
            if (!Uri.TryCreate(media, UriKind.Absolute, out var mediaUri) || mediaUri.Scheme is not ("http" or "https"))
                return new OnvifDevice(deviceUrl, [], $"{shown}: media service address is not an http(s) URL");

            var profiles = OnvifMessages.ParseProfiles(await PostAsync(media, OnvifMessages.GetProfiles(security()), ct), Redaction.Redact(media));
            var done = new List<OnvifProfile>();
            foreach (var p in profiles)
            {
                var q = p;
                try
                {
                    q = q with { StreamUri = OnvifMessages.ParseMediaUri(await PostAsync(media, OnvifMessages.GetStreamUri(p.Token, security()), ct),
                        Soap.Trt + "GetStreamUriResponse", $"{Redaction.Redact(media)} profile {p.Token}") };
                }
                catch (DiscoverReplyException ex) { q = q with { Error = ex.Message }; }
                try
                {
                    q = q with { SnapshotUri = OnvifMessages.ParseMediaUri(await PostAsync(media, OnvifMessages.GetSnapshotUri(p.Token, security()), ct),
                        Soap.Trt + "GetSnapshotUriResponse", $"{Redaction.Redact(media)} profile {p.Token}") };
                }
                catch (DiscoverReplyException ex) { q = q with { Error = q.Error ?? ex.Message }; }
                done.Add(q);
            }
            return new OnvifDevice(deviceUrl, done, done.Count == 0 ? $"{shown}: the device has no media profiles" : null);
        }
        catch (DiscoverReplyException ex) { return new OnvifDevice(deviceUrl, [], ex.Message); }
    }

    /// <summary>One SOAP request; any failure (network, timeout, HTTP status, size, XML) is a <see cref="DiscoverReplyException"/>.
    /// A connection dropped before the answer (small camera web servers close kept-alive connections) is retried once.</summary>
    private async Task<XDocument> PostAsync(string url, string envelope, CancellationToken ct)
    {
        try { return await PostOnceAsync(url, envelope, ct).ConfigureAwait(false); }
        catch (DiscoverReplyException ex) when (ex.InnerException is HttpRequestException) { return await PostOnceAsync(url, envelope, ct).ConfigureAwait(false); }
    }

    private async Task<XDocument> PostOnceAsync(string url, string envelope, CancellationToken ct)
    {
        var shown = Redaction.Redact(url);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(envelope, Encoding.UTF8) };
            req.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/soap+xml; charset=utf-8");
            using var resp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            if (resp.Content.Headers.ContentLength > OnvifMessages.MaxReplyChars)
                throw new DiscoverReplyException($"{shown}: refused: the reply is larger than {OnvifMessages.MaxReplyChars / 1024} KiB");
            var body = await ReadCappedAsync(resp.Content, OnvifMessages.MaxReplyChars, cts.Token).ConfigureAwait(false)
                ?? throw new DiscoverReplyException($"{shown}: refused: the reply is larger than {OnvifMessages.MaxReplyChars / 1024} KiB");
            // SOAP faults come with 400/500: parse them for their reason; other errors say the status
            if (!resp.IsSuccessStatusCode && !(resp.Content.Headers.ContentType?.MediaType?.Contains("xml") ?? false))
                throw StatusError(shown, resp.StatusCode);
            var doc = SafeXml.Parse(body, OnvifMessages.MaxReplyChars, shown);
            if (resp.IsSuccessStatusCode) return doc;
            Soap.Body(doc, shown); // throws with the fault's reason
            throw StatusError(shown, resp.StatusCode);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new DiscoverReplyException($"{shown}: no answer within {timeout.TotalSeconds:0.#} s", new TimeoutException());
        }
        catch (HttpRequestException ex)
        {
            throw new DiscoverReplyException($"{shown}: {Soap.Clip(ex.GetBaseException().Message)}", ex);
        }
        catch (IOException ex)
        {
            throw new DiscoverReplyException($"{shown}: {Soap.Clip(ex.Message)}", ex);
        }
    }

    private static DiscoverReplyException StatusError(string shown, System.Net.HttpStatusCode status) =>
        new($"{shown}: HTTP {(int)status}{(status == System.Net.HttpStatusCode.Unauthorized ? " (wrong or missing username/password)" : "")}");

    private static async Task<byte[]?> ReadCappedAsync(HttpContent content, int max, CancellationToken ct)
    {
        await using var s = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var ms = new MemoryStream();
        var buf = new byte[16384];
        int n;
        while ((n = await s.ReadAsync(buf, ct).ConfigureAwait(false)) > 0)
        {
            if (ms.Length + n > max) return null;
            ms.Write(buf, 0, n);
        }
        return ms.ToArray();
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Lookback.Config;

namespace Lookback.Addon;

/// <summary>A Supervisor request that failed; <see cref="Exception.Message"/> says what to do about it.</summary>
public sealed class SupervisorException : Exception
{
    public SupervisorException(string message, int? statusCode = null, Exception? inner = null) : base(message, inner)
        => StatusCode = statusCode;

    /// <summary>HTTP status of the Supervisor's answer; null for network errors and timeouts.</summary>
    public int? StatusCode { get; }
}

/// <summary>
/// The part of the Home Assistant Supervisor API the add-on uses: the MQTT service credentials
/// (<c>GET /services/mqtt</c>, Bearer <c>SUPERVISOR_TOKEN</c>; needs <c>services: [mqtt:need]</c> in config.yaml).
/// </summary>
public sealed class SupervisorClient : IDisposable
{
    public static readonly Uri DefaultBaseUrl = new("http://supervisor/");
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <param name="token">SUPERVISOR_TOKEN.</param>
    /// <param name="baseUrl">Default http://supervisor/ (tests point it at a fake on 127.0.0.1).</param>
    /// <param name="timeout">Per request; default 10 s.</param>
    /// <param name="handler">Optional message handler (not disposed by this client).</param>
    public SupervisorClient(string token, Uri? baseUrl = null, TimeSpan? timeout = null, HttpMessageHandler? handler = null)
    {
        if (string.IsNullOrWhiteSpace(token))
            throw new SupervisorException("SUPERVISOR_TOKEN is not set: the Supervisor API is only available inside a Home Assistant add-on");
        BaseUrl = baseUrl ?? DefaultBaseUrl;
        if (!BaseUrl.AbsoluteUri.EndsWith('/')) BaseUrl = new Uri(BaseUrl.AbsoluteUri + "/");
        Timeout = timeout ?? DefaultTimeout;
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _ownsHttp = true;
        _http.Timeout = System.Threading.Timeout.InfiniteTimeSpan; // our own timeout, to tell it from the caller's cancellation
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    /// <summary>From the environment: SUPERVISOR_TOKEN (or the legacy HASSIO_TOKEN).</summary>
    public static SupervisorClient FromEnvironment(Uri? baseUrl = null, TimeSpan? timeout = null)
        => new(AddonEnvironment.FromProcess().SupervisorToken ?? "", baseUrl, timeout);

    public Uri BaseUrl { get; }
    public TimeSpan Timeout { get; }

    /// <summary>
    /// The broker the Supervisor offers (usually the Mosquitto add-on). Only the connection fields are set:
    /// Host, Port, Username, Password, Tls; the rest keep their defaults.
    /// </summary>
    /// <exception cref="SupervisorException">403 (no mqtt service rights), 400 (no broker), other answers, network errors, timeout.</exception>
    /// <exception cref="OperationCanceledException">Only when <paramref name="ct"/> is cancelled.</exception>
    public async Task<MqttOptions> GetMqttServiceAsync(CancellationToken ct = default)
    {
        var url = new Uri(BaseUrl, "services/mqtt");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(Timeout);
        HttpResponseMessage response;
        string body;
        try
        {
            response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            body = await response.Content.ReadAsStringAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new SupervisorException(
                $"the Supervisor did not answer {url} within {Timeout.TotalSeconds:0.#} s; set the mqtt options (host, port, username, password) to use a broker directly");
        }
        catch (HttpRequestException ex)
        {
            throw new SupervisorException($"cannot reach the Supervisor at {url}: {ex.Message}", null, ex);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.StatusCode == HttpStatusCode.Forbidden)
                throw new SupervisorException(
                    $"the Supervisor refused access to the MQTT service (HTTP 403{Detail(body)}): the add-on's config.yaml needs \"services: [mqtt:need]\"", status);
            if (response.StatusCode == HttpStatusCode.BadRequest)
                throw new SupervisorException(
                    $"no MQTT broker is available from the Supervisor (HTTP 400{Detail(body)}): install and start the Mosquitto broker add-on, or set the mqtt options (host, port, username, password)", status);
            if (!response.IsSuccessStatusCode)
                throw new SupervisorException($"the Supervisor answered HTTP {status} to {url}{Detail(body)}", status);
            return ParseMqttService(body);
        }
    }

    /// <summary>Parses <c>{"result":"ok","data":{host, port (number or string), ssl, username, password, protocol}}</c>.</summary>
    public static MqttOptions ParseMqttService(string json)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException ex) { throw new SupervisorException($"the Supervisor's MQTT service answer is not JSON: {ex.Message}", null, ex); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new SupervisorException("the Supervisor's MQTT service answer is not a JSON object");
            if (root.TryGetProperty("result", out var result) && result.ValueKind == JsonValueKind.String && result.GetString() != "ok")
                throw new SupervisorException($"the Supervisor's MQTT service answer is result \"{result.GetString()}\"{Detail(json)}");
            if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
                throw new SupervisorException("the Supervisor's MQTT service answer has no \"data\" object");

            var host = Str(data, "host");
            if (string.IsNullOrWhiteSpace(host))
                throw new SupervisorException("the Supervisor's MQTT service answer has no \"host\"");
            var port = 1883;
            if (data.TryGetProperty("port", out var p) && p.ValueKind != JsonValueKind.Null)
            {
                var ok = p.ValueKind switch
                {
                    JsonValueKind.Number => p.TryGetInt32(out port),
                    JsonValueKind.String => int.TryParse(p.GetString(), System.Globalization.NumberStyles.None,
                        System.Globalization.CultureInfo.InvariantCulture, out port),
                    _ => false,
                };
                if (!ok || port is < 1 or > 65535)
                    throw new SupervisorException($"the Supervisor's MQTT service answer has an invalid \"port\": {p.GetRawText()}");
            }
            var tls = false;
            if (data.TryGetProperty("ssl", out var s))
                tls = s.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.String => string.Equals(s.GetString(), "true", StringComparison.OrdinalIgnoreCase),
                    _ => false,
                };
            return new MqttOptions
            {
                Host = host.Trim(),
                Port = port,
                Username = Str(data, "username") ?? "",
                Password = Str(data, "password") ?? "",
                Tls = tls,
            };
        }
    }

    private static string? Str(JsonElement obj, string name)
        => obj.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        } : null;

    /// <summary>": message" from an error body {"result":"error","message":"..."}; never echoes other content.</summary>
    private static string Detail(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
                && !string.IsNullOrWhiteSpace(m.GetString()))
            {
                var text = m.GetString()!.Trim();
                return ": " + (text.Length > 200 ? text[..200] + "…" : text);
            }
        }
        catch (JsonException) { }
        return "";
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }
}

using Lookback.Sources;
using System.Security.Cryptography.X509Certificates;
using Lookback.Config;
using Microsoft.Extensions.Logging;
using System.Buffers;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Lookback.Mqtt;

/// <summary>
/// Connection supervisor: connects (MQTT 5, falling back to 3.1.1 when the broker refuses 5), keeps the
/// last will on P/nodes/N, publishes "online" and re-subscribes on every connect, raises <see cref="Connected"/>,
/// and reconnects with exponential backoff + jitter (1 s → 30 s). Never throws out of its loop.
/// </summary>
public sealed class MqttConnection : IMqttPublisher, IAsyncDisposable
{
    private readonly MqttConnectionSettings _s;
    private readonly ILogger _log;
    private readonly IMqttClient _client;
    private readonly Backoff _backoff;
    private readonly object _gate = new();
    private readonly List<string> _subscriptions = [];
    private TaskCompletionSource _connectedTcs = NewTcs();
    private TaskCompletionSource _disconnectedTcs = NewTcs();
    private CancellationTokenSource? _cts;
    private Task? _loop;
    private volatile bool _connected;
    private volatile bool _stopping;

    public MqttConnection(MqttConnectionSettings settings, ILogger logger)
    {
        _s = settings;
        _log = logger;
        _backoff = Backoff.BelowCeiling(settings.BackoffInitial, settings.BackoffMax);
        _client = new MqttClientFactory().CreateMqttClient();
        _client.DisconnectedAsync += OnDisconnectedAsync;
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
    }

    /// <summary>Protocol used for the next/current connection (V500, or V311 after a refusal).</summary>
    public MqttProtocolVersion ProtocolVersion { get; private set; } = MqttProtocolVersion.V500;
    public bool IsConnected => _connected && _client.IsConnected;
    public int ConnectCount { get; private set; }

    /// <summary>Raised after each connect, once "online" is published and subscriptions are restored.</summary>
    public event Func<Task>? Connected;
    /// <summary>Raised when an established connection is lost (not on a clean stop).</summary>
    public event Action? Disconnected;
    /// <summary>Raised on MQTTnet's receive thread: handlers must return quickly (hand work to a task).</summary>
    public event Action<IncomingMessage>? MessageReceived;

    /// <summary>Registers a subscription (QoS 1); restored on every connect. Subscribes at once when connected.</summary>
    public async Task SubscribeAsync(string filter, CancellationToken ct = default)
    {
        lock (_gate) { if (_subscriptions.Contains(filter)) return; _subscriptions.Add(filter); }
        if (IsConnected)
        {
            try { await SubscribeCoreAsync([filter], ct).ConfigureAwait(false); }
            catch (Exception ex) { _log.LogDebug(ex, "Subscribe {Filter} failed; restored on reconnect", filter); }
        }
    }

    /// <summary>Drops a subscription registered with <see cref="SubscribeAsync"/> (at once when connected, and from the restored set).</summary>
    public async Task UnsubscribeAsync(string filter, CancellationToken ct = default)
    {
        lock (_gate) if (!_subscriptions.Remove(filter)) return;
        if (!IsConnected) return;
        try
        {
            await _client.UnsubscribeAsync(new MqttClientUnsubscribeOptionsBuilder().WithTopicFilter(filter).Build(), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            _log.LogDebug(ex, "Unsubscribe {Filter} failed; not restored on reconnect", filter);
        }
    }

    public Task WaitConnectedAsync(CancellationToken ct)
    {
        Task t;
        lock (_gate) t = _connectedTcs.Task;
        return t.WaitAsync(ct);
    }

    public async Task<PublishOutcome> PublishAsync(MqttApplicationMessage message, CancellationToken ct)
    {
        if (!IsConnected) return PublishOutcome.NotSent;
        try
        {
            var r = await _client.PublishAsync(message, ct).ConfigureAwait(false);
            if (r.IsSuccess || r.ReasonCode == MqttClientPublishReasonCode.NoMatchingSubscribers) return PublishOutcome.Acked;
            _log.LogWarning("Broker rejected a message on {Topic}: {Reason} {Text}", LogText.Topic(message.Topic), r.ReasonCode, r.ReasonString);
            return PublishOutcome.Rejected;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
        catch (Exception ex) when (ex is NotSupportedException or ArgumentException or MqttProtocolViolationException)
        {
            _log.LogWarning("Message on {Topic} cannot be sent: {Error}", LogText.Topic(message.Topic), ex.Message);
            return PublishOutcome.Rejected;
        }
        catch (Exception ex)
        {
            _log.LogDebug("Publish on {Topic} not completed: {Error}", LogText.Topic(message.Topic), ex.Message);
            return PublishOutcome.NotSent;
        }
    }

    public Task StartAsync(CancellationToken ct)
    {
        if (_loop != null) return Task.CompletedTask;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _loop = Task.Run(() => RunAsync(_cts.Token));
        return Task.CompletedTask;
    }

    /// <summary>Publishes "offline" on P/nodes/N (retained) and disconnects cleanly (no last will), within
    /// <paramref name="wait"/> (default 2 s) for the disconnect and as long again for the connection loop's end.</summary>
    public async Task StopAsync(TimeSpan? wait = null)
    {
        _stopping = true;
        if (_cts == null) return;
        var limit = wait ?? TimeSpan.FromSeconds(2);
        if (IsConnected && limit > TimeSpan.Zero)
        {
            try
            {
                using var t = new CancellationTokenSource(limit);
                if (_s.AnnounceNode) await _client.PublishAsync(NodeMessage("offline"), t.Token).ConfigureAwait(false);
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder()
                    .WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), t.Token).ConfigureAwait(false);
            }
            catch (Exception ex) { _log.LogDebug(ex, "Clean disconnect failed"); }
        }
        _cts.Cancel();
        try { if (_loop != null) await _loop.WaitAsync(limit).ConfigureAwait(false); } catch { }
        _connected = false;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _client.Dispose();
        _cts?.Dispose();
    }

    /// <summary>TEST ONLY: drop the TCP connection without DISCONNECT, as a crash would (the broker sends the will).</summary>
    internal void AbortConnectionForTest()
    {
        _stopping = true;
        _cts?.Cancel();
        _client.Dispose();
    }

    private MqttApplicationMessage NodeMessage(string payload) => new MqttApplicationMessageBuilder()
        .WithTopic(_s.NodeTopic).WithPayload(payload).WithRetainFlag(true)
        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    internal MqttClientOptions BuildOptions(MqttProtocolVersion version)
    {
        var b = new MqttClientOptionsBuilder()
            .WithTcpServer(_s.Host, _s.Port)
            .WithClientId(_s.ClientId)
            .WithProtocolVersion(version)
            .WithCleanSession(true)
            .WithKeepAlivePeriod(_s.KeepAlive)
            .WithTimeout(_s.ConnectTimeout);
        if (_s.AnnounceNode)
            b = b.WithWillTopic(_s.NodeTopic).WithWillPayload("offline"u8.ToArray()).WithWillRetain(true)
                .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (_s.Username.Length > 0) b = b.WithCredentials(_s.Username, _s.Password);
        if (_s.Tls)
        {
            var tls = new MqttClientTlsOptionsBuilder().UseTls();
            if (_s.TlsInsecure)
            {
                tls = tls.WithCertificateValidationHandler(_ => true);
            }
            else if (!string.IsNullOrEmpty(_s.CaFile))
            {
                var ca = new X509Certificate2Collection();
                ca.ImportFromPemFile(_s.CaFile);
                tls = tls.WithCertificateValidationHandler(e => ValidateWithCa(e.Certificate, e.SslPolicyErrors, ca));
            }
            b = b.WithTlsOptions(tls.Build());
        }
        return b.Build();
    }

    /// <summary>Accepts the broker certificate when it chains to one of <paramref name="ca"/> (custom trust store).</summary>
    internal static bool ValidateWithCa(X509Certificate? cert, System.Net.Security.SslPolicyErrors errors, X509Certificate2Collection ca)
    {
        if (errors == System.Net.Security.SslPolicyErrors.None) return true;
        if (cert == null || (errors & System.Net.Security.SslPolicyErrors.RemoteCertificateNotAvailable) != 0) return false;
        if ((errors & System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var c2 = new X509Certificate2(cert);
        return chain.Build(c2);
    }

    /// <summary>
    /// True when a failed MQTT 5 connect means "this broker does not speak 5": a CONNACK with
    /// UnsupportedProtocolVersion (v5 code 0x84), a v3-format CONNACK (return code 1..5, which MQTTnet 5 passes
    /// through unmapped), or an unparsable answer to the v5 CONNECT.
    /// </summary>
    public static bool ShouldFallBackTo311(MqttProtocolVersion tried, Exception ex)
    {
        if (tried != MqttProtocolVersion.V500) return false;
        return ex switch
        {
            // A v3 broker answers a v5 CONNECT with a v3 CONNACK: return code 1 (unacceptable protocol version).
            // MQTT 5 reason codes for refusals are all >= 0x80, so any 1..0x7F code means "v3 broker".
            MqttConnectRefusedException c => (int)c.ResultCode is > 0 and < 0x80
                                              || c.ResultCode is MqttClientConnectResultCode.UnsupportedProtocolVersion
                                                  or MqttClientConnectResultCode.ProtocolError
                                                  or MqttClientConnectResultCode.MalformedPacket,
            MqttProtocolViolationException => true,
            MqttConnectingFailedException c => c.InnerException is MqttProtocolViolationException
                                               || c.Message.Contains("UnsupportedProtocolVersion", StringComparison.Ordinal),
            _ => ex.InnerException is MqttProtocolViolationException,
        };
    }

    private async Task RunAsync(CancellationToken ct)
    {
        _log.LogInformation("MQTT: connecting to {Broker}", _s);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await ConnectOnceAsync(ct).ConfigureAwait(false);
                _backoff.Reset();
                Task disconnected;
                lock (_gate) disconnected = _disconnectedTcs.Task;
                await disconnected.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
            catch (Exception ex)
            {
                if (ShouldFallBackTo311(ProtocolVersion, ex))
                {
                    _log.LogWarning("MQTT: broker refused MQTT 5 ({Error}); using 3.1.1", ex.Message);
                    ProtocolVersion = MqttProtocolVersion.V311;
                    continue;
                }
                var d = _backoff.Next();
                _log.LogWarning("MQTT: cannot connect to {Host}:{Port}: {Error}; retrying in {Delay:0.0} s",
                    _s.Host, _s.Port, ex.GetBaseException().Message, d.TotalSeconds);
                try { await Task.Delay(d, ct).ConfigureAwait(false); } catch (OperationCanceledException) { break; }
            }
        }
    }

    private async Task ConnectOnceAsync(CancellationToken ct)
    {
        lock (_gate) if (_disconnectedTcs.Task.IsCompleted) _disconnectedTcs = NewTcs();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_s.ConnectTimeout);
        try
        {
            var r = await _client.ConnectAsync(BuildOptions(ProtocolVersion), timeout.Token).ConfigureAwait(false);
            if (r.ResultCode != MqttClientConnectResultCode.Success)
                throw new MqttConnectRefusedException(r.ResultCode);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"connect timed out after {_s.ConnectTimeout.TotalSeconds:0} s");
        }
        try
        {
            // Subscriptions first: "online" then means "answering commands" to whoever waits for it.
            string[] subs;
            lock (_gate) subs = [.. _subscriptions];
            if (subs.Length > 0) await SubscribeCoreAsync(subs, timeout.Token).ConfigureAwait(false);
            if (_s.AnnounceNode) await _client.PublishAsync(NodeMessage("online"), timeout.Token).ConfigureAwait(false);
        }
        catch
        {
            try { await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None).ConfigureAwait(false); } catch { }
            throw;
        }
        ConnectCount++;
        _connected = true;
        _log.LogInformation("MQTT: connected to {Host}:{Port} (MQTT {Version})", _s.Host, _s.Port,
            ProtocolVersion == MqttProtocolVersion.V500 ? "5" : "3.1.1");
        lock (_gate) _connectedTcs.TrySetResult();
        var handlers = Connected;
        if (handlers != null)
            foreach (var h in handlers.GetInvocationList().Cast<Func<Task>>())
            {
                try { await h().ConfigureAwait(false); }
                catch (Exception ex) { _log.LogError(ex, "MQTT: connected handler failed"); }
            }
    }

    private async Task SubscribeCoreAsync(IReadOnlyList<string> filters, CancellationToken ct)
    {
        // Brokers limit the filters per SUBSCRIBE; send in small batches.
        foreach (var chunk in filters.Chunk(16))
        {
            var b = new MqttClientSubscribeOptionsBuilder();
            foreach (var f in chunk) b = b.WithTopicFilter(f, MqttQualityOfServiceLevel.AtLeastOnce);
            var r = await _client.SubscribeAsync(b.Build(), ct).ConfigureAwait(false);
            foreach (var item in r.Items)
                if ((int)item.ResultCode > 2)
                    _log.LogWarning("MQTT: subscription {Filter} refused: {Code}", item.TopicFilter.Topic, item.ResultCode);
        }
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        var was = _connected;
        _connected = false;
        lock (_gate)
        {
            if (_connectedTcs.Task.IsCompleted) _connectedTcs = NewTcs();
            _disconnectedTcs.TrySetResult();
        }
        if (was && !_stopping)
        {
            _log.LogWarning("MQTT: connection lost ({Reason}: {Error})", e.Reason, e.Exception?.GetBaseException().Message);
            try { Disconnected?.Invoke(); }
            catch (Exception ex) { _log.LogError(ex, "MQTT: disconnected handler failed"); }
        }
        return Task.CompletedTask;
    }

    private Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        var m = e.ApplicationMessage;
        var msg = new IncomingMessage(m.Topic, m.Payload.IsEmpty ? ReadOnlyMemory<byte>.Empty : m.Payload.ToArray(), m.Retain,
            string.IsNullOrEmpty(m.ResponseTopic) ? null : m.ResponseTopic, m.CorrelationData);
        try { MessageReceived?.Invoke(msg); }
        catch (Exception ex) { _log.LogError(ex, "MQTT: handler for {Topic} failed", LogText.Topic(m.Topic)); }
        return Task.CompletedTask;
    }

    private static TaskCompletionSource NewTcs() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

using System.IO.Hashing;
using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using MQTTnet;
using MQTTnet.Protocol;

namespace Lookback.Mqtt;

/// <summary>One message waiting in the outbox.</summary>
public sealed record OutboxMessage(long Sequence, string Topic, byte[] Payload, bool Retain, int Qos,
    string? ResponseTopic, byte[]? CorrelationData)
{
    public long Size => Payload.Length + Topic.Length * 2 + (ResponseTopic?.Length ?? 0) * 2 + (CorrelationData?.Length ?? 0) + 64;

    public MqttApplicationMessage ToMqtt()
    {
        var b = new MqttApplicationMessageBuilder().WithTopic(Topic).WithPayload(Payload).WithRetainFlag(Retain)
            .WithQualityOfServiceLevel((MqttQualityOfServiceLevel)Qos);
        if (ResponseTopic != null) b = b.WithResponseTopic(ResponseTopic);
        if (CorrelationData != null) b = b.WithCorrelationData(CorrelationData);
        return b.Build();
    }
}

public sealed record OutboxOptions
{
    public int MaxMessages { get; init; } = 10_000;
    public long MaxBytes { get; init; } = 64L * 1024 * 1024;
    /// <summary>A segment file is closed and a new one started beyond this size.</summary>
    public long SegmentBytes { get; init; } = 4L * 1024 * 1024;
    /// <summary>fsync every append (survives power loss, slower); otherwise the OS page cache (survives a process crash).</summary>
    public bool FsyncEachAppend { get; init; }
}

/// <summary>
/// Persistent, ordered, bounded queue of QoS 1 messages (events and command results). Appended to segment files
/// <c>NNNNNNNNNNNNNNNNNNNN.seg</c> under its directory as length-prefixed, CRC'd records; <c>ack</c> holds the
/// highest sequence delivered or dropped (two CRC'd slots, written alternately, so a torn write never loses it).
/// Delivered in order, one in flight, removed after the broker's PUBACK. Segments whose records are all acked are
/// deleted. If the process dies between a PUBACK and the ack write, that one message is sent again after restart.
/// </summary>
public sealed class Outbox : IDisposable
{
    private const string SegExt = ".seg";
    private const int HeaderBytes = 8; // u32 body length, u32 crc32(body)
    private readonly string _dir;
    private readonly OutboxOptions _o;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private readonly LinkedList<OutboxMessage> _pending = new();
    private readonly List<(string Path, long LastSeq)> _closedSegments = [];
    private readonly SafeFileHandle _ack;
    private FileStream _segment = null!;
    private string _segmentPath = "";
    private long _segmentLastSeq;
    private long _bytes;
    private long _nextSeq;
    private long _acked;
    private long _ackWrites;
    private long _dropped;
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _disposed;

    public Outbox(string directory, OutboxOptions? options = null, ILogger? logger = null)
    {
        _dir = directory;
        _o = options ?? new OutboxOptions();
        _log = logger ?? NullLogger.Instance;
        Directory.CreateDirectory(_dir);
        _ack = File.OpenHandle(Path.Combine(_dir, "ack"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        _acked = ReadAck();
        Recover();
    }

    public string DirectoryPath => _dir;
    public int Count { get { lock (_gate) return _pending.Count; } }
    public long Bytes { get { lock (_gate) return _bytes; } }
    /// <summary>Messages dropped (oldest first) because the outbox was full, since this instance started.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);
    public long Delivered { get; private set; }
    public long LastAcked { get { lock (_gate) return _acked; } }

    /// <summary>Appends a message (persisted before returning). Drops the oldest when the bounds are exceeded.</summary>
    public long Enqueue(string topic, ReadOnlySpan<byte> payload, int qos = 1, bool retain = false,
        string? responseTopic = null, byte[]? correlationData = null)
    {
        TaskCompletionSource signal;
        long dropped = 0;
        long seq;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            seq = _nextSeq++;
            var m = new OutboxMessage(seq, topic, payload.ToArray(), retain, qos, responseTopic, correlationData);
            Append(m);
            _pending.AddLast(m);
            _bytes += m.Size;
            while (_pending.Count > 1 && (_pending.Count > _o.MaxMessages || _bytes > _o.MaxBytes))
            {
                var old = _pending.First!.Value;
                _pending.RemoveFirst();
                _bytes -= old.Size;
                dropped++;
                AckLocked(old.Sequence);
            }
            signal = _signal;
            _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        if (dropped > 0)
        {
            Interlocked.Add(ref _dropped, dropped);
            _log.LogWarning("Outbox full ({Max} messages / {MaxBytes} bytes): dropped the {Count} oldest", _o.MaxMessages, _o.MaxBytes, dropped);
        }
        signal.TrySetResult();
        return seq;
    }

    public long Enqueue(string topic, string payload, int qos = 1, bool retain = false) =>
        Enqueue(topic, Encoding.UTF8.GetBytes(payload), qos, retain);

    /// <summary>The messages waiting, oldest first (a copy).</summary>
    public IReadOnlyList<OutboxMessage> Snapshot() { lock (_gate) return [.. _pending]; }

    /// <summary>
    /// Delivery loop: waits for messages and a connection, sends the oldest, removes it after the PUBACK, in order,
    /// one in flight. Returns when <paramref name="ct"/> is cancelled. Never throws otherwise.
    /// </summary>
    public async Task RunAsync(IMqttPublisher publisher, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                OutboxMessage? head;
                Task signal;
                lock (_gate) { head = _pending.First?.Value; signal = _signal.Task; }
                if (head == null) { await signal.WaitAsync(ct).ConfigureAwait(false); continue; }
                if (!publisher.IsConnected) { await publisher.WaitConnectedAsync(ct).ConfigureAwait(false); continue; }
                MqttApplicationMessage msg;
                try { msg = head.ToMqtt(); }
                catch (Exception ex)
                {
                    _log.LogWarning("Outbox: dropping unsendable message on {Topic}: {Error}", LogText.Topic(head.Topic), ex.Message);
                    Complete(head);
                    continue;
                }
                var outcome = await publisher.PublishAsync(msg, ct).ConfigureAwait(false);
                if (outcome == PublishOutcome.NotSent)
                {
                    // Dropped connection: wait for the next connect (or a short pause if still "connected").
                    using var pause = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    pause.CancelAfter(TimeSpan.FromMilliseconds(200));
                    try { await Task.Delay(Timeout.Infinite, pause.Token).ConfigureAwait(false); }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
                    continue;
                }
                if (outcome == PublishOutcome.Rejected)
                    _log.LogWarning("Outbox: broker rejected message {Seq} on {Topic}; dropped", head.Sequence, LogText.Topic(msg.Topic));
                Complete(head);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
            catch (Exception ex)
            {
                _log.LogError(ex, "Outbox delivery failed");
                try { await Task.Delay(500, ct).ConfigureAwait(false); } catch (OperationCanceledException) { break; }
            }
        }
    }

    /// <summary>Waits until the outbox is empty (or the timeout).</summary>
    public async Task<bool> WaitEmptyAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            Task s;
            lock (_gate) { if (_pending.Count == 0) return true; s = _signal.Task; }
            try { await s.WaitAsync(until - DateTime.UtcNow, ct).ConfigureAwait(false); }
            catch (TimeoutException) { }
            catch (OperationCanceledException) { return false; }
        }
        lock (_gate) return _pending.Count == 0;
    }

    /// <summary>Flushes the current segment to disk (fsync).</summary>
    public void Flush()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _segment.Flush(true);
            RandomAccess.FlushToDisk(_ack);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            try { _segment.Flush(true); RandomAccess.FlushToDisk(_ack); } catch { }
            _segment.Dispose();
            _ack.Dispose();
            _disposed = true;
            _signal.TrySetResult();
        }
    }

    private void Complete(OutboxMessage m)
    {
        lock (_gate)
        {
            if (_disposed) return;
            if (_pending.First?.Value == m) { _pending.RemoveFirst(); _bytes -= m.Size; }
            AckLocked(m.Sequence);
            Delivered++;
            _signal.TrySetResult();
            _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    // ---- persistence ------------------------------------------------------------------------------------------

    private void AckLocked(long seq)
    {
        if (seq <= _acked) return;
        _acked = seq;
        Span<byte> slot = stackalloc byte[12];
        BinaryPrimitives.WriteInt64LittleEndian(slot, seq);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[8..], Crc32.HashToUInt32(slot[..8]));
        RandomAccess.Write(_ack, slot, (_ackWrites++ & 1) * 12);
        // Everything in the closed segments up to _acked is delivered: delete them.
        for (var i = _closedSegments.Count - 1; i >= 0; i--)
            if (_closedSegments[i].LastSeq <= _acked)
            {
                TryDelete(_closedSegments[i].Path);
                _closedSegments.RemoveAt(i);
            }
        // The open segment is fully delivered and large: start a fresh one.
        if (_pending.Count == 0 && _segment.Length > 64 * 1024)
        {
            var old = _segmentPath;
            _segment.Dispose();
            TryDelete(old);
            OpenNewSegment();
        }
    }

    private long ReadAck()
    {
        Span<byte> buf = stackalloc byte[24];
        var n = RandomAccess.Read(_ack, buf, 0);
        long best = -1;
        for (var i = 0; i + 12 <= n; i += 12)
        {
            var s = buf.Slice(i, 12);
            if (Crc32.HashToUInt32(s[..8]) == BinaryPrimitives.ReadUInt32LittleEndian(s[8..]))
                best = Math.Max(best, BinaryPrimitives.ReadInt64LittleEndian(s));
        }
        return best;
    }

    private void Recover()
    {
        long maxSeq = _acked;
        var files = Directory.GetFiles(_dir, "*" + SegExt).Order(StringComparer.Ordinal).ToList();
        var recovered = 0;
        foreach (var f in files)
        {
            long last = -1;
            var data = File.ReadAllBytes(f);
            var pos = 0;
            while (pos + HeaderBytes <= data.Length)
            {
                var len = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(pos));
                var crc = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos + 4));
                if (len <= 0 || pos + HeaderBytes + len > data.Length) break;
                var body = data.AsSpan(pos + HeaderBytes, len);
                if (Crc32.HashToUInt32(body) != crc) break;
                var m = Decode(body);
                pos += HeaderBytes + len;
                last = m.Sequence;
                maxSeq = Math.Max(maxSeq, m.Sequence);
                if (m.Sequence > _acked) { _pending.AddLast(m); _bytes += m.Size; recovered++; }
            }
            if (pos < data.Length)
            {
                _log.LogWarning("Outbox: {File} has a torn or corrupt tail at byte {Pos}; truncated", Path.GetFileName(f), pos);
                using var fs = new FileStream(f, FileMode.Open, FileAccess.Write);
                fs.SetLength(pos);
            }
            if (last < 0 || last <= _acked) TryDelete(f);
            else _closedSegments.Add((f, last));
        }
        _nextSeq = maxSeq + 1;
        OpenNewSegment();
        // Bounds apply to recovered messages too.
        long dropped = 0;
        while (_pending.Count > 1 && (_pending.Count > _o.MaxMessages || _bytes > _o.MaxBytes))
        {
            var old = _pending.First!.Value; _pending.RemoveFirst(); _bytes -= old.Size; dropped++; AckLocked(old.Sequence);
        }
        if (recovered > 0) _log.LogInformation("Outbox: {Count} undelivered messages recovered from {Dir}", recovered, _dir);
        if (dropped > 0) { _dropped += dropped; _log.LogWarning("Outbox: dropped the {Count} oldest recovered messages (bounds)", dropped); }
    }

    private void OpenNewSegment()
    {
        _segmentPath = Path.Combine(_dir, _nextSeq.ToString("D20") + SegExt);
        _segment = new FileStream(_segmentPath, FileMode.Append, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
        _segmentLastSeq = -1;
    }

    private void Append(OutboxMessage m)
    {
        if (_segment.Length >= _o.SegmentBytes && _segmentLastSeq >= 0)
        {
            _segment.Flush(_o.FsyncEachAppend);
            _segment.Dispose();
            _closedSegments.Add((_segmentPath, _segmentLastSeq));
            _segmentPath = Path.Combine(_dir, m.Sequence.ToString("D20") + SegExt);
            _segment = new FileStream(_segmentPath, FileMode.Append, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
        }
        var body = Encode(m);
        var rec = new byte[HeaderBytes + body.Length];
        BinaryPrimitives.WriteInt32LittleEndian(rec, body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(rec.AsSpan(4), Crc32.HashToUInt32(body));
        body.CopyTo(rec.AsSpan(HeaderBytes));
        _segment.Write(rec);
        _segment.Flush(_o.FsyncEachAppend);
        _segmentLastSeq = m.Sequence;
    }

    // body: i64 seq | u8 flags (1 retain, 2 response topic, 4 correlation) | u8 qos | str topic | [str response] | [bytes corr] | bytes payload
    internal static byte[] Encode(OutboxMessage m)
    {
        var topic = Encoding.UTF8.GetBytes(m.Topic);
        var resp = m.ResponseTopic == null ? null : Encoding.UTF8.GetBytes(m.ResponseTopic);
        var size = 8 + 2 + 4 + topic.Length + (resp == null ? 0 : 4 + resp.Length)
                   + (m.CorrelationData == null ? 0 : 4 + m.CorrelationData.Length) + 4 + m.Payload.Length;
        var b = new byte[size];
        var s = b.AsSpan();
        BinaryPrimitives.WriteInt64LittleEndian(s, m.Sequence); s = s[8..];
        s[0] = (byte)((m.Retain ? 1 : 0) | (resp != null ? 2 : 0) | (m.CorrelationData != null ? 4 : 0));
        s[1] = (byte)m.Qos; s = s[2..];
        Put(ref s, topic);
        if (resp != null) Put(ref s, resp);
        if (m.CorrelationData != null) Put(ref s, m.CorrelationData);
        Put(ref s, m.Payload);
        return b;

        static void Put(ref Span<byte> s, byte[] v)
        {
            BinaryPrimitives.WriteInt32LittleEndian(s, v.Length);
            v.CopyTo(s[4..]);
            s = s[(4 + v.Length)..];
        }
    }

    internal static OutboxMessage Decode(ReadOnlySpan<byte> s)
    {
        var seq = BinaryPrimitives.ReadInt64LittleEndian(s); s = s[8..];
        var flags = s[0]; var qos = s[1]; s = s[2..];
        var topic = Encoding.UTF8.GetString(Get(ref s));
        string? resp = (flags & 2) != 0 ? Encoding.UTF8.GetString(Get(ref s)) : null;
        byte[]? corr = (flags & 4) != 0 ? Get(ref s).ToArray() : null;
        var payload = Get(ref s).ToArray();
        return new OutboxMessage(seq, topic, payload, (flags & 1) != 0, qos, resp, corr);

        static ReadOnlySpan<byte> Get(ref ReadOnlySpan<byte> s)
        {
            var n = BinaryPrimitives.ReadInt32LittleEndian(s);
            var v = s.Slice(4, n);
            s = s[(4 + n)..];
            return v;
        }
    }

    private void TryDelete(string path)
    {
        try { File.Delete(path); } catch (Exception ex) { _log.LogDebug("Outbox: cannot delete {File}: {Error}", path, ex.Message); }
    }
}

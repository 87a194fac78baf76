using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Lookback.Imaging;

namespace Lookback.Sources;

/// <summary>
/// Incremental <c>multipart/x-mixed-replace</c> parser: pure, no I/O. Append bytes with <see cref="Feed"/> (one copy)
/// or with <see cref="GetMemory"/> + <see cref="Advance"/> (read straight into the parser's buffer, no copy), then call
/// <see cref="TryRead"/> until it returns false. Each frame returned is a span into the internal pooled buffer,
/// valid until the next call on the parser.
/// </summary>
/// <remarks>
/// Tolerates: quoted or bare boundaries, with or without the leading <c>--</c> in the stream (also when the header value
/// already carries it), CRLF or LF-only lines, missing or wrong <c>Content-Length</c> (a declared body must start with SOI
/// and end with EOI, else the part is re-read up to the next boundary, and later lengths are ignored), missing blank line after the part headers, junk
/// before the first boundary, and streams with no usable boundary at all (SOI…EOI found by walking the JPEG markers, so
/// EXIF thumbnails don't end a frame early). Parts larger than the frame cap are skipped and counted.
/// </remarks>
public sealed class MjpegParser : IDisposable
{
    private enum State { SeekBoundary, Headers, BodyLength, BodyScan, Discard, Raw }

    private const int MaxHeaderBytes = 16 * 1024;
    private const int InitialBuffer = 128 * 1024;
    private static ReadOnlySpan<byte> Soi => [0xFF, 0xD8, 0xFF];

    private readonly int _maxFrameBytes;
    private byte[]? _token;
    private byte[] _buf;
    private int _start, _end, _pendingConsume;
    private State _state = State.SeekBoundary;
    private int _scan;               // relative to _start: where the next search resumes
    private int _contentLength = -1;
    private bool _sawHeader;
    private int _walk;               // Raw: relative position of the JPEG marker walk
    private bool _inEntropy;
    private bool _distrustLength;     // a Content-Length proved wrong: find boundaries instead from now on

    /// <param name="boundary">From the Content-Type header (see <see cref="BoundaryFromContentType"/>); null: detect from the
    /// first <c>--</c> line, or read bare concatenated JPEGs.</param>
    public MjpegParser(string? boundary, int maxFrameBytes = 8 * 1024 * 1024)
    {
        if (maxFrameBytes < 16) throw new ArgumentOutOfRangeException(nameof(maxFrameBytes));
        _maxFrameBytes = maxFrameBytes;
        SetBoundary(boundary);
        _buf = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBuffer, maxFrameBytes + 1024));
    }

    /// <summary>Boundary token as matched in the stream (leading dashes removed), or null while unknown.</summary>
    public string? Boundary => _token is null ? null : Encoding.ASCII.GetString(_token);
    public int MaxFrameBytes => _maxFrameBytes;
    public long FramesRead { get; private set; }
    /// <summary>Parts skipped because they were larger than <see cref="MaxFrameBytes"/>.</summary>
    public long OversizeParts { get; private set; }
    /// <summary>Parts dropped because they were not a complete JPEG (or headers were unusable).</summary>
    public long InvalidParts { get; private set; }
    /// <summary>Why the last part was skipped or dropped.</summary>
    public string? LastProblem { get; private set; }
    /// <summary>True when the parser is inside a part (a stream that ends now ends mid-frame).</summary>
    public bool InFrame => _state is State.Headers or State.BodyLength or State.BodyScan or State.Raw;
    /// <summary>Bytes held for parts not yet complete.</summary>
    public int Buffered => _end - _start - _pendingConsume;

    /// <summary>The boundary parameter of a Content-Type value (quotes removed), or null.</summary>
    public static string? BoundaryFromContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType)) return null;
        foreach (var raw in contentType.Split(';'))
        {
            var p = raw.Trim();
            var eq = p.IndexOf('=');
            if (eq < 0 || !p[..eq].Trim().Equals("boundary", StringComparison.OrdinalIgnoreCase)) continue;
            var v = p[(eq + 1)..].Trim();
            if (v.Length >= 2 && v[0] == '"' && v[^1] == '"') v = v[1..^1];
            return v.Length == 0 ? null : v;
        }
        return null;
    }

    /// <summary>Appends bytes (one copy).</summary>
    public void Feed(ReadOnlySpan<byte> data)
    {
        data.CopyTo(GetSpan(data.Length));
        Advance(data.Length);
    }

    /// <summary>Space for at least <paramref name="sizeHint"/> bytes at the end of the buffer; fill it and call <see cref="Advance"/>.</summary>
    public Memory<byte> GetMemory(int sizeHint = 16 * 1024)
    {
        EnsureSpace(Math.Max(1, sizeHint));
        return _buf.AsMemory(_end);
    }

    public Span<byte> GetSpan(int sizeHint = 16 * 1024)
    {
        EnsureSpace(Math.Max(1, sizeHint));
        return _buf.AsSpan(_end);
    }

    public void Advance(int count)
    {
        if (count < 0 || _end + count > _buf.Length) throw new ArgumentOutOfRangeException(nameof(count));
        _end += count;
    }

    /// <summary>Forgets buffered data (after a reconnect); keeps the boundary and the counters.</summary>
    public void Reset()
    {
        _start = _end = _pendingConsume = 0;
        _distrustLength = false;
        EnterSeek();
    }

    public void Dispose()
    {
        var b = _buf;
        _buf = [];
        if (b.Length > 0) ArrayPool<byte>.Shared.Return(b);
    }

    /// <summary>Next complete JPEG, if one is buffered. The span is valid until the next call on this parser.</summary>
    public bool TryRead(out ReadOnlySpan<byte> jpeg)
    {
        ApplyPending();
        while (true)
        {
            var data = _buf.AsSpan(_start, _end - _start);
            switch (_state)
            {
                case State.SeekBoundary:
                    if (!StepSeek(data)) { jpeg = default; return false; }
                    break;
                case State.Headers:
                    if (!StepHeaders(data)) { jpeg = default; return false; }
                    break;
                case State.BodyLength:
                {
                    if (data.Length < _contentLength) { jpeg = default; return false; }
                    var body = data[.._contentLength];
                    if (body.Length >= 4 && body[0] == 0xFF && body[1] == 0xD8 && JpegValidator.EndsWithEoi(body, out var len))
                    {
                        jpeg = body[..len];
                        _pendingConsume = _contentLength;
                        EnterSeek();
                        FramesRead++;
                        return true;
                    }
                    _state = State.BodyScan; // wrong Content-Length: resync on the boundary
                    _scan = 0;
                    _distrustLength = true;
                    break;
                }
                case State.BodyScan:
                {
                    var r = StepBodyScan(data, out var end, out var next);
                    if (r == 0) { jpeg = default; return false; }
                    if (r == 1)
                    {
                        jpeg = data[..end];
                        _pendingConsume = next;
                        EnterSeek();
                        FramesRead++;
                        return true;
                    }
                    break;
                }
                case State.Discard:
                {
                    var ti = data.IndexOf(_token);
                    if (ti >= 0) { Consume(ti); EnterSeek(); break; }
                    Consume(Math.Max(0, data.Length - _token!.Length));
                    jpeg = default;
                    return false;
                }
                case State.Raw:
                {
                    var r = StepRaw(data, out var end);
                    if (r == 0) { jpeg = default; return false; }
                    if (r == 1)
                    {
                        jpeg = data[..end];
                        _pendingConsume = end;
                        EnterSeek();
                        FramesRead++;
                        return true;
                    }
                    break;
                }
            }
        }
    }

    private void SetBoundary(string? boundary)
    {
        var t = boundary?.Trim().TrimStart('-');
        if (string.IsNullOrEmpty(t)) t = boundary?.Trim();
        _token = string.IsNullOrEmpty(t) ? null : Encoding.ASCII.GetBytes(t);
    }

    private void EnterSeek()
    {
        _state = State.SeekBoundary;
        _scan = 0;
        _contentLength = -1;
        _sawHeader = false;
    }

    private void Consume(int n)
    {
        _start += n;
        _scan = 0;
        if (_start == _end) _start = _end = 0;
    }

    private void ApplyPending()
    {
        if (_pendingConsume == 0) return;
        var n = _pendingConsume;
        _pendingConsume = 0;
        Consume(n);
    }

    private void EnsureSpace(int hint)
    {
        ApplyPending();
        if (_buf.Length - _end >= hint) return;
        var live = _end - _start;
        if (live + hint <= _buf.Length && live <= _buf.Length / 4)
        {
            _buf.AsSpan(_start, live).CopyTo(_buf); // small partial part: move it down
        }
        else
        {
            var size = Math.Max(_buf.Length * 2, live + hint);
            var nb = ArrayPool<byte>.Shared.Rent(size);
            _buf.AsSpan(_start, live).CopyTo(nb);
            ArrayPool<byte>.Shared.Return(_buf);
            _buf = nb;
        }
        _start = 0;
        _end = live;
    }

    /// <summary>Looks for the next boundary (or a bare SOI). False: need more data.</summary>
    private bool StepSeek(ReadOnlySpan<byte> data)
    {
        if (_token is null) return StepSeekUnknown(data);
        var from = Math.Min(_scan, data.Length);
        var ti = data[from..].IndexOf(_token);
        if (ti >= 0) ti += from;
        var si = data[from..(ti >= 0 ? ti : data.Length)].IndexOf(Soi);
        if (si >= 0)
        {
            Consume(si + from);
            StartRaw();
            return true;
        }
        if (ti >= 0)
        {
            // rest of the boundary line: optional closing "--", blanks, then CRLF or LF
            var p = ti + _token.Length;
            while (p < data.Length && data[p] is (byte)'-' or (byte)' ' or (byte)'\t') p++;
            if (p >= data.Length) { Consume(ti); _scan = 0; return false; }
            if (data[p] == '\r')
            {
                if (p + 1 >= data.Length) { Consume(ti); return false; }
                p += data[p + 1] == '\n' ? 2 : 1;
            }
            else if (data[p] == '\n') p++;
            Consume(p);
            _state = State.Headers;
            _contentLength = -1;
            _sawHeader = false;
            return true;
        }
        // junk: keep only a tail that could start a boundary or an SOI
        var keep = Math.Min(data.Length, Math.Max(_token.Length, Soi.Length) - 1);
        Consume(data.Length - keep);
        return false;
    }

    private bool StepSeekUnknown(ReadOnlySpan<byte> data)
    {
        var si = data.IndexOf(Soi);
        var limit = si >= 0 ? si : data.Length;
        var from = 0;
        while (true)
        {
            var di = data[from..limit].IndexOf("--"u8);
            if (di < 0) break;
            di += from;
            if (di == 0 || data[di - 1] == '\n')
            {
                var lf = data[di..].IndexOf((byte)'\n');
                if (lf < 0)
                {
                    if (data.Length - di > 200) { from = di + 2; continue; }
                    Consume(di);
                    return false;
                }
                var line = data.Slice(di, lf);
                if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
                var t = Encoding.ASCII.GetString(line).Trim().TrimStart('-').Trim();
                if (t.Length > 0 && t.Length <= 200 && t.All(c => c > ' ' && c < 0x7F))
                {
                    _token = Encoding.ASCII.GetBytes(t);
                    Consume(di);
                    return true;
                }
            }
            from = di + 2;
        }
        if (si >= 0)
        {
            Consume(si);
            StartRaw();
            return true;
        }
        Consume(Math.Max(0, data.Length - 2));
        return false;
    }

    private void StartRaw()
    {
        _state = State.Raw;
        _walk = 2;
        _inEntropy = false;
    }

    private bool StepHeaders(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return false;
        if (data[0] == 0xFF)
        {
            if (data.Length < 2) return false;
            if (data[1] == 0xD8) { EnterBody(); return true; } // no blank line after the headers
        }
        var from = Math.Min(_scan, data.Length);
        var lf = data[from..].IndexOf((byte)'\n');
        if (lf < 0)
        {
            if (data.Length > MaxHeaderBytes)
            {
                InvalidParts++;
                LastProblem = "MJPEG part headers too long";
                Consume(data.Length);
                EnterSeek();
                return true;
            }
            _scan = data.Length;
            return false;
        }
        lf += from;
        var line = data[..lf];
        if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
        if (line.Length == 0)
        {
            Consume(lf + 1);
            if (_sawHeader) EnterBody();
            return true;
        }
        if (_token is not null && line.IndexOf(_token) >= 0)
        {
            Consume(lf + 1); // another boundary line: an empty part
            _contentLength = -1;
            _sawHeader = false;
            return true;
        }
        _sawHeader = true;
        var colon = line.IndexOf((byte)':');
        if (colon > 0 && Ascii.EqualsIgnoreCase(line[..colon].Trim((byte)' '), "Content-Length"u8))
        {
            var v = line[(colon + 1)..].Trim((byte)' ').Trim((byte)'\t');
            _contentLength = int.TryParse(Encoding.ASCII.GetString(v), out var n) && n >= 0 ? n : -1;
        }
        Consume(lf + 1);
        return true;
    }

    private void EnterBody()
    {
        _scan = 0;
        if (_contentLength >= 4 && _contentLength <= _maxFrameBytes && !_distrustLength) _state = State.BodyLength;
        else _state = State.BodyScan; // none, or too large to trust: find the boundary (capped)
    }

    /// <returns>0 need more, 1 frame in [0,end) and consume <paramref name="next"/>, 2 state changed.</returns>
    private int StepBodyScan(ReadOnlySpan<byte> data, out int end, out int next)
    {
        end = next = 0;
        if (_scan == 0)
        {
            var skip = 0;
            while (skip < data.Length && data[skip] is (byte)'\r' or (byte)'\n') skip++;
            if (skip > 0) { Consume(skip); data = data[skip..]; }
        }
        if (_token is null)
        {
            if (data.Length < 2) return 0;
            if (data[0] == 0xFF && data[1] == 0xD8) StartRaw();
            else EnterSeek();
            return 2;
        }
        var from = Math.Min(_scan, data.Length);
        while (true)
        {
            var ti = data[from..].IndexOf(_token);
            if (ti < 0) break;
            ti += from;
            var d = ti;
            while (d > 0 && data[d - 1] == '-') d--;
            var atLine = ti - d >= 2 || d == 0 || data[d - 1] == '\n' || (d >= 2 && data[d - 2] == 0xFF && data[d - 1] == 0xD9);
            if (!atLine) { from = ti + 1; continue; }
            // a boundary line ends right after the token (optional closing "--" and blanks): rules out look-alikes in the data
            var q = ti + _token.Length;
            while (q < data.Length && data[q] is (byte)'-' or (byte)' ' or (byte)'\t') q++;
            if (q >= data.Length) { _scan = ti; return 0; }
            if (data[q] is not ((byte)'\r' or (byte)'\n')) { from = ti + 1; continue; }
            var e = d;
            while (e > 0 && data[e - 1] is (byte)'\r' or (byte)'\n') e--;
            var part = data[..e];
            if (part.Length > _maxFrameBytes)
            {
                Oversize();
                Consume(d);
                EnterSeek();
                return 2;
            }
            if (part.Length >= 4 && part[0] == 0xFF && part[1] == 0xD8 && JpegValidator.EndsWithEoi(part, out var len))
            {
                end = len;
                next = d;
                return 1;
            }
            InvalidParts++;
            LastProblem = part.Length == 0 ? "empty MJPEG part" : JpegValidator.Validate(part) ?? "MJPEG part is not a complete JPEG";
            Consume(d);
            EnterSeek();
            return 2;
        }
        if (data.Length > _maxFrameBytes + MaxHeaderBytes)
        {
            Oversize();
            Consume(data.Length - _token.Length);
            _state = State.Discard;
            return 2;
        }
        _scan = Math.Max(0, data.Length - _token.Length - 1);
        return 0;
    }

    private void Oversize()
    {
        OversizeParts++;
        LastProblem = $"frame larger than {_maxFrameBytes} bytes";
    }

    /// <summary>Walks JPEG markers from SOI to EOI. 0 need more, 1 frame [0,end), 2 state changed.</summary>
    private int StepRaw(ReadOnlySpan<byte> data, out int end)
    {
        end = 0;
        var p = _walk;
        while (true)
        {
            if (p > _maxFrameBytes)
            {
                Oversize();
                Consume(Math.Min(p, data.Length));
                EnterSeek();
                return 2;
            }
            if (_inEntropy)
            {
                if (p >= data.Length) { _walk = p; return 0; }
                var ff = data[p..].IndexOf((byte)0xFF);
                if (ff < 0) { _walk = data.Length; return 0; }
                p += ff;
                if (p + 1 >= data.Length) { _walk = p; return 0; }
                var x = data[p + 1];
                if (x == 0x00 || x is >= 0xD0 and <= 0xD7) { p += 2; continue; }
                if (x == 0xFF) { p++; continue; }
                _inEntropy = false;
                continue;
            }
            if (p + 1 >= data.Length) { _walk = p; return 0; }
            if (data[p] != 0xFF) return RawInvalid();
            var m = data[p + 1];
            if (m == 0xFF) { p++; continue; }
            if (m == 0xD9) { end = p + 2; return 1; }
            if (m is >= 0xD0 and <= 0xD7 || m == 0x01) { p += 2; continue; }
            if (m is 0xD8 or 0x00) return RawInvalid();
            if (p + 3 >= data.Length) { _walk = p; return 0; }
            int len = BinaryPrimitives.ReadUInt16BigEndian(data[(p + 2)..]);
            if (len < 2) return RawInvalid();
            p += 2 + len;
            if (m == 0xDA) _inEntropy = true;
        }
    }

    private int RawInvalid()
    {
        InvalidParts++;
        LastProblem = "corrupt JPEG in stream (bad marker)";
        Consume(2);
        EnterSeek();
        return 2;
    }
}

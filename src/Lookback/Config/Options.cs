namespace Lookback.Config;

/// <summary>The whole validated configuration. Built only by <see cref="ConfigLoader"/>; immutable.</summary>
public sealed record LookbackOptions
{
    public string NodeId { get; init; } = "lookback";
    /// <summary>Default <see cref="CameraOptions.FailoverPriority"/> of this node's cameras (lower wins among nodes serving one slug).</summary>
    public int FailoverPriority { get; init; } = DefaultFailoverPriority;
    public const int DefaultFailoverPriority = 100;
    public string LogLevel { get; init; } = "info";
    /// <summary>Null: run without MQTT.</summary>
    public MqttOptions? Mqtt { get; init; }
    public HttpOptions Http { get; init; } = new();
    public StorageOptions Storage { get; init; } = new();
    public IReadOnlyList<CameraOptions> Cameras { get; init; } = [];
    public IReadOnlyList<TriggerOptions> Triggers { get; init; } = [];
    /// <summary>Daily timelapse: section <c>timelapse:</c>.</summary>
    public TimelapseOptions Timelapse { get; init; } = new();
    /// <summary>Offsite copies: section <c>upload:</c>, one entry per target (see Upload/).</summary>
    public IReadOnlyList<UploadTargetOptions> Upload { get; init; } = [];
}

public enum UploadType { S3, Webhook }

/// <summary>What goes out to an upload target.</summary>
[Flags]
public enum UploadMedia { None = 0, Events = 1, Moments = 2, Recordings = 4, Timelapses = 8 }

/// <summary>One <c>upload:</c> target. <see cref="SecretKey"/> is a secret: never logged, never in the API.</summary>
public sealed record UploadTargetOptions
{
    /// <summary>[a-z0-9_]+, the key under upload.</summary>
    public required string Name { get; init; }
    public UploadType Type { get; init; } = UploadType.S3;
    /// <summary>S3: the service URL (path-style addressing); webhook: the URL the file is POSTed to.</summary>
    public required string Endpoint { get; init; }
    public string Bucket { get; init; } = "";
    public string Region { get; init; } = "us-east-1";
    public string AccessKey { get; init; } = "";
    public string SecretKey { get; init; } = "";
    /// <summary>Object key template: {camera}, {date} (yyyy-MM-dd), {file} (the file name).</summary>
    public string Path { get; init; } = "{camera}/{date}/{file}";
    public UploadMedia Media { get; init; } = UploadMedia.Events | UploadMedia.Moments;
    /// <summary>Camera slugs; empty: all cameras.</summary>
    public IReadOnlyList<string> Cameras { get; init; } = [];
    /// <summary>Per-request timeout, seconds.</summary>
    public double Timeout { get; init; } = 60;
}

/// <summary>
/// Daily timelapse per camera: about <see cref="Seconds"/> s of video at <see cref="Fps"/> frames per
/// second, from one ring frame sampled every <see cref="SamplePeriod"/> across the day.
/// </summary>
public sealed record TimelapseOptions
{
    public bool Enabled { get; init; } = true;
    /// <summary>Length of a whole day's video, seconds.</summary>
    public double Seconds { get; init; } = 60;
    public double Fps { get; init; } = 30;
    /// <summary>Largest width of the samples and the video (frames are never upscaled).</summary>
    public int Width { get; init; } = 1280;
    /// <summary>Seconds between samples; default 86400 / (seconds × fps) = 48 s.</summary>
    public double? Interval { get; init; }
    public TimeSpan SamplePeriod => TimeSpan.FromSeconds(Interval ?? 86400 / (Seconds * Fps));
}

/// <summary>What makes a camera's events: motion analysis of the ring, or new files of a folder camera.</summary>
public enum EventsFrom { Motion, Files }

public sealed record MqttOptions
{
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 1883;
    public string Username { get; init; } = "";
    public string Password { get; init; } = "";
    public bool Tls { get; init; }
    /// <summary>PEM file with the CA that signs the broker's certificate (optional).</summary>
    public string? CaFile { get; init; }
    /// <summary>Accept any broker certificate (self-signed setups).</summary>
    public bool TlsInsecure { get; init; }
    public string TopicPrefix { get; init; } = "lookback";
    public string DiscoveryPrefix { get; init; } = "homeassistant";
    /// <summary>Client id; default "lookback-&lt;node_id&gt;".</summary>
    public string? ClientId { get; init; }
    /// <summary>MQTT keepalive, seconds: the broker publishes this node's last will 1.5 × this after it stops answering.</summary>
    public int KeepAlive { get; init; } = 30;
}

public sealed record HttpOptions
{
    public string Listen { get; init; } = "0.0.0.0";
    public int Port { get; init; } = 8099;
    /// <summary>Base of every URL published on MQTT; default http://&lt;host name&gt;:&lt;port&gt;.</summary>
    public string? PublicUrl { get; init; }
    /// <summary>Where a person opens the web UI, for Home Assistant's "Visit" link (discovery <c>configuration_url</c>).
    /// Add-on mode: <c>homeassistant://hassio/ingress/&lt;slug&gt;</c>; otherwise null (the public URL's UI is used).</summary>
    public string? UiUrl { get; init; }

    /// <summary>When set, every request but /healthz, published /media files and the UI's static files needs it
    /// (<c>Authorization: Bearer</c> or <c>?token=</c>). A secret: never logged.</summary>
    public string? ApiToken { get; init; }

    /// <summary>ToString of the record without the token's value.</summary>
    private bool PrintMembers(System.Text.StringBuilder b)
    {
        b.Append("Listen = ").Append(Listen).Append(", Port = ").Append(Port).Append(", PublicUrl = ").Append(PublicUrl).Append(", UiUrl = ").Append(UiUrl)
         .Append(", ApiToken = ").Append(ApiToken is null ? "" : "(set)");
        return true;
    }
}

public sealed record StorageOptions
{
    public string Path { get; init; } = "./media";
    /// <summary>Home Assistant media path of <see cref="Path"/>, published as "media" (optional).</summary>
    public string? MediaUrl { get; init; }
    public int RetainDays { get; init; } = 7;
    public long MaxBytes { get; init; } = 10L * 1024 * 1024 * 1024;
}

public enum CameraKind { Auto, Snapshot, Mjpeg, Rtsp, Usb, Folder }

public enum AuthKind { None, Basic, Digest }

public sealed record CameraOptions
{
    /// <summary>[a-z0-9_]+, the key under cameras.</summary>
    public required string Slug { get; init; }
    public string? Name { get; init; }
    public string Title => string.IsNullOrWhiteSpace(Name) ? Slug : Name!;
    /// <summary>Home Assistant area suggested for the camera's device (discovery <c>suggested_area</c>); optional.</summary>
    public string? Area { get; init; }
    public required string Url { get; init; }
    public CameraKind Kind { get; init; } = CameraKind.Auto;
    /// <summary>Seconds between polls (snapshot) or between buffered frames (streams).</summary>
    public double Interval { get; init; } = 1;
    /// <summary>Frames kept in the ring.</summary>
    public int Store { get; init; } = 30;
    /// <summary>Also keep at most this many seconds (optional).</summary>
    public double? BufferSeconds { get; init; }
    /// <summary>Bytes the ring may hold (default 64 MB).</summary>
    public long MaxBufferBytes { get; init; } = 64L * 1024 * 1024;
    public AuthKind Auth { get; init; } = AuthKind.None;
    public string Username { get; init; } = "";
    public string Password { get; init; } = "";
    /// <summary>Per-request timeout for snapshot polls and stream connects, seconds.</summary>
    public double Timeout { get; init; } = 10;
    /// <summary>Largest JPEG accepted from the camera, bytes.</summary>
    public int MaxFrameBytes { get; init; } = 8 * 1024 * 1024;
    /// <summary>Draw the capture time into rendered frames.</summary>
    public bool Timestamp { get; init; }
    public MotionOptions Motion { get; init; } = new();
    /// <summary>Among online nodes configured with this slug, the lowest priority serves it; null: the node's <c>failover_priority</c>.</summary>
    public int? FailoverPriority { get; init; }
    /// <summary>Meant as a spare: serves only while no online node that is not a spare announces the slug.</summary>
    public bool Standby { get; init; }
    /// <summary>Optional low-resolution snapshot or MJPEG URL (same credentials) used for motion detection only; the
    /// ring, GIFs and snapshots keep using <see cref="Url"/>. Null: motion analyses the ring's frames.</summary>
    public string? MotionUrl { get; init; }
    public GifOptions Gif { get; init; } = new();
    // ---- folder cameras and timelapse
    /// <summary>Folder cameras: where the capture time is in a file name (see <c>FileTimePattern</c>); null: EXIF, else mtime.</summary>
    public string? TimePattern { get; init; }
    /// <summary>Default: files for folder cameras, motion for the others.</summary>
    public EventsFrom EventsFrom { get; init; } = EventsFrom.Motion;
    /// <summary>Sample this camera into the daily timelapse (when <c>timelapse.enabled</c>).</summary>
    public bool Timelapse { get; init; } = true;

    // --- ffmpeg stream cameras (rtsp, usb, http video): see Sources/Stream and Recording ---
    /// <summary>RTSP transport: "tcp" (default, works through NAT and loses nothing) or "udp".</summary>
    public string Transport { get; init; } = "tcp";
    /// <summary>Also record the stream (stream copy, HLS segments under storage.path). Default false: saves disk.</summary>
    public bool Record { get; init; }
    /// <summary>Target length of recorded segments, seconds (cut at keyframes).</summary>
    public double SegmentSeconds { get; init; } = 2;
}

public sealed record MotionOptions
{
    public bool Enabled { get; init; } = true;
    public double Fps { get; init; } = 5;
    /// <summary>Per-pixel change, 1..255.</summary>
    public int Threshold { get; init; } = 25;
    /// <summary>Percent of the frame that must change.</summary>
    public double MinArea { get; init; } = 0.1;
    public double OffDelay { get; init; } = 10;
    public double PreCapture { get; init; } = 3;
    public double PostCapture { get; init; } = 3;
    /// <summary>Longest motion event, seconds: continuous motion is split into consecutive events (0: no limit).</summary>
    public double MaxEventSeconds { get; init; } = 120;
    /// <summary>Frames a second each event keeps for its replay (<c>/api/events/{id}/frames</c>); 0: keep none.</summary>
    public double FramesFps { get; init; } = 10;
    /// <summary>Ignored areas: polygons of (x, y) points in 0..1.</summary>
    public IReadOnlyList<Polygon> Mask { get; init; } = [];
    public IReadOnlyDictionary<string, Polygon> Zones { get; init; } = new Dictionary<string, Polygon>();
}

/// <summary>A polygon in normalised (0..1) image coordinates.</summary>
public sealed record Polygon(IReadOnlyList<PointF01> Points);

public readonly record struct PointF01(double X, double Y);

public sealed record GifOptions
{
    public double Seconds { get; init; } = 10;
    public double Fps { get; init; } = 4;
    public int Width { get; init; } = 480;
}

public enum RenderKind { Snapshot, Gif, Mp4, Moment }

public sealed record TriggerOptions
{
    public required string Topic { get; init; }
    /// <summary>
    /// Top-level JSON fields that must be equal (compared as JSON text of the value). Each value is the configured
    /// scalar as text: a string as the raw string (no quotes), a number as written (<c>1</c>, <c>2.5</c>), a boolean as
    /// <c>true</c>/<c>false</c>, null as <c>null</c>. Compare an incoming <c>JsonElement</c> field <c>e</c> as:
    /// <c>e.ValueKind == JsonValueKind.String ? e.GetString() == value : e.GetRawText() == value</c>
    /// (objects and arrays never match a scalar). A missing field does not match.
    /// </summary>
    public IReadOnlyDictionary<string, string> Match { get; init; } = new Dictionary<string, string>();
    public required IReadOnlyList<string> Cameras { get; init; }
    public RenderKind Action { get; init; } = RenderKind.Gif;
    public bool Doorbell { get; init; }
}

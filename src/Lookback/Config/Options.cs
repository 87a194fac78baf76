namespace Lookback.Config;

// Every option is declared once, here: the property's initial value is its default and its [Option] attribute holds the
// key, the add-on field name, the range or allowed values, and the add-on UI name and description (OptionAttribute).
// How to add an option: (1) add the property with [Option("key", …)] below; (2) bind it in ConfigBinder with one line
// (s.Num("key"), s.Int, s.Bool, s.Enum, s.Str: default, range and values come from the declaration); (3) for an add-on
// option set Addon/Name/Description and run `bash scripts/dev.sh options` to regenerate config.yaml's options/schema,
// translations/en.yaml and DOCS.md's option tables (OptionTableFileTests name the line that drifted). See OptionTable.

/// <summary>The whole validated configuration. Built only by <see cref="ConfigLoader"/>; immutable.</summary>
public sealed record LookbackOptions
{
    [Option("node_id", Addon = "node_id", AddonType = "match(^[a-z0-9_]+$)", AddonRequired = true, Name = "Node ID",
        Description = "Identifies this Lookback instance on the broker (letters a-z, digits, underscore). Change it only when several Lookback instances share one broker.")]
    public string NodeId { get; init; } = "lookback";
    [Option("failover_priority", Addon = "failover_priority", Min = 0, Max = 1_000_000, Name = "Failover priority",
        Description = "When several Lookback instances on one broker have a camera with the same slug, the online one with the lowest priority serves it and the others wait on standby; a camera's own value wins (default 100).")]
    /// <summary>Default <see cref="CameraOptions.FailoverPriority"/> of this node's cameras (lower wins among nodes serving one slug).</summary>
    public int FailoverPriority { get; init; } = DefaultFailoverPriority;
    public const int DefaultFailoverPriority = 100;
    [Option("log_level", Addon = "log_level", AddonRequired = true, Values = ["trace", "debug", "info", "warning", "error"], Name = "Log level",
        Description = "How much Lookback writes to the add-on log.")]
    public string LogLevel { get; init; } = "info";
    /// <summary>Null: run without MQTT.</summary>
    [Option("mqtt", Addon = "mqtt", Name = "MQTT broker (optional)",
        Description = "Leave empty to use the broker of the Mosquitto add-on, which the Supervisor provides automatically. Set a host to use another broker.")]
    public MqttOptions? Mqtt { get; init; }
    [Option("http")]
    public HttpOptions Http { get; init; } = new();
    [Option("storage")]
    public StorageOptions Storage { get; init; } = new();
    [Option("cameras", Addon = "cameras", AddonRequired = true, Name = "Cameras",
        Description = "One entry per camera. Every camera becomes a device in Home Assistant.")]
    public IReadOnlyList<CameraOptions> Cameras { get; init; } = [];
    [Option("triggers", Addon = "triggers", AddonRequired = true, Name = "Triggers",
        Description = "Render when a message arrives on an MQTT topic, for example a Zigbee doorbell.")]
    public IReadOnlyList<TriggerOptions> Triggers { get; init; } = [];
    /// <summary>Daily timelapse: section <c>timelapse:</c>.</summary>
    [Option("timelapse")]
    public TimelapseOptions Timelapse { get; init; } = new();
    /// <summary>Offsite copies: section <c>upload:</c>, one entry per target (see Upload/).</summary>
    [Option("upload")]
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
    [Option("type")]
    public UploadType Type { get; init; } = UploadType.S3;
    /// <summary>S3: the service URL (path-style addressing); webhook: the URL the file is POSTed to.</summary>
    [Option("endpoint")]
    public required string Endpoint { get; init; }
    [Option("bucket")]
    public string Bucket { get; init; } = "";
    [Option("region")]
    public string Region { get; init; } = "us-east-1";
    [Option("access_key")]
    public string AccessKey { get; init; } = "";
    [Option("secret_key", Secret = true)]
    public string SecretKey { get; init; } = "";
    /// <summary>Object key template: {camera}, {date} (yyyy-MM-dd), {file} (the file name).</summary>
    [Option("path")]
    public string Path { get; init; } = "{camera}/{date}/{file}";
    [Option("media", Values = ["events", "moments", "recordings", "timelapses"])]
    public UploadMedia Media { get; init; } = UploadMedia.Events | UploadMedia.Moments;
    /// <summary>Camera slugs; empty: all cameras.</summary>
    [Option("cameras")]
    public IReadOnlyList<string> Cameras { get; init; } = [];
    /// <summary>Per-request timeout, seconds.</summary>
    [Option("timeout", Min = 1, Max = 3600)]
    public double Timeout { get; init; } = 60;
    /// <summary>S3: files at least this large go as a multipart upload (resumable after a restart); at least 5 MB.</summary>
    [Option("multipart_threshold", Size = true, Max = 5L * 1024 * 1024 * 1024)]
    public long MultipartThreshold { get; init; } = 64L * 1024 * 1024;
    /// <summary>S3: size of each part of a multipart upload (5 MB … 5 GB; the last part may be smaller).</summary>
    [Option("part_size", Size = true, Max = 5L * 1024 * 1024 * 1024)]
    public long PartSize { get; init; } = 16L * 1024 * 1024;
    /// <summary>S3: <c>remote_url</c> is a presigned GET valid this many seconds; 0: the plain object URL.</summary>
    [Option("presign_seconds", Min = 0, Max = 604800)]
    public int PresignSeconds { get; init; }
    /// <summary>S3: server-side encryption of the objects.</summary>
    [Option("server_side_encryption", Values = ["none", "aes256", "aws:kms"])]
    public string ServerSideEncryption { get; init; } = "none";
    /// <summary>S3: the KMS key for <c>aws:kms</c> (optional: the bucket's default key).</summary>
    [Option("kms_key_id")]
    public string KmsKeyId { get; init; } = "";
    /// <summary>S3: the objects' storage class (STANDARD, STANDARD_IA, GLACIER_IR, …); empty: the bucket's default.</summary>
    [Option("storage_class")]
    public string StorageClass { get; init; } = "";
    /// <summary>Webhook: POST the file itself, or a JSON descriptor of it (camera, key, size, MD5, local URL).</summary>
    [Option("mode", Values = ["file", "json"])]
    public WebhookMode Mode { get; init; } = WebhookMode.File;
}

public enum WebhookMode { File, Json }

/// <summary>
/// Daily timelapse per camera: about <see cref="Seconds"/> s of video at <see cref="Fps"/> frames per
/// second, from one ring frame sampled every <see cref="SamplePeriod"/> across the day.
/// </summary>
public sealed record TimelapseOptions
{
    [Option("enabled")]
    public bool Enabled { get; init; } = true;
    /// <summary>Length of a whole day's video, seconds.</summary>
    [Option("seconds", Min = 1, Max = 3600)]
    public double Seconds { get; init; } = 60;
    [Option("fps", Min = 1, Max = 60)]
    public double Fps { get; init; } = 30;
    /// <summary>Largest width of the samples and the video (frames are never upscaled).</summary>
    [Option("width", Min = 16, Max = 3840)]
    public int Width { get; init; } = 1280;
    /// <summary>Seconds between samples; default 86400 / (seconds × fps) = 48 s.</summary>
    [Option("interval", Min = 0.05, Max = 86400)]
    public double? Interval { get; init; }
    public TimeSpan SamplePeriod => TimeSpan.FromSeconds(Interval ?? 86400 / (Seconds * Fps));
}

/// <summary>What makes a camera's events: motion analysis of the ring, or new files of a folder camera.</summary>
public enum EventsFrom { Motion, Files }

public sealed record MqttOptions
{
    [Option("host", Addon = "host", Name = "Host", Description = "Broker host name or IP address.")]
    public string Host { get; init; } = "127.0.0.1";
    [Option("port", Addon = "port", AddonType = "port", Min = 1, Max = 65535, Name = "Port", Description = "Broker port (1883, or 8883 with TLS).")]
    public int Port { get; init; } = 1883;
    [Option("username", Addon = "username", Name = "Username", Description = "Broker user name.")]
    public string Username { get; init; } = "";
    [Option("password", Addon = "password", Secret = true, Name = "Password", Description = "Broker password.")]
    public string Password { get; init; } = "";
    [Option("tls", Addon = "tls", Name = "TLS", Description = "Connect to the broker with TLS.")]
    public bool Tls { get; init; }
    /// <summary>PEM file with the CA that signs the broker's certificate (optional).</summary>
    [Option("ca_file")]
    public string? CaFile { get; init; }
    /// <summary>Accept any broker certificate (self-signed setups).</summary>
    [Option("tls_insecure")]
    public bool TlsInsecure { get; init; }
    [Option("topic_prefix", Addon = "topic_prefix", AddonRoot = true, AddonRequired = true, Name = "Topic prefix",
        Description = "First part of every Lookback topic, for example lookback/frontdoor/gif/set.")]
    public string TopicPrefix { get; init; } = "lookback";
    [Option("discovery_prefix", Addon = "discovery_prefix", AddonRoot = true, AddonRequired = true, Name = "Discovery prefix",
        Description = "Home Assistant MQTT discovery prefix (homeassistant unless you changed it in the MQTT integration).")]
    public string DiscoveryPrefix { get; init; } = "homeassistant";
    /// <summary>Client id; default "lookback-&lt;node_id&gt;".</summary>
    [Option("client_id")]
    public string? ClientId { get; init; }
    /// <summary>MQTT keepalive, seconds: the broker publishes this node's last will 1.5 × this after it stops answering.</summary>
    [Option("keepalive", Addon = "keepalive", Min = 1, Max = 3600, Name = "Keepalive (s)",
        Description = "MQTT keepalive (default 30). When this instance stops answering, the broker declares it offline after 1.5 times this, and a standby instance takes over its cameras.")]
    public int KeepAlive { get; init; } = 30;
}

public sealed record HttpOptions
{
    [Option("listen")]
    public string Listen { get; init; } = "0.0.0.0";
    [Option("port", Min = 1, Max = 65535)]
    public int Port { get; init; } = 8099;
    /// <summary>Base of every URL published on MQTT; default http://&lt;host name&gt;:&lt;port&gt;.</summary>
    [Option("public_url", Addon = "public_url", AddonType = "url", Name = "Public URL",
        Description = "Base of the URLs Lookback publishes on MQTT. Default http://<add-on host name>:8098, which Home Assistant and other add-ons can reach. Set it (for example http://192.168.1.10:8098, after mapping port 8098) when devices on your network must open the links.")]
    public string? PublicUrl { get; init; }
    /// <summary>Where a person opens the web UI, for Home Assistant's "Visit" link (discovery <c>configuration_url</c>).
    /// Add-on mode: <c>homeassistant://hassio/ingress/&lt;slug&gt;</c>; otherwise null (the public URL's UI is used).</summary>
    public string? UiUrl { get; init; }

    /// <summary>When set, every request but /healthz, published /media files and the UI's static files needs it
    /// (<c>Authorization: Bearer</c> or <c>?token=</c>). A secret: never logged.</summary>
    [Option("api_token", Addon = "api_token", Secret = true, Name = "API token",
        Description = "When set, the API port (8098) answers only requests with this token (header Authorization: Bearer <token> or ?token=<token>), except /healthz and published media. The panel (ingress) needs no token. Set it before mapping port 8098 to your network. At least 8 characters.")]
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
    [Option("path")]
    public string Path { get; init; } = "./media";
    /// <summary>Home Assistant media path of <see cref="Path"/>, published as "media" (optional).</summary>
    [Option("media_url")]
    public string? MediaUrl { get; init; }
    [Option("retain_days", Addon = "retain_days", AddonRequired = true, Min = 0, Name = "Keep renders (days)",
        Description = "GIFs, clips and snapshots older than this are deleted from /media/lookback (0 keeps them).")]
    public int RetainDays { get; init; } = 7;
    [Option("max_bytes", Addon = "max_bytes", AddonRequired = true, Size = true, Name = "Maximum media size",
        Description = "Oldest renders are deleted when /media/lookback grows beyond this, for example 500MB or 10GB.")]
    public long MaxBytes { get; init; } = 10L * 1024 * 1024 * 1024;
}

public enum CameraKind { Auto, Snapshot, Mjpeg, Rtsp, Usb, Folder }

public enum AuthKind { None, Basic, Digest }

public sealed record CameraOptions
{
    /// <summary>[a-z0-9_]+, the key under cameras.</summary>
    [Option("slug", Addon = "slug", AddonType = "match(^[a-z0-9_]+$)", AddonRequired = true, Name = "Slug",
        Description = "Short unique id used in topics and URLs (a-z, 0-9, underscore), for example frontdoor.")]
    public required string Slug { get; init; }
    [Option("name", Addon = "name", Name = "Name", Description = "Display name in Home Assistant (default the slug).")]
    public string? Name { get; init; }
    public string Title => string.IsNullOrWhiteSpace(Name) ? Slug : Name!;
    /// <summary>Home Assistant area suggested for the camera's device (discovery <c>suggested_area</c>); optional.</summary>
    [Option("area", Addon = "area", Name = "Area", Description = "Home Assistant area suggested for the camera's device, for example Porch (optional).")]
    public string? Area { get; init; }
    [Option("url", Addon = "url", AddonRequired = true, Name = "URL",
        Description = "Snapshot (JPEG) URL, MJPEG stream URL or rtsp:// URL of the camera; a /dev/video device for usb; a folder for folder.")]
    public required string Url { get; init; }
    [Option("kind", Addon = "kind", Name = "Kind", Description = "How to read the camera; auto decides from the URL and the answer.")]
    public CameraKind Kind { get; init; } = CameraKind.Auto;
    /// <summary>Seconds between polls (snapshot) or between buffered frames (streams).</summary>
    [Option("interval", Addon = "interval", Min = 0, MinExclusive = true, Name = "Interval (seconds)",
        Description = "Seconds between snapshot polls, or between buffered frames of a stream (default 1).")]
    public double Interval { get; init; } = 1;
    /// <summary>Stream cameras whose moments and GIFs come from the packet ring: seconds between their full-size JPEG frames.</summary>
    [Option("packet_jpeg_interval", Addon = "packet_jpeg_interval", Min = 0, MinExclusive = true, Name = "JPEG interval with a packet ring (seconds)",
        Description = "RTSP/HTTP video cameras whose moments and GIFs come from the stream's own packets: seconds between the full-size JPEG frames (snapshot, MJPEG view, event pictures); snapshots and event pictures are at most this old; smaller values cost CPU (a 1080p JPEG a second is about a tenth of the decode); interval applies when it is larger, with timestamp: true, and when the packets cannot be used (default 5).")]
    public double PacketJpegInterval { get; init; } = 5;
    /// <summary>Stream cameras with a packet ring: seconds of small JPEG frames at the camera's GIF rate and width kept for GIFs.</summary>
    [Option("preview_seconds", Addon = "preview_seconds", Min = 0, Max = 600, Name = "GIF preview frames (seconds)",
        Description = "RTSP/HTTP video cameras whose moments come from the stream's own packets: seconds of small JPEG frames, at the camera's GIF rate and width, that the camera's one decode also keeps, so that GIFs (and a moment's GIF) within them are made without decoding the stream again (about 0.2 s instead of 0.9 s for 10 s of 1080p); costs about 4 % of the decode's CPU and 80 KB of RAM per second kept; kept at most as long as the stream ring (buffer_seconds); the default, 60 (the ring's default), lets motion events' GIFs come from them too (decoding a long event's window again cost ~1 CPU s per event at 1080p); 0 turns them off.")]
    public double PreviewSeconds { get; init; } = 60;
    /// <summary>ffmpeg stream cameras: decoder threads (0: ffmpeg's own choice, one per core and one more).</summary>
    [Option("decode_threads", Addon = "decode_threads", Min = 0, Max = 16, Name = "Decoder threads",
        Description = "RTSP/HTTP video/USB cameras: threads the camera's ffmpeg decodes with; 1 uses least CPU (about 5 % less than several threads for a 1080p stream), 0 lets ffmpeg use one per core, for 4K or H.265 main streams that one core cannot decode in real time (default 1).")]
    public int DecodeThreads { get; init; } = 1;
    /// <summary>Frames kept in the ring.</summary>
    [Option("store", Addon = "store", Min = 1, Name = "Frames kept", Description = "Number of frames kept in the rolling buffer (default 30).")]
    public int Store { get; init; } = 30;
    /// <summary>Also keep at most this many seconds (optional).</summary>
    [Option("buffer_seconds", Addon = "buffer_seconds", Min = 0, MinExclusive = true, Name = "Buffer length (seconds)",
        Description = "Also keep at most this many seconds of frames.")]
    public double? BufferSeconds { get; init; }
    /// <summary>Bytes the ring may hold (default 64 MB).</summary>
    [Option("max_buffer_bytes", Size = true)]
    public long MaxBufferBytes { get; init; } = 64L * 1024 * 1024;
    [Option("auth", Addon = "auth", Values = ["basic", "digest"], Name = "Authentication", Description = "HTTP authentication of the camera (basic or digest).")]
    public AuthKind Auth { get; init; } = AuthKind.None;
    [Option("username", Addon = "username", Name = "Username", Description = "Camera user name.")]
    public string Username { get; init; } = "";
    [Option("password", Addon = "password", Secret = true, Name = "Password", Description = "Camera password.")]
    public string Password { get; init; } = "";
    /// <summary>Per-request timeout for snapshot polls and stream connects, seconds.</summary>
    [Option("timeout", Min = 0, MinExclusive = true)]
    public double Timeout { get; init; } = 10;
    /// <summary>Largest JPEG accepted from the camera, bytes.</summary>
    [Option("max_frame_bytes", Size = true, Max = int.MaxValue)]
    public int MaxFrameBytes { get; init; } = 8 * 1024 * 1024;
    /// <summary>Draw the capture time into rendered frames.</summary>
    [Option("timestamp")]
    public bool Timestamp { get; init; }
    [Option("motion", AddonPrefix = "motion_")]
    public MotionOptions Motion { get; init; } = new();
    /// <summary>Among online nodes configured with this slug, the lowest priority serves it; null: the node's <c>failover_priority</c>.</summary>
    [Option("failover_priority", Addon = "failover_priority", Min = 0, Max = 1_000_000, Name = "Failover priority",
        Description = "Among the online Lookback instances that have this camera slug, the lowest priority serves it (default: the instance's failover priority).")]
    public int? FailoverPriority { get; init; }
    /// <summary>Meant as a spare: serves only while no online node that is not a spare announces the slug.</summary>
    [Option("standby", Addon = "standby", Name = "Standby (spare)",
        Description = "This instance is a spare for this camera: it serves it only while no other online instance that is not a spare has it.")]
    public bool Standby { get; init; }
    /// <summary>Optional low-resolution snapshot or MJPEG URL (same credentials) used for motion detection only; the
    /// ring, GIFs and snapshots keep using <see cref="Url"/>. Null: motion analyses the ring's frames.</summary>
    [Option("motion_url", Addon = "motion_url", Name = "Motion URL",
        Description = "Optional low-resolution snapshot or MJPEG URL of the same camera (e.g. a 640x360 sub-stream), used for motion detection only; the camera's login is used.")]
    public string? MotionUrl { get; init; }
    [Option("gif", AddonPrefix = "gif_")]
    public GifOptions Gif { get; init; } = new();
    /// <summary>Warnings a user sets for this camera (no frames, too many events, offline); each off unless set.</summary>
    [Option("warnings", AddonPrefix = "warn_")]
    public WarningOptions Warnings { get; init; } = new();
    // ---- folder cameras and timelapse
    /// <summary>Folder cameras: where the capture time is in a file name (see <c>FileTimePattern</c>); null: EXIF, else mtime.</summary>
    [Option("time_pattern", Addon = "time_pattern", Name = "File time pattern",
        Description = "Folder cameras: where the capture time is in the file name, e.g. yyyyMMdd_HHmmss or *_{yyyyMMddHHmmss}*.jpg. Empty: the EXIF time, else the file time.")]
    public string? TimePattern { get; init; }
    /// <summary>Default: files for folder cameras, motion for the others.</summary>
    [Option("events_from", Addon = "events_from", Name = "Events from",
        Description = "motion (motion detection) or files (each burst of new files in a folder camera is an event; the default for folder cameras).")]
    public EventsFrom EventsFrom { get; init; } = EventsFrom.Motion;
    /// <summary>Sample this camera into the daily timelapse (when <c>timelapse.enabled</c>).</summary>
    [Option("timelapse", Addon = "timelapse", Name = "Timelapse", Description = "Sample this camera into the daily timelapse (default on).")]
    public bool Timelapse { get; init; } = true;

    // --- ffmpeg stream cameras (rtsp, usb, http video): see Sources/Stream and Recording ---
    /// <summary>RTSP transport: "tcp" (default, works through NAT and loses nothing) or "udp".</summary>
    [Option("transport", Addon = "transport", Values = ["tcp", "udp"], Name = "RTSP transport",
        Description = "tcp (default, works through NAT and loses nothing) or udp, for rtsp cameras.")]
    public string Transport { get; init; } = "tcp";
    /// <summary>Also record the stream (stream copy, HLS segments under storage.path). Default false: saves disk.</summary>
    [Option("record", Addon = "record", Name = "Record",
        Description = "Also record stream cameras (rtsp, usb, http video) as HLS segments under the media folder, for moments cut from the recording and day playlists (default off).")]
    public bool Record { get; init; }
    /// <summary>Target length of recorded segments, seconds (cut at keyframes).</summary>
    [Option("segment_seconds", Addon = "segment_seconds", Min = 1, Max = 60, Name = "Segment length",
        Description = "Length of recorded segments in seconds, cut at keyframes (default 2).")]
    public double SegmentSeconds { get; init; } = 2;
}

public sealed record MotionOptions
{
    [Option("enabled", Addon = "motion_enabled", Name = "Motion detection", Description = "Detect motion in the frames (default on).")]
    public bool Enabled { get; init; } = true;
    [Option("fps", Addon = "motion_fps", Min = 0, MinExclusive = true, Max = 30, Name = "Motion frames per second",
        Description = "Frames per second analysed for motion (default 5).")]
    public double Fps { get; init; } = 5;
    /// <summary>Per-pixel change, 1..255.</summary>
    [Option("threshold", Addon = "motion_threshold", Min = 1, Max = 255, Name = "Motion threshold",
        Description = "Change of a pixel that counts as motion (default 25).")]
    public int Threshold { get; init; } = 25;
    /// <summary>The allowed thresholds (config, <c>motion_threshold/set</c>, the Home Assistant number entity, saved settings).</summary>
    public static NumberRange ThresholdRange => OptionTable.Get<MotionOptions>(nameof(Threshold)).Range;
    /// <summary>Percent of the frame that must change.</summary>
    [Option("min_area", Addon = "motion_min_area", Min = 0, Max = 100, Name = "Motion minimum area (%)",
        Description = "Percentage of the frame that must change (default 0.1).")]
    public double MinArea { get; init; } = 0.1;
    [Option("off_delay", Addon = "motion_off_delay", Min = 0, Name = "Motion off delay (seconds)",
        Description = "Seconds without motion before the motion sensor turns off (default 10).")]
    public double OffDelay { get; init; } = 10;
    [Option("pre_capture", Addon = "motion_pre_capture", Min = 0, Max = 60, Name = "Seconds before motion",
        Description = "Seconds before the motion started included in its GIF and clip (default 3).")]
    public double PreCapture { get; init; } = 3;
    [Option("post_capture", Addon = "motion_post_capture", Min = 0, Max = 60, Name = "Seconds after motion",
        Description = "Seconds after the motion included in its GIF and clip (default 3).")]
    public double PostCapture { get; init; } = 3;
    /// <summary>Longest motion event, seconds: continuous motion is split into consecutive events (0: no limit).</summary>
    [Option("max_event_seconds", Addon = "motion_max_event_seconds", Min = 0, Max = 86400, Name = "Longest motion event (seconds)",
        Description = "Continuous motion is split into events of at most this length, each with its pictures (default 120, 0 no limit).")]
    public double MaxEventSeconds { get; init; } = 120;
    /// <summary>Longest playback of a motion event's GIF, seconds: a longer event is sampled at a lower rate and played
    /// faster (0: real time whatever its length).</summary>
    [Option("gif_max_seconds", Addon = "motion_gif_max_seconds", Min = 0, Max = 300, Name = "Longest motion GIF (seconds)",
        Description = "A motion event's GIF plays in at most this many seconds: a longer event is sampled at a lower rate and played faster, so that its GIF stays small enough for a phone notification and cheap to make (default 10, as long as a default GIF; 0 real time).")]
    public double GifMaxSeconds { get; init; } = 10;
    /// <summary>Frames a second each event keeps for its replay (<c>/api/events/{id}/frames</c>); 0: keep none.</summary>
    [Option("frames_fps", Min = 0, Max = 30)]
    public double FramesFps { get; init; } = 10;
    /// <summary>Ignored areas: polygons of (x, y) points in 0..1.</summary>
    [Option("mask", Addon = "motion_mask", Name = "Motion mask",
        Description = "Areas to ignore. Polygons separated by \";\", points \"x,y\" from 0 to 1 separated by spaces, for example: 0,0 0.2,0 0.2,0.2; 0.8,0.8 1,0.8 1,1")]
    public IReadOnlyList<Polygon> Mask { get; init; } = [];
    [Option("zones", Addon = "motion_zones", Name = "Motion zones",
        Description = "Named areas reported with motion events: \"name: polygon\" separated by \";\", for example: door: 0,0 0.5,0 0.5,1 0,1; path: 0.5,0.5 1,0.5 1,1")]
    public IReadOnlyDictionary<string, Polygon> Zones { get; init; } = new Dictionary<string, Polygon>();
}

/// <summary>A polygon in normalised (0..1) image coordinates.</summary>
public sealed record Polygon(IReadOnlyList<PointF01> Points);

public readonly record struct PointF01(double X, double Y);

public sealed record GifOptions
{
    [Option("seconds", Addon = "gif_seconds", Min = 0, MinExclusive = true, Name = "GIF length (seconds)", Description = "Default length of a GIF (default 10).")]
    public double Seconds { get; init; } = 10;
    [Option("fps", Addon = "gif_fps", Min = 0, MinExclusive = true, Max = 30, Name = "GIF frames per second", Description = "Default frame rate of a GIF (default 4).")]
    public double Fps { get; init; } = 4;
    [Option("width", Addon = "gif_width", Min = 16, Max = 3840, Name = "GIF width", Description = "Default width of a GIF in pixels (default 480).")]
    public int Width { get; init; } = 480;
}

/// <summary>
/// Per-camera warnings (section <c>warnings:</c>): each is off unless set, shown in the web UI and <c>/api/cameras</c>,
/// published as <c>warning</c>/<c>warning_cleared</c> MQTT events and as Home Assistant <c>problem</c> binary sensors.
/// </summary>
public sealed record WarningOptions
{
    /// <summary>Warn when the camera sent no frame for this many minutes; null: off.</summary>
    [Option("no_frame_minutes", Addon = "warn_no_frame_minutes", Min = 1, Max = 10080, Name = "Warn: no frame for (minutes)",
        Description = "Raise a warning when the camera sent no frame for this many minutes (default off).")]
    public int? NoFrameMinutes { get; init; }
    /// <summary>Warn when more than this many events started in the last hour; null: off.</summary>
    [Option("max_events_per_hour", Addon = "warn_max_events_per_hour", Min = 1, Max = 100000, Name = "Warn: events per hour above",
        Description = "Raise a warning when more than this many events started within the last hour (default off).")]
    public int? MaxEventsPerHour { get; init; }
    /// <summary>Warn while the camera is offline.</summary>
    [Option("offline", Addon = "warn_offline", Name = "Warn: camera offline",
        Description = "Raise a warning while the camera is offline (default off).")]
    public bool Offline { get; init; }
    /// <summary>Any warning set.</summary>
    public bool Any => NoFrameMinutes is not null || MaxEventsPerHour is not null || Offline;
}

public enum RenderKind { Snapshot, Gif, Mp4, Moment }

public sealed record TriggerOptions
{
    [Option("topic", Addon = "topic", AddonRequired = true, Name = "Topic", Description = "MQTT topic to listen to, for example zigbee2mqtt/front_doorbell.")]
    public required string Topic { get; init; }
    /// <summary>
    /// Top-level JSON fields that must be equal (compared as JSON text of the value). Each value is the configured
    /// scalar as text: a string as the raw string (no quotes), a number as written (<c>1</c>, <c>2.5</c>), a boolean as
    /// <c>true</c>/<c>false</c>, null as <c>null</c>. Compare an incoming <c>JsonElement</c> field <c>e</c> as:
    /// <c>e.ValueKind == JsonValueKind.String ? e.GetString() == value : e.GetRawText() == value</c>
    /// (objects and arrays never match a scalar). A missing field does not match.
    /// </summary>
    [Option("match", Addon = "match", Name = "Match",
        Description = "Optional: fields of the JSON message that must be equal, as JSON ({\"action\": \"single\"}) or as key=value pairs separated by commas (action=single).")]
    public IReadOnlyDictionary<string, string> Match { get; init; } = new Dictionary<string, string>();
    [Option("cameras", Addon = "cameras", AddonRequired = true, Name = "Cameras",
        Description = "Camera slugs to render, separated by commas, for example frontdoor, garage.")]
    public required IReadOnlyList<string> Cameras { get; init; }
    [Option("action", Addon = "action", Values = ["gif", "moment", "snapshot", "mp4"], Name = "Action", Description = "What to render (default gif).")]
    public RenderKind Action { get; init; } = RenderKind.Gif;
    [Option("doorbell", Addon = "doorbell", Name = "Doorbell", Description = "Also fire the \"ring\" event of the cameras.")]
    public bool Doorbell { get; init; }
}

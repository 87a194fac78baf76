using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Lookback.Config;

/// <summary>Turns a parsed document into <see cref="LookbackOptions"/>, collecting every error with path and line.
/// Error messages never contain configured values.</summary>
internal sealed partial class ConfigBinder(bool addon)
{
    private readonly List<ConfigError> _errors = [];
    public IReadOnlyList<ConfigError> Errors => _errors;
    /// <summary>Password values met while binding (used to scrub error messages).</summary>
    public HashSet<string> Secrets { get; } = new(StringComparer.Ordinal);
    /// <summary>Line of <c>storage.path</c> (the file system check after binding names it).</summary>
    public int? StoragePathLine { get; private set; }

    // The keys of each mapping, its defaults, ranges and allowed values come from the options records' declarations
    // (OptionTable). Only the legacy server.web spelling and the zone list items are not options of their own.
    private static readonly OptionSection RootSection = OptionTable.Root;
    private static readonly OptionSection MqttSection = OptionTable.Section<MqttOptions>();
    private static readonly OptionSection HttpSection = OptionTable.Section<HttpOptions>();
    private static readonly OptionSection StorageSection = OptionTable.Section<StorageOptions>();
    private static readonly OptionSection CameraSection = OptionTable.Section<CameraOptions>();
    private static readonly OptionSection MotionSection = OptionTable.Section<MotionOptions>();
    private static readonly OptionSection GifSection = OptionTable.Section<GifOptions>();
    private static readonly OptionSection WarningSection = OptionTable.Section<WarningOptions>();
    private static readonly OptionSection TriggerSection = OptionTable.Section<TriggerOptions>();
    private static readonly OptionSection TimelapseSection = OptionTable.Section<TimelapseOptions>();
    private static readonly OptionSection UploadSection = OptionTable.Section<UploadTargetOptions>();

    /// <summary>Root keys: the options and the legacy <c>server:</c> (<c>server.web.port/listen</c>, an alias of <c>http</c>).</summary>
    private static readonly string[] RootKeys = [.. RootSection.Keys, "server"];
    private static readonly string[] ServerKeys = ["web"];
    private static readonly string[] WebKeys = ["port", "listen"];
    /// <summary>A camera in the mapping form (the key is its slug) and in the list form (with <c>slug</c>).</summary>
    private static readonly string[] CameraMapKeys = [.. CameraSection.Keys.Where(k => k != "slug")];
    private static readonly string[] CameraListKeys = [.. CameraSection.Keys];
    private static readonly string[] ZoneItemKeys = ["name", "polygon"];

    [GeneratedRegex("^[a-z0-9_]+$")]
    private static partial Regex SlugRegex();

    [GeneratedRegex(@"^(?<n>\d+(?:\.\d+)?|\.\d+)\s*(?<u>[kmgt]i?b?|[kmgt]|b)?$", RegexOptions.IgnoreCase)]
    private static partial Regex SizeRegex();

    public static bool IsSlug(string s) => SlugRegex().IsMatch(s);

    /// <summary>Lowercase; every character outside [a-z0-9] becomes '_'.</summary>
    public static string DeriveSlug(string key)
    {
        var sb = new StringBuilder(key.Length);
        foreach (var c in key.ToLowerInvariant()) sb.Append(c is >= 'a' and <= 'z' or >= '0' and <= '9' ? c : '_');
        return sb.ToString();
    }

    // ---------------------------------------------------------------- errors

    private void Error(string path, CNode? node, string message) => _errors.Add(new ConfigError(path, node?.Line, message));

    private static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;
    private static string Index(string path, int i) => $"{path}[{i}]";

    // ---------------------------------------------------------------- sections

    /// <summary>The entries of one mapping after the checks every mapping gets: keys are strings, no duplicates,
    /// no unknown keys (with a suggestion).</summary>
    private sealed class Section
    {
        private readonly ConfigBinder _b;
        private readonly Dictionary<string, (CNode Key, CNode Value)> _entries = new(StringComparer.Ordinal);
        public string Path { get; }
        public CNode Node { get; }
        /// <summary>The declared options of this mapping (defaults, ranges, allowed values); null for free mappings.</summary>
        private readonly OptionSection? _options;

        public Section(ConfigBinder b, CMap map, string path, OptionSection options, IReadOnlyList<string>? known = null)
            : this(b, map, path, known ?? options.Keys) => _options = options;

        public Section(ConfigBinder b, CMap map, string path, IReadOnlyList<string>? known)
        {
            _b = b;
            Path = path;
            Node = map;
            foreach (var (keyNode, value) in map.Entries)
            {
                if (keyNode is not CScalar key || key.IsNull && key.Kind == ScalarKind.Plain && key.Text.Length == 0)
                {
                    b.Error(path, keyNode, "keys must be plain names");
                    continue;
                }
                var p = Join(path, key.Text);
                if (_entries.TryGetValue(key.Text, out var first))
                {
                    b.Error(p, key, $"duplicate key (first at line {first.Key.Line})");
                    continue;
                }
                _entries[key.Text] = (key, value);
                if (known is not null && !known.Contains(key.Text))
                {
                    var hint = Suggest(key.Text, known);
                    b.Error(p, key, hint is null ? "unknown key" : $"unknown key, did you mean '{hint}'?");
                }
            }
        }

        public IEnumerable<(string Key, CNode KeyNode, CNode Value)> Entries => _entries.Select(e => (e.Key, e.Value.Key, e.Value.Value));

        public bool Has(string key) => _entries.ContainsKey(key);

        public CNode? KeyNode(string key) => _entries.TryGetValue(key, out var e) ? e.Key : null;

        /// <summary>The value, or null when absent, null, or (add-on options) an empty string.</summary>
        public CNode? this[string key]
        {
            get
            {
                if (!_entries.TryGetValue(key, out var e)) return null;
                if (e.Value is CScalar s && (s.IsNull || _b._addon && s.Text.Length == 0 && s.Kind is ScalarKind.JsonString or ScalarKind.Quoted))
                    return null;
                return e.Value;
            }
        }

        public string P(string key) => Join(Path, key);

        private OptionSpec Spec(string key) => (_options ?? throw new InvalidOperationException($"{Path} has no declared options"))[key];

        /// <summary>The number, checked against its declared range; the declared default when absent.</summary>
        public double Num(string key) => NumOrNull(key) ?? Convert.ToDouble(Spec(key).Default, CultureInfo.InvariantCulture);

        /// <summary>The number checked against its declared range; null when absent (an optional number).</summary>
        public double? NumOrNull(string key) => _b.Num(this[key], P(key), Spec(key).Range.Problem);

        /// <summary>The whole number checked against its declared range; the declared default when absent.</summary>
        public int Int(string key) => _b.Int(this[key], P(key), Spec(key).Range.Problem) ?? (int)Spec(key).Default!;

        /// <summary>The whole number checked against its declared range; null when absent or refused (an optional number).</summary>
        public int? IntOrNull(string key) => _b.Int(this[key], P(key), Spec(key).Range.Problem);

        public bool Bool(string key) => _b.Bool(this[key], P(key)) ?? (bool)Spec(key).Default!;

        public string? Str(string key) => _b.Str(this[key], P(key));

        /// <summary>A byte size (at most the declared maximum); the declared default when absent.</summary>
        public long Size(string key) =>
            _b.Size(this[key], P(key), (long)(Spec(key).Range.Max ?? long.MaxValue)) ?? Convert.ToInt64(Spec(key).Default, CultureInfo.InvariantCulture);

        /// <summary>One of the declared values (lower case), or null when absent or not allowed (an error then).</summary>
        public string? Enum(string key) => _b.Enum(this[key], P(key), Spec(key).Values!);

        /// <summary>The declared value as <typeparamref name="T"/>; the declared default when absent or not allowed.</summary>
        public T Enum<T>(string key) where T : struct, System.Enum =>
            Enum(key) is { } v ? System.Enum.Parse<T>(v, ignoreCase: true) : Default<T>(key);

        /// <summary>The declared default (the record's initial value).</summary>
        public T Default<T>(string key) => (T)Spec(key).Default!;

        public Section? Sub(string key, OptionSection options, IReadOnlyList<string>? known = null) =>
            this[key] is { } n ? _b.Map(n, P(key), options, known) : null;

        public Section? Sub(string key, IReadOnlyList<string>? known) =>
            this[key] is { } n ? _b.Map(n, P(key), known) : null;
    }

    private readonly bool _addon = addon;

    private Section? Map(CNode node, string path, IReadOnlyList<string>? known)
    {
        if (node is CMap map) return new Section(this, map, path, known);
        Error(path, node, "must be a mapping of keys to values");
        return null;
    }

    private Section? Map(CNode node, string path, OptionSection options, IReadOnlyList<string>? known = null)
    {
        if (node is CMap map) return new Section(this, map, path, options, known);
        Error(path, node, "must be a mapping of keys to values");
        return null;
    }

    internal static string? Suggest(string key, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var k in known)
        {
            var d = Distance(key.ToLowerInvariant(), k);
            if (d < bestDistance) (best, bestDistance) = (k, d);
        }
        if (bestDistance <= 2) return best;
        // "warn" → "warning": a known word that starts with what was written
        return key.Length >= 3 ? known.FirstOrDefault(k => k.StartsWith(key, StringComparison.OrdinalIgnoreCase)) : null;
    }

    internal static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    // ---------------------------------------------------------------- scalars

    private double? Num(CNode? node, string path, Func<double, string?>? check = null)
    {
        if (node is null) return null;
        if (node is not CScalar { AsNumber: { } d })
        {
            Error(path, node, "must be a number");
            return null;
        }
        if (check?.Invoke(d) is { } problem)
        {
            Error(path, node, problem);
            return null;
        }
        return d;
    }

    private int? Int(CNode? node, string path, Func<double, string?>? check = null)
    {
        if (node is null) return null;
        if (node is not CScalar { AsNumber: { } d })
        {
            Error(path, node, "must be a whole number");
            return null;
        }
        if (d != Math.Floor(d) || d < int.MinValue || d > int.MaxValue)
        {
            Error(path, node, "must be a whole number");
            return null;
        }
        if (check?.Invoke(d) is { } problem)
        {
            Error(path, node, problem);
            return null;
        }
        return (int)d;
    }

    private bool? Bool(CNode? node, string path)
    {
        if (node is null) return null;
        if (node is CScalar { AsBool: { } b }) return b;
        Error(path, node, "must be true or false");
        return null;
    }

    /// <summary>Any scalar is accepted as text (a YAML password 1234 is the string "1234").</summary>
    private string? Str(CNode? node, string path)
    {
        if (node is null) return null;
        if (node is CScalar s) return s.Text;
        Error(path, node, "must be a string");
        return null;
    }

    private string? Enum(CNode? node, string path, IReadOnlyList<string> values)
    {
        if (node is null) return null;
        if (node is CScalar s && values.Contains(s.Text.ToLowerInvariant())) return s.Text.ToLowerInvariant();
        var hint = node is CScalar t ? Suggest(t.Text, values) : null;
        Error(path, node, $"must be one of {string.Join('|', values)}" + (hint is null ? "" : $", did you mean '{hint}'?"));
        return null;
    }

    /// <summary>Bytes: a whole number, or a string like <c>10GB</c>, <c>512MB</c>, <c>64 KiB</c>, <c>1.5GB</c> (1 KB = 1024 B).</summary>
    private long? Size(CNode? node, string path, long max)
    {
        if (node is null) return null;
        var bytes = node is CScalar s ? ParseSize(s) : null;
        if (bytes is null)
        {
            Error(path, node, "must be a size in bytes or like 512MB, 64 KiB, 10GB");
            return null;
        }
        if (bytes <= 0)
        {
            Error(path, node, "must be greater than 0");
            return null;
        }
        if (bytes > max)
        {
            Error(path, node, $"must be at most {max} bytes");
            return null;
        }
        return bytes;
    }

    internal static long? ParseSize(CScalar s)
    {
        if (s.AsNumber is { } n && s.Kind is ScalarKind.Plain or ScalarKind.JsonNumber)
            return n == Math.Floor(n) && Math.Abs(n) < 9e18 ? (long)n : null;
        if (s.Kind is not (ScalarKind.Plain or ScalarKind.Quoted or ScalarKind.JsonString)) return null;
        return ParseSize(s.Text);
    }

    /// <summary>Parses <c>10GB</c>, <c>512 MB</c>, <c>64KiB</c>, <c>1.5G</c>, <c>100</c>, <c>100B</c>; null when not a size.</summary>
    public static long? ParseSize(string text)
    {
        var m = SizeRegex().Match(text.Trim());
        if (!m.Success) return null;
        var value = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
        var unit = m.Groups["u"].Value.ToLowerInvariant();
        double multiplier = unit.Length == 0 || unit == "b" ? 1 : unit[0] switch
        {
            'k' => 1024d,
            'm' => 1024d * 1024,
            'g' => 1024d * 1024 * 1024,
            't' => 1024d * 1024 * 1024 * 1024,
            _ => double.NaN,
        };
        var bytes = Math.Round(value * multiplier);
        return double.IsFinite(bytes) && bytes < 9e18 ? (long)bytes : null;
    }

    // ---------------------------------------------------------------- checks

    private static readonly Func<double, string?> ZeroToOne = NumberRange.Between(0, 1).Problem;

    /// <summary>MQTT topic syntax; wildcards allowed only when <paramref name="filter"/>. Null when valid.</summary>
    internal static string? TopicProblem(string topic, bool filter)
    {
        if (topic.Length == 0) return "must not be empty";
        if (topic.Contains('\0')) return "must not contain a NUL character";
        if (Encoding.UTF8.GetByteCount(topic) > 65535) return "is too long";
        var levels = topic.Split('/');
        for (var i = 0; i < levels.Length; i++)
        {
            var level = levels[i];
            if (level.Contains('#'))
            {
                if (!filter) return "must not contain '+' or '#'";
                if (level != "#" || i != levels.Length - 1) return "'#' is only allowed as the whole last level";
            }
            if (level.Contains('+'))
            {
                if (!filter) return "must not contain '+' or '#'";
                if (level != "+") return "'+' must be a whole level";
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- the document

    public LookbackOptions? Bind(CNode? rootNode)
    {
        if (rootNode is null || rootNode is CScalar { IsNull: true })
        {
            Error("cameras", null, "at least one camera is required");
            return null;
        }
        var root = Map(rootNode, "", RootSection, RootKeys);
        if (root is null) return null;

        var options = new LookbackOptions();

        if (root.Str("node_id") is { } nodeId)
        {
            if (IsSlug(nodeId)) options = options with { NodeId = nodeId };
            else Error("node_id", root["node_id"], "must match [a-z0-9_]+");
        }
        if (root.Enum("log_level") is { } level) options = options with { LogLevel = level };
        options = options with { FailoverPriority = root.Int("failover_priority") };

        if (root.Sub("mqtt", MqttSection) is { } mqtt) options = options with { Mqtt = BindMqtt(mqtt) };
        options = options with { Http = BindHttp(root) };
        if (root.Sub("storage", StorageSection) is { } storage) options = options with { Storage = BindStorage(storage) };

        var cameras = BindCameras(root);
        options = options with { Cameras = cameras };
        options = options with { Triggers = BindTriggers(root, cameras) };
        // the daily timelapse section
        if (root.Sub("timelapse", TimelapseSection) is { } timelapse) options = options with { Timelapse = BindTimelapse(timelapse) };
        // offsite copies
        if (root.Sub("upload", (IReadOnlyList<string>?)null) is { } upload) options = options with { Upload = BindUpload(upload, cameras) };
        return options;
    }

    private MqttOptions BindMqtt(Section s)
    {
        var o = new MqttOptions();
        if (s.Str("host") is { } host)
        {
            if (host.Trim().Length == 0) Error(s.P("host"), s["host"], "must not be empty");
            o = o with { Host = host.Trim() };
        }
        o = o with
        {
            Port = s.Int("port"),
            Username = s.Str("username") ?? "",
            Password = s.Str("password") ?? "",
            Tls = s.Bool("tls"),
            CaFile = s.Str("ca_file"),
            TlsInsecure = s.Bool("tls_insecure"),
            ClientId = s.Str("client_id"),
            KeepAlive = s.Int("keepalive"),
        };
        Secrets.Add(o.Password);
        foreach (var key in new[] { "topic_prefix", "discovery_prefix" })
        {
            if (s.Str(key) is not { } prefix) continue;
            var problem = TopicProblem(prefix, filter: false)
                          ?? (prefix.StartsWith('/') || prefix.EndsWith('/') ? "must not start or end with '/'" : null);
            if (problem is not null) Error(s.P(key), s[key], problem);
            o = key == "topic_prefix" ? o with { TopicPrefix = prefix } : o with { DiscoveryPrefix = prefix };
        }
        if (o.CaFile is { Length: 0 }) o = o with { CaFile = null };
        if (o.ClientId is { Length: 0 }) o = o with { ClientId = null };
        return o;
    }

    private HttpOptions BindHttp(Section root)
    {
        var http = new HttpOptions();
        var httpSection = root.Sub("http", HttpSection);
        var server = root.Sub("server", ServerKeys);
        var web = server?.Sub("web", HttpSection, WebKeys);

        if (httpSection is not null && server is not null && server.Has("web"))
            Error("server.web", server.KeyNode("web"),
                $"cannot be combined with 'http' (line {root.KeyNode("http")!.Line}); use either 'http' or 'server.web'");

        foreach (var s in new[] { httpSection, web })
        {
            if (s is null) continue;
            http = http with { Port = s.Int("port") };
            if (s.Str("listen") is { } listen)
            {
                if (listen.Trim().Length == 0) Error(s.P("listen"), s["listen"], "must not be empty");
                else http = http with { Listen = listen.Trim() };
            }
        }
        if (httpSection?.Str("public_url") is { } publicUrl)
        {
            if (Uri.TryCreate(publicUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0
                && CameraKindResolver.HasScheme(publicUrl))
                http = http with { PublicUrl = publicUrl.TrimEnd('/') };
            else
                Error(httpSection.P("public_url"), httpSection["public_url"], "must be an absolute http:// or https:// URL");
        }
        if (httpSection?.Str("api_token") is { Length: > 0 } token)
        {
            Secrets.Add(token);
            if (token.Length < 8 || token.Any(char.IsWhiteSpace) || token.Any(char.IsControl))
                Error(httpSection.P("api_token"), httpSection["api_token"], "must be at least 8 characters without spaces");
            else http = http with { ApiToken = token };
        }
        return http;
    }

    private StorageOptions BindStorage(Section s)
    {
        var o = new StorageOptions();
        if (s.Str("path") is { } path)
        {
            if (path.Trim().Length == 0) Error(s.P("path"), s["path"], "must not be empty");
            else o = o with { Path = path };
            StoragePathLine = s["path"]?.Line;
        }
        return o with
        {
            MediaUrl = s.Str("media_url") is { Length: > 0 } media ? media : null,
            RetainDays = s.Int("retain_days"),
            MaxBytes = s.Size("max_bytes"),
        };
    }

    // ---------------------------------------------------------------- cameras

    private List<CameraOptions> BindCameras(Section root)
    {
        var result = new List<CameraOptions>();
        var node = root["cameras"];
        var slugs = new Dictionary<string, (string Key, int? Line)>(StringComparer.Ordinal);

        void Add(CameraOptions? camera, string path, CNode at, string origin)
        {
            if (camera is null) return;
            if (slugs.TryGetValue(camera.Slug, out var first))
            {
                Error(path, at, $"duplicate slug '{camera.Slug}' (from '{origin}' and '{first.Key}'"
                                + (first.Line is int l ? $" at line {l})" : ")"));
                return;
            }
            slugs[camera.Slug] = (origin, at.Line);
            result.Add(camera);
        }

        switch (node)
        {
            case null:
                break;
            case CMap:
            {
                var section = Map(node, "cameras", null)!;
                foreach (var (key, keyNode, value) in section.Entries)
                {
                    var path = section.P(key);
                    string slug;
                    string? name = null;
                    if (IsSlug(key)) slug = key;
                    else
                    {
                        slug = DeriveSlug(key);
                        name = key;
                    }
                    Add(BindCamera(value, path, slug, name, keyNode), path, keyNode, key);
                }
                break;
            }
            case CSeq seq:
                for (var i = 0; i < seq.Items.Count; i++)
                {
                    var path = Index("cameras", i);
                    var item = seq.Items[i];
                    if (item is not CMap map)
                    {
                        Error(path, item, "must be a mapping of keys to values");
                        continue;
                    }
                    var section = new Section(this, map, path, CameraSection, CameraListKeys);
                    string? slug = null;
                    if (section.Str("slug") is { } given)
                    {
                        if (IsSlug(given)) slug = given;
                        else Error(section.P("slug"), section["slug"], "must match [a-z0-9_]+");
                    }
                    else if (section.Str("name") is { } name && name.Trim().Length > 0) slug = DeriveSlug(name.Trim());
                    else
                    {
                        Error(path, item, "needs a 'slug' or a 'name'");
                        continue;
                    }
                    if (slug is null) continue;
                    Add(BindCamera(section, slug, null, item), path, item, slug);
                }
                break;
            default:
                Error("cameras", node, "must be a mapping of camera slugs to cameras");
                return result;
        }

        if (result.Count == 0 && !_errors.Any(e => e.Path.StartsWith("cameras", StringComparison.Ordinal)))
            Error("cameras", root.KeyNode("cameras"), "at least one camera is required");
        return result;
    }

    private CameraOptions? BindCamera(CNode node, string path, string slug, string? name, CNode keyNode)
    {
        if (node is CScalar { IsNull: true })
        {
            Error(Join(path, "url"), keyNode, "is required");
            return null;
        }
        var section = Map(node, path, CameraSection, CameraMapKeys);
        return section is null ? null : BindCamera(section, slug, name, keyNode);
    }

    private CameraOptions? BindCamera(Section s, string slug, string? derivedName, CNode at)
    {
        var name = s.Str("name");
        if (string.IsNullOrWhiteSpace(name)) name = derivedName;

        var username = s.Str("username");
        var password = s.Str("password");
        Secrets.Add(password ?? "");

        var kind = s.Enum<CameraKind>("kind");
        var authText = s.Enum("auth");
        var auth = authText is null ? s.Default<AuthKind>("auth") : System.Enum.Parse<AuthKind>(authText, ignoreCase: true);

        string url = "";
        if (s.Str("url") is not { } rawUrl)
        {
            if (!s.Has("url") || s["url"] is null) Error(s.P("url"), s.Has("url") ? s.KeyNode("url") : at, "is required");
        }
        else
        {
            rawUrl = rawUrl.Trim();
            var (stripped, urlUser, urlPassword) = Redaction.SplitUserInfo(rawUrl);
            Secrets.Add(urlPassword ?? "");
            url = stripped;
            if (urlUser is not null)
            {
                if (!string.IsNullOrEmpty(username) && username != urlUser
                    || !string.IsNullOrEmpty(password) && urlPassword is not null && password != urlPassword)
                    Error(s.P("url"), s["url"], "credentials in the URL differ from username/password");
                if (string.IsNullOrEmpty(username)) username = urlUser;
                if (string.IsNullOrEmpty(password)) password = urlPassword;
                if (authText is null && username.Length > 0) auth = AuthKind.Basic;
            }
            if (CheckUrl(url, kind, out var resolved) is { } problem) Error(s.P("url"), s["url"], problem);
            else kind = resolved;
        }

        if (authText is not null && string.IsNullOrEmpty(username))
            Error(s.P("auth"), s["auth"], "needs a username");

        var camera = new CameraOptions
        {
            Slug = slug,
            Name = string.IsNullOrWhiteSpace(name) ? null : name,
            Area = s.Str("area") is { } area && area.Trim().Length > 0 ? area.Trim() : null,
            Url = url,
            Kind = kind,
            Interval = s.Num("interval"),
            PacketJpegInterval = s.Num("packet_jpeg_interval"),
            PreviewSeconds = s.Num("preview_seconds"),
            Store = s.Int("store"),
            DecodeThreads = s.Int("decode_threads"),
            BufferSeconds = s.NumOrNull("buffer_seconds"),
            MaxBufferBytes = s.Size("max_buffer_bytes"),
            Auth = auth,
            Username = username ?? "",
            Password = password ?? "",
            Timeout = s.Num("timeout"),
            MaxFrameBytes = (int)s.Size("max_frame_bytes"),
            Timestamp = s.Bool("timestamp"),
            Motion = s.Sub("motion", MotionSection) is { } motion ? BindMotion(motion) : new MotionOptions(),
            Gif = s.Sub("gif", GifSection) is { } gif ? BindGif(gif) : new GifOptions(),
            Warnings = s.Sub("warnings", WarningSection) is { } warnings ? BindWarnings(warnings) : new WarningOptions(),
            // ffmpeg stream cameras
            Transport = s.Enum("transport") ?? s.Default<string>("transport"),
            Record = s.Bool("record"),
            SegmentSeconds = s.Num("segment_seconds"),
            // several nodes on one broker
            FailoverPriority = s.IntOrNull("failover_priority"),
            Standby = s.Bool("standby"),
        };
        if (s.Str("motion_url") is { } rawMotionUrl)
        {
            var (motionUrl, motionUser, motionPassword) = Redaction.SplitUserInfo(rawMotionUrl.Trim());
            Secrets.Add(motionPassword ?? "");
            if (motionUser is not null)
                Error(s.P("motion_url"), s["motion_url"], "must not carry credentials (the camera's username/password are used)");
            else if (CheckUrl(motionUrl, CameraKind.Mjpeg, out _) is not null)
                Error(s.P("motion_url"), s["motion_url"], "must be an absolute http:// or https:// URL (a snapshot or MJPEG URL)");
            else if (camera.Kind == CameraKind.Folder)
                Error(s.P("motion_url"), s["motion_url"], "is not for folder cameras");
            else camera = camera with { MotionUrl = motionUrl };
        }
        if (camera.Record && url.Length > 0 && !CameraKindResolver.IsStream(CameraKindResolver.Route(camera.Kind, camera.Url)))
            Error(s.P("record"), s["record"], "needs a stream camera (rtsp, usb, or an http(s) video URL such as .m3u8/.mp4)");
        return BindFolderKeys(s, camera);
    }

    // ---- time_pattern, events_from (folder cameras), timelapse switch
    private CameraOptions BindFolderKeys(Section s, CameraOptions camera)
    {
        var isFolder = camera.Kind == CameraKind.Folder;
        string? pattern = null;
        if (s.Str("time_pattern") is { } p)
        {
            if (!isFolder) Error(s.P("time_pattern"), s["time_pattern"], "is only for folder cameras (kind folder)");
            else if (FileTimePattern.TryParse(p, out _, out var problem)) pattern = p;
            else Error(s.P("time_pattern"), s["time_pattern"], problem!);
        }
        var from = isFolder ? EventsFrom.Files : EventsFrom.Motion;
        if (s.Enum("events_from") is { } e)
        {
            if (e == "files" && !isFolder) Error(s.P("events_from"), s["events_from"], "files is only for folder cameras (kind folder)");
            else from = e == "files" ? EventsFrom.Files : EventsFrom.Motion;
        }
        return camera with { TimePattern = pattern, EventsFrom = from, Timelapse = s.Bool("timelapse") };
    }

    private TimelapseOptions BindTimelapse(Section s)
    {
        var d = new TimelapseOptions();
        return d with
        {
            Enabled = s.Bool("enabled"),
            Seconds = s.Num("seconds"),
            Fps = s.Num("fps"),
            Width = s.Int("width"),
            Interval = s.NumOrNull("interval"),
        };
    }

    /// <summary>See <see cref="CameraKindResolver.Check"/>.</summary>
    internal static string? CheckUrl(string url, CameraKind kind, out CameraKind resolved) => CameraKindResolver.Check(url, kind, out resolved);

    private MotionOptions BindMotion(Section s)
    {
        var d = new MotionOptions();
        return d with
        {
            Enabled = s.Bool("enabled"),
            Fps = s.Num("fps"),
            Threshold = s.Int("threshold"),
            MinArea = s.Num("min_area"),
            OffDelay = s.Num("off_delay"),
            PreCapture = s.Num("pre_capture"),
            PostCapture = s.Num("post_capture"),
            MaxEventSeconds = s.Num("max_event_seconds"),
            GifMaxSeconds = s.Num("gif_max_seconds"),
            FramesFps = s.Num("frames_fps"),
            Mask = BindMask(s["mask"], s.P("mask")),
            Zones = BindZones(s["zones"], s.P("zones")),
        };
    }

    private List<Polygon> BindMask(CNode? node, string path)
    {
        var result = new List<Polygon>();
        if (node is null) return result;
        if (node is not CSeq seq)
        {
            Error(path, node, "must be a list of polygons, each a list of [x, y] points");
            return result;
        }
        if (seq.Items is [CSeq { Items: [CScalar, ..] }, ..])
        {
            Error(path, node, "must be a list of polygons, each a list of [x, y] points (wrap a single polygon in [ ])");
            return result;
        }
        for (var i = 0; i < seq.Items.Count; i++)
            if (BindPolygon(seq.Items[i], Index(path, i)) is { } p) result.Add(p);
        return result;
    }

    private Dictionary<string, Polygon> BindZones(CNode? node, string path)
    {
        var result = new Dictionary<string, Polygon>(StringComparer.Ordinal);
        switch (node)
        {
            case null:
                break;
            case CMap:
            {
                var section = Map(node, path, null)!;
                foreach (var (key, _, value) in section.Entries)
                {
                    if (key.Trim().Length == 0) { Error(section.P(key), value, "a zone needs a name"); continue; }
                    if (BindPolygon(value, section.P(key)) is { } p) result[key] = p;
                }
                break;
            }
            case CSeq seq:
                for (var i = 0; i < seq.Items.Count; i++)
                {
                    var itemPath = Index(path, i);
                    if (Map(seq.Items[i], itemPath, ZoneItemKeys) is not { } zone) continue;
                    var name = zone.Str("name");
                    if (string.IsNullOrWhiteSpace(name)) Error(zone.P("name"), zone.KeyNode("name") ?? zone.Node, "is required");
                    var polygon = zone["polygon"] is { } pn ? BindPolygon(pn, zone.P("polygon")) : null;
                    if (zone["polygon"] is null) Error(zone.P("polygon"), zone.KeyNode("polygon") ?? zone.Node, "is required");
                    if (string.IsNullOrWhiteSpace(name) || polygon is null) continue;
                    if (!result.TryAdd(name, polygon)) Error(zone.P("name"), zone["name"], "duplicate zone name");
                }
                break;
            default:
                Error(path, node, "must be a mapping of zone names to polygons");
                break;
        }
        return result;
    }

    private Polygon? BindPolygon(CNode node, string path)
    {
        if (node is not CSeq seq)
        {
            Error(path, node, "must be a polygon: a list of [x, y] points");
            return null;
        }
        var errors = _errors.Count;
        var points = new List<PointF01>();
        for (var i = 0; i < seq.Items.Count; i++)
        {
            var p = Index(path, i);
            if (seq.Items[i] is not CSeq { Items.Count: 2 } pair)
            {
                Error(p, seq.Items[i], "must be a point [x, y]");
                continue;
            }
            var x = Num(pair.Items[0], Index(p, 0), ZeroToOne);
            var y = Num(pair.Items[1], Index(p, 1), ZeroToOne);
            if (x is not null && y is not null) points.Add(new PointF01(x.Value, y.Value));
        }
        if (seq.Items.Count < 3)
            Error(path, node, "a polygon needs at least 3 points");
        return _errors.Count == errors ? new Polygon(points) : null;
    }

    private GifOptions BindGif(Section s)
    {
        var d = new GifOptions();
        return d with
        {
            Seconds = s.Num("seconds"),
            Fps = s.Num("fps"),
            Width = s.Int("width"),
        };
    }

    private static WarningOptions BindWarnings(Section s) => new()
    {
        NoFrameMinutes = s.IntOrNull("no_frame_minutes"),
        MaxEventsPerHour = s.IntOrNull("max_events_per_hour"),
        Offline = s.Bool("offline"),
    };

    // ---------------------------------------------------------------- triggers

    private List<TriggerOptions> BindTriggers(Section root, List<CameraOptions> cameras)
    {
        var result = new List<TriggerOptions>();
        var node = root["triggers"];
        if (node is null) return result;
        if (node is not CSeq seq)
        {
            Error("triggers", node, "must be a list of triggers");
            return result;
        }
        for (var i = 0; i < seq.Items.Count; i++)
        {
            var path = Index("triggers", i);
            if (Map(seq.Items[i], path, TriggerSection) is not { } s) continue;

            var topic = s.Str("topic");
            if (topic is null) Error(s.P("topic"), s.KeyNode("topic") ?? s.Node, "is required");
            else if (TopicProblem(topic, filter: true) is { } problem) Error(s.P("topic"), s["topic"], problem);

            var match = new Dictionary<string, string>(StringComparer.Ordinal);
            if (s.Has("match") && s.Sub("match", (IReadOnlyList<string>?)null) is { } m)
                foreach (var (field, _, value) in m.Entries)
                {
                    if (value is CScalar v) match[field] = MatchText(v);
                    else Error(m.P(field), value, "must be a string, number or boolean");
                }

            var slugs = new List<string>();
            var camerasNode = s["cameras"];
            var camerasPath = s.P("cameras");
            var items = camerasNode switch
            {
                null => null,
                CSeq list => list.Items.Select((n, j) => (n, Index(camerasPath, j))).ToList(),
                CScalar one => [(one, camerasPath)],
                _ => null,
            };
            if (camerasNode is null) Error(camerasPath, s.KeyNode("cameras") ?? s.Node, "is required");
            else if (items is null) Error(camerasPath, camerasNode, "must be a list of camera slugs");
            else
            {
                if (items.Count == 0) Error(camerasPath, camerasNode, "must name at least one camera");
                foreach (var (n, p) in items)
                {
                    if (Str(n, p) is not { } reference) continue;
                    var camera = cameras.FirstOrDefault(c => c.Slug == reference)
                                 ?? cameras.FirstOrDefault(c => c.Name == reference && !IsSlug(reference));
                    if (camera is null) Error(p, n, $"unknown camera '{reference}'");
                    else if (!slugs.Contains(camera.Slug)) slugs.Add(camera.Slug);
                }
            }

            result.Add(new TriggerOptions
            {
                Topic = topic ?? "",
                Match = match,
                Cameras = slugs,
                Action = s.Enum<RenderKind>("action"),
                Doorbell = s.Bool("doorbell"),
            });
        }
        return result;
    }

    /// <summary>The text an incoming JSON field is compared with (see <see cref="TriggerOptions.Match"/>).</summary>
    private static string MatchText(CScalar v) => v.Kind switch
    {
        ScalarKind.Plain when v.IsNull => "null",
        ScalarKind.Plain when v.AsBool is { } b => b ? "true" : "false",
        _ => v.Text,
    };

    private List<UploadTargetOptions> BindUpload(Section root, List<CameraOptions> cameras)
    {
        var result = new List<UploadTargetOptions>();
        foreach (var (name, keyNode, node) in root.Entries)
        {
            var path = root.P(name);
            if (!IsSlug(name)) { Error(path, keyNode, "target names must match [a-z0-9_]+"); continue; }
            if (Map(node, path, UploadSection) is not { } s) continue;
            var type = s.Enum<UploadType>("type");
            if (s["type"] is null) Error(s.P("type"), s.KeyNode("type") ?? keyNode, "is required (s3 or webhook)");

            var endpoint = s.Str("endpoint");
            if (endpoint is null) Error(s.P("endpoint"), s.KeyNode("endpoint") ?? keyNode, "is required");
            else if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
                Error(s.P("endpoint"), s["endpoint"], "must be an absolute http:// or https:// URL");
            else if (u.UserInfo.Length > 0)
                Error(s.P("endpoint"), s["endpoint"], "must not carry credentials (use access_key/secret_key)");

            var secret = s.Str("secret_key") ?? "";
            if (secret.Length > 0) Secrets.Add(secret);
            var accessKey = s.Str("access_key") ?? "";
            var bucket = s.Str("bucket") ?? "";
            if (type == UploadType.S3)
            {
                if (bucket.Trim().Length == 0) Error(s.P("bucket"), s.KeyNode("bucket") ?? keyNode, "is required for s3");
                if (accessKey.Length == 0) Error(s.P("access_key"), s.KeyNode("access_key") ?? keyNode, "is required for s3");
                if (secret.Length == 0) Error(s.P("secret_key"), s.KeyNode("secret_key") ?? keyNode, "is required for s3");
            }

            var template = s.Str("path") ?? s.Default<string>("path");
            if (UploadKey.Problem(template) is { } problem) Error(s.P("path"), s["path"], problem);

            var media = UploadMedia.None;
            var mediaNode = s["media"];
            if (mediaNode is null) media = s.Default<UploadMedia>("media");
            else if (mediaNode is not CSeq list || list.Items.Count == 0)
                Error(s.P("media"), mediaNode, "must be a list of events|moments|recordings|timelapses");
            else
                for (var i = 0; i < list.Items.Count; i++)
                    if (Enum(list.Items[i], Index(s.P("media"), i), UploadSection["media"].Values!) is { } m)
                        media |= System.Enum.Parse<UploadMedia>(m, ignoreCase: true);

            var slugs = new List<string>();
            var camerasNode = s["cameras"];
            if (camerasNode is CSeq cams)
                for (var i = 0; i < cams.Items.Count; i++)
                {
                    var p = Index(s.P("cameras"), i);
                    if (Str(cams.Items[i], p) is not { } slug) continue;
                    if (cameras.All(c => c.Slug != slug)) Error(p, cams.Items[i], $"unknown camera '{slug}'");
                    else if (!slugs.Contains(slug)) slugs.Add(slug);
                }
            else if (camerasNode is not null) Error(s.P("cameras"), camerasNode, "must be a list of camera slugs");

            const long MinPart = 5L * 1024 * 1024; // S3's smallest part (all but the last)
            var threshold = s.Size("multipart_threshold");
            if (threshold < MinPart) Error(s.P("multipart_threshold"), s["multipart_threshold"], "must be at least 5MB (S3's smallest part)");
            var partSize = s.Size("part_size");
            if (partSize < MinPart) Error(s.P("part_size"), s["part_size"], "must be at least 5MB (S3's smallest part)");
            var storageClass = s.Str("storage_class") ?? "";
            if (storageClass.Length > 0 && !storageClass.All(ch => ch is >= 'A' and <= 'Z' or '_' or >= '0' and <= '9'))
                Error(s.P("storage_class"), s["storage_class"], "must be an S3 storage class in capitals, e.g. STANDARD_IA");
            var sse = s.Enum("server_side_encryption") ?? s.Default<string>("server_side_encryption");
            var kms = s.Str("kms_key_id") ?? "";
            if (kms.Length > 0 && sse != "aws:kms") Error(s.P("kms_key_id"), s["kms_key_id"], "needs server_side_encryption: aws:kms");

            result.Add(new UploadTargetOptions
            {
                Name = name, Type = type, Endpoint = endpoint ?? "", Bucket = bucket, Region = s.Str("region") ?? s.Default<string>("region"),
                AccessKey = accessKey, SecretKey = secret, Path = template, Media = media, Cameras = slugs,
                Timeout = s.Num("timeout"), MultipartThreshold = threshold, PartSize = partSize,
                PresignSeconds = s.Int("presign_seconds"), ServerSideEncryption = sse, KmsKeyId = kms, StorageClass = storageClass,
                Mode = s.Enum<WebhookMode>("mode"),
            });
        }
        return result;
    }
}

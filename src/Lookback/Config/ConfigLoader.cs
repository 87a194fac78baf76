namespace Lookback.Config;

/// <summary>One problem in a configuration: dotted path (list items as <c>[i]</c>), 1-based line when known, message.
/// Messages never contain a password or any other configured value (only key names and known words).</summary>
public sealed record ConfigError(string Path, int? Line, string Message)
{
    /// <summary><c>cameras.frontdoor.interval: must be greater than 0 (line 7)</c>; without a path just the message.</summary>
    public override string ToString()
    {
        var head = string.IsNullOrEmpty(Path) ? Message : $"{Path}: {Message}";
        return Line is int l ? $"{head} (line {l})" : head;
    }
}

/// <summary>Outcome of loading a configuration: <see cref="Options"/> is set only when there are no errors.</summary>
public sealed record ConfigResult(LookbackOptions? Options, IReadOnlyList<ConfigError> Errors)
{
    public bool IsValid => Options is not null && Errors.Count == 0;

    /// <summary>Line of <c>storage.path</c> in the file, when the file sets it (for <see cref="CheckStorage"/>).</summary>
    public int? StoragePathLine { get; init; }

    /// <summary>This result, or a failure naming <c>storage.path</c> (and its line) when the valid options' storage path
    /// is a file, not writable or cannot be created (<see cref="StoragePathCheck"/>; asks the file system).</summary>
    public ConfigResult CheckStorage() =>
        IsValid && StoragePathCheck.Problem(Options!.Storage.Path) is { } problem
            ? new ConfigResult(null, [new ConfigError("storage.path", StoragePathLine, problem)])
            : this;

    internal static ConfigResult Fail(params ConfigError[] errors) => new(null, errors);
}

/// <summary>
/// Loads and validates the configuration (README "Configuration"): YAML or JSON of the same shape, the cctv-gif-buffer
/// <c>config.yaml</c> format unchanged, and the Home Assistant add-on <c>/data/options.json</c>. Every problem is
/// reported with its path and line; nothing stops at the first error.
/// </summary>
/// <remarks>
/// Normalisations the rest of the code can rely on:
/// <list type="bullet">
/// <item>Camera keys that are not slugs (<c>[a-z0-9_]+</c>, e.g. cctv-gif-buffer's <c>Front-Door</c>) get a derived slug
/// (lowercase, other characters <c>_</c>) and keep the key as <see cref="CameraOptions.Name"/> (unless <c>name</c> is set).</item>
/// <item>Credentials in a camera URL (<c>http://user:pass@host/</c>) move to Username/Password (Auth Basic when unset)
/// and are removed from <see cref="CameraOptions.Url"/>. For RTSP the source must put them back into the URL it hands to ffmpeg.</item>
/// <item>Kind <c>auto</c> is resolved when the URL decides it: rtsp(s) → Rtsp, <c>/dev/…</c> → Usb, an absolute path → Folder;
/// http(s) stays Auto (decided from the response).</item>
/// <item><c>server.web.port/listen</c> (cctv-gif-buffer) become <see cref="HttpOptions"/>; <c>http.public_url</c> loses a trailing '/'.</item>
/// <item>Trigger cameras are slugs (a trigger may also name a camera by its original key).</item>
/// </list>
/// Also accepted everywhere: <c>cameras</c> as a list of objects with <c>slug</c> or <c>name</c>, and <c>motion.zones</c> as a
/// list of <c>{name, polygon}</c> (the natural shapes in add-on options).
/// </remarks>
public static class ConfigLoader
{
    /// <summary>Reads and validates a file. JSON for <c>.json</c>, YAML for <c>.yaml</c>/<c>.yml</c>; other names: JSON when
    /// the text starts with '{', else YAML.
    /// A file named <c>options.json</c> is read as add-on options (<see cref="FromAddonOptions"/>).</summary>
    public static ConfigResult LoadFile(string path)
    {
        string text;
        try
        {
            if (Directory.Exists(path))
                return ConfigResult.Fail(new ConfigError("", null, $"cannot read configuration file '{path}': it is a directory"));
            text = File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            return ConfigResult.Fail(new ConfigError("", null, $"configuration file '{path}' not found"));
        }
        catch (DirectoryNotFoundException)
        {
            return ConfigResult.Fail(new ConfigError("", null, $"configuration file '{path}' not found"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return ConfigResult.Fail(new ConfigError("", null, $"cannot read configuration file '{path}': {ex.Message}"));
        }

        var addon = string.Equals(System.IO.Path.GetFileName(path), "options.json", StringComparison.OrdinalIgnoreCase);
        return ParseCore(text, path, addon);
    }

    /// <summary>Validates configuration text. <paramref name="sourceName"/> (a file name) decides the format when it ends
    /// with <c>.json</c>, <c>.yaml</c> or <c>.yml</c>; otherwise text starting with '{' is JSON, anything else YAML.</summary>
    public static ConfigResult Parse(string text, string sourceName) => ParseCore(text, sourceName, addon: false);

    /// <summary>The Home Assistant add-on <c>/data/options.json</c>: the flattened shape of config.yaml's <c>schema:</c>
    /// (<c>topic_prefix</c>, <c>motion_*</c>, <c>motion_mask</c>/<c>motion_zones</c>/<c>match</c>/<c>cameras</c> strings…,
    /// see <see cref="AddonOptionsShape"/>; errors name those fields) or the canonical nested shape as JSON; cameras and
    /// zones may be lists; an empty string for an optional value means "not set". <see cref="LookbackOptions.Mqtt"/> is
    /// never null here: without <c>mqtt.host</c> its Host is "" (the add-on takes the Supervisor's broker).</summary>
    public static ConfigResult FromAddonOptions(string jsonText) => ParseCore(jsonText, "options.json", addon: true, forceJson: true);

    private static ConfigResult ParseCore(string text, string sourceName, bool addon, bool forceJson = false)
    {
        text ??= "";
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var yamlName = sourceName.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase)
                       || sourceName.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);
        var json = forceJson
                   || sourceName.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                   || !yamlName && text.TrimStart().StartsWith('{');
        CNode? root;
        try
        {
            root = json ? JsonTree.Read(text) : YamlTree.Read(text);
        }
        catch (SyntaxError ex)
        {
            var error = new ConfigError("", ex.Line, ex.Message);
            return ConfigResult.Fail(Secrets.Scrub([error], Secrets.FromText(text)).ToArray());
        }

        var shape = addon ? AddonOptionsShape.Rewrite(root) : null;
        var binder = new ConfigBinder(addon);
        var options = binder.Bind(root);
        var found = shape is null
            ? binder.Errors
            : shape.Errors.Concat(binder.Errors.Select(shape.MapError)).OrderBy(e => e.Line ?? int.MaxValue).ToList();
        var secrets = Secrets.FromText(text);
        secrets.UnionWith(binder.Secrets);
        var errors = Secrets.Scrub(found, secrets);
        if (errors.Count > 0) return new ConfigResult(null, errors);
        return new ConfigResult(shape is null ? options : shape.Finish(options!), []) { StoragePathLine = binder.StoragePathLine };
    }
}

using System.Net;
using Lookback.Config;
using Microsoft.Extensions.Logging;

namespace Lookback.Addon;

/// <summary>What the add-on container tells the process through its environment.</summary>
public sealed record AddonEnvironment
{
    /// <summary>SUPERVISOR_TOKEN (or the legacy HASSIO_TOKEN); null outside an add-on.</summary>
    public string? SupervisorToken { get; init; }
    /// <summary>The container's host name (e.g. "local-lookback"), resolvable by Home Assistant Core and other add-ons.</summary>
    public string HostName { get; init; } = "localhost";
    /// <summary>The public add-on configuration folder (map addon_config), "/config".</summary>
    public string ConfigDirectory { get; init; } = "/config";
    /// <summary>The options the Supervisor validated, "/data/options.json".</summary>
    public string OptionsFile { get; init; } = "/data/options.json";

    /// <summary>True when running as a Home Assistant add-on (a Supervisor token is present).</summary>
    public bool IsAddon => !string.IsNullOrEmpty(SupervisorToken);

    public static AddonEnvironment FromProcess()
    {
        static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
        string host;
        try { host = Env("HOSTNAME") ?? Dns.GetHostName(); }
        catch (System.Net.Sockets.SocketException) { host = "localhost"; }
        return new AddonEnvironment
        {
            SupervisorToken = Env("SUPERVISOR_TOKEN") ?? Env("HASSIO_TOKEN"),
            HostName = string.IsNullOrWhiteSpace(host) ? "localhost" : host.Trim(),
        };
    }
}

/// <summary>Where `lookback run` takes its configuration from inside the add-on.</summary>
/// <param name="Path">The file to load.</param>
/// <param name="IsAddonOptions">True: /data/options.json (add-on options); false: a YAML/JSON file. ConfigLoader.LoadFile reads both (a file named options.json as add-on options).</param>
public sealed record AddonConfigSource(string Path, bool IsAddonOptions);

/// <summary>
/// Turns the options of the add-on UI (or /config/lookback.yaml) into what Lookback runs with inside Home Assistant:
/// the Supervisor's MQTT broker, storage under /media, and URLs that Home Assistant Core can fetch.
/// </summary>
public static class AddonMode
{
    /// <summary>Ingress listener (config.yaml ingress_port default); guarded by <see cref="IngressGuard"/>.</summary>
    public const int IngressPort = 8099;
    /// <summary>API listener for Home Assistant Core, Node-RED and other add-ons (config.yaml ports 8098/tcp); not guarded.</summary>
    public const int ApiPort = 8098;
    public const string DefaultStoragePath = "/media/lookback";
    public const string DefaultMediaUrl = "/media/local/lookback";
    /// <summary>Optional YAML file in the add-on configuration folder that replaces the UI options when present.</summary>
    public const string YamlFileName = "lookback.yaml";

    /// <summary>
    /// /config/lookback.yaml (or .yml) when it exists, else /data/options.json; null when neither exists.
    /// </summary>
    public static AddonConfigSource? SelectConfigSource(AddonEnvironment env)
    {
        foreach (var name in new[] { YamlFileName, "lookback.yml" })
        {
            var yaml = Path.Combine(env.ConfigDirectory, name);
            if (File.Exists(yaml)) return new AddonConfigSource(yaml, IsAddonOptions: false);
        }
        return File.Exists(env.OptionsFile) ? new AddonConfigSource(env.OptionsFile, IsAddonOptions: true) : null;
    }

    /// <summary>True when the user named a broker (mqtt.host set); otherwise the Supervisor's broker is used.</summary>
    public static bool HasExplicitMqttHost(LookbackOptions options)
        => options.Mqtt is { } m && !string.IsNullOrWhiteSpace(m.Host);

    /// <summary>
    /// Applies the add-on defaults. Asks the Supervisor for the MQTT broker unless mqtt.host is set
    /// (a null <see cref="LookbackOptions.Mqtt"/> or an empty host means "not set"); topic prefixes, client id and
    /// TLS settings other than on/off are kept from <paramref name="fromOptionsJson"/>.
    /// </summary>
    /// <exception cref="SupervisorException">No broker configured and the Supervisor has none to offer (message says what to do).</exception>
    public static async Task<LookbackOptions> ApplyAsync(LookbackOptions fromOptionsJson, SupervisorClient sup,
        AddonEnvironment? env = null, ILogger? log = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(fromOptionsJson);
        ArgumentNullException.ThrowIfNull(sup);
        env ??= AddonEnvironment.FromProcess();
        var options = fromOptionsJson;
        if (HasExplicitMqttHost(options))
        {
            log?.LogInformation("MQTT: using the configured broker {Host}:{Port}", options.Mqtt!.Host, options.Mqtt.Port);
        }
        else
        {
            var service = await sup.GetMqttServiceAsync(ct).ConfigureAwait(false);
            options = WithSupervisorMqtt(options, service);
            log?.LogInformation("MQTT: using the broker from the Supervisor {Host}:{Port}{Tls}",
                service.Host, service.Port, service.Tls ? " (TLS)" : "");
        }
        return ApplyDefaults(options, env);
    }

    /// <summary>The broker's connection fields from the Supervisor, the rest (prefixes, client id, CA file) from the options.</summary>
    public static LookbackOptions WithSupervisorMqtt(LookbackOptions options, MqttOptions service)
    {
        var current = options.Mqtt ?? new MqttOptions();
        return options with
        {
            Mqtt = current with
            {
                Host = service.Host,
                Port = service.Port,
                Username = service.Username,
                Password = service.Password,
                Tls = service.Tls,
            },
        };
    }

    /// <summary>
    /// The pure part: storage under /media/lookback (published as /media/local/lookback), the ingress listener on
    /// 0.0.0.0:8099 and public_url http://&lt;host name&gt;:8098 unless set.
    /// </summary>
    public static LookbackOptions ApplyDefaults(LookbackOptions options, AddonEnvironment env)
    {
        var storage = options.Storage;
        var defaults = new StorageOptions();
        var path = string.IsNullOrWhiteSpace(storage.Path) || storage.Path == defaults.Path ? DefaultStoragePath : storage.Path;
        var mediaUrl = string.IsNullOrWhiteSpace(storage.MediaUrl) ? MediaUrlFor(path) : storage.MediaUrl;

        var http = options.Http;
        var publicUrl = string.IsNullOrWhiteSpace(http.PublicUrl) ? $"http://{env.HostName}:{ApiPort}" : http.PublicUrl.TrimEnd('/');
        return options with
        {
            Storage = storage with { Path = path, MediaUrl = mediaUrl },
            Http = http with { Listen = "0.0.0.0", Port = IngressPort, PublicUrl = publicUrl, UiUrl = IngressUrl(env.HostName) },
        };
    }

    /// <summary>
    /// The Home Assistant link that opens this add-on's ingress panel: <c>homeassistant://hassio/ingress/&lt;repo&gt;_&lt;slug&gt;</c>.
    /// The container host name is <c>&lt;repo&gt;-&lt;slug&gt;</c> (the Supervisor's add-on networking), so the first '-' becomes '_'.
    /// </summary>
    public static string IngressUrl(string hostName)
    {
        var i = hostName.IndexOf('-');
        var slug = i > 0 ? hostName[..i] + "_" + hostName[(i + 1)..] : "local_lookback";
        return "homeassistant://hassio/ingress/" + slug;
    }

    /// <summary>"/media/local/x/y" for a storage path "/media/x/y"; null outside /media (Home Assistant does not serve it).</summary>
    public static string? MediaUrlFor(string storagePath)
    {
        var full = storagePath.Replace('\\', '/').TrimEnd('/');
        if (!full.StartsWith("/media/", StringComparison.Ordinal) || full.Length <= "/media/".Length) return null;
        return "/media/local/" + full["/media/".Length..];
    }
}

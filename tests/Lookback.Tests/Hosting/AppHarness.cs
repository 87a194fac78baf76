using Lookback.Config;
using Lookback.Hosting;

namespace Lookback.Tests.Hosting;

/// <summary>A whole Lookback on a free port with a temp storage folder; disposes both.</summary>
public sealed class AppHarness : IAsyncDisposable
{
    public LookbackApp App { get; }
    public string Storage { get; }
    public HttpClient Http { get; }
    private readonly StringWriter _log;

    private AppHarness(LookbackApp app, string storage, StringWriter log)
    {
        App = app;
        Storage = storage;
        _log = log;
        Http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public static CameraOptions Camera(string slug, string url, CameraKind kind = CameraKind.Snapshot, double interval = 0.2,
        int store = 100, string user = "", string password = "", AuthKind auth = AuthKind.None, MotionOptions? motion = null) => new()
    {
        Slug = slug, Url = url, Kind = kind, Interval = interval, Store = store, BufferSeconds = 60,
        Username = user, Password = password, Auth = auth, Timeout = 2, Motion = motion ?? new MotionOptions { Enabled = false },
    };

    public static async Task<AppHarness> StartAsync(IReadOnlyList<CameraOptions> cameras, MqttOptions? mqtt = null,
        HostSettings? settings = null, IReadOnlyList<TriggerOptions>? triggers = null, string nodeId = "lookback",
        Func<LookbackOptions, LookbackOptions>? configure = null, string? storage = null,
        IReadOnlyList<UploadTargetOptions>? upload = null)
    {
        storage ??= Directory.CreateTempSubdirectory("lookback-e2e-").FullName;
        var log = new StringWriter();
        var options = new LookbackOptions
        {
            NodeId = nodeId, LogLevel = "debug", Cameras = cameras, Mqtt = mqtt, Triggers = triggers ?? [], Upload = upload ?? [],
            Http = new HttpOptions { Listen = "127.0.0.1", Port = 0, PublicUrl = "http://127.0.0.1:1" },
            Storage = new StorageOptions { Path = storage, MediaUrl = "/media/local/lookback" },
        };
        if (configure is not null) options = configure(options);
        var app = LookbackHost.Build(options, (settings ?? new HostSettings()) with { LogWriter = log });
        await app.StartAsync();
        return new AppHarness(app, storage, log);
    }

    /// <summary>Everything the host logged so far.</summary>
    public string LogText { get { lock (_log) return _log.ToString(); } }

    /// <summary>Waits until <paramref name="condition"/> holds, polling; fails with <paramref name="what"/>.</summary>
    public static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what) => Wait.UntilAsync(condition, timeout, what);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        try { Directory.Delete(Storage, true); } catch (IOException) { }
    }
}

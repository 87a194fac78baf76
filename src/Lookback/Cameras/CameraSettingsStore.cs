using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lookback.Cameras;

/// <summary>Runtime settings a user changes over MQTT (motion switch, threshold), per camera.</summary>
public sealed record CameraSettings(
    [property: JsonPropertyName("motion_enabled")] bool? MotionEnabled,
    [property: JsonPropertyName("motion_threshold")] int? MotionThreshold);

/// <summary>
/// Keeps <see cref="CameraSettings"/> across restarts in one small JSON file under storage
/// (<c>&lt;storage&gt;/.state/settings.json</c>), written atomically on every change.
/// </summary>
public sealed class CameraSettingsStore
{
    private readonly string _path;
    private readonly object _gate = new();
    private Dictionary<string, CameraSettings> _all;

    public CameraSettingsStore(string storagePath)
    {
        _path = Path.Combine(storagePath, ".state", "settings.json");
        _all = Load(_path);
    }

    private static Dictionary<string, CameraSettings> Load(string path)
    {
        try
        {
            return File.Exists(path)
                ? JsonSerializer.Deserialize<Dictionary<string, CameraSettings>>(File.ReadAllText(path)) ?? []
                : [];
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return []; // a damaged settings file falls back to the configuration's values
        }
    }

    public CameraSettings? Get(string camera) { lock (_gate) return _all.GetValueOrDefault(camera); }

    /// <summary>Records the camera's current settings; returns false when the file could not be written.</summary>
    public bool Save(string camera, CameraSettings settings)
    {
        lock (_gate)
        {
            _all = new Dictionary<string, CameraSettings>(_all) { [camera] = settings };
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
                var tmp = _path + ".tmp";
                File.WriteAllText(tmp, JsonSerializer.Serialize(_all, new JsonSerializerOptions { WriteIndented = true }));
                File.Move(tmp, _path, overwrite: true);
                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return false; }
        }
    }
}

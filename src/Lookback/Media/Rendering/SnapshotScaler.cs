namespace Lookback.Media.Rendering;

/// <summary>Scales one JPEG to a width (keep aspect).</summary>
public interface ISnapshotScaler
{
    Task<byte[]> ScaleAsync(ReadOnlyMemory<byte> jpeg, int width, CancellationToken ct);
}

/// <summary>Scales with libjpeg-turbo (scaled decode, area resample, encode): no process per snapshot.</summary>
public sealed class JpegSnapshotScaler : ISnapshotScaler
{
    public Task<byte[]> ScaleAsync(ReadOnlyMemory<byte> jpeg, int width, CancellationToken ct) =>
        Task.FromResult(Lookback.Imaging.Jpeg.Resize(jpeg.Span, width));
}

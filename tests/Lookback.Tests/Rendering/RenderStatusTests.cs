using System.Text.Json;
using Lookback.Media.Rendering;

namespace Lookback.Tests.Rendering;

/// <summary>The typed render status keeps the contract's strings, whatever serializer options write it.</summary>
public class RenderStatusTests
{
    [Theory]
    [InlineData(RenderStatus.Ok, "ok")]
    [InlineData(RenderStatus.Error, "error")]
    [InlineData(RenderStatus.Busy, "busy")]
    public void Status_is_written_as_the_contract_string(RenderStatus status, string wire)
    {
        var r = new RenderResult { Camera = "front", Kind = ResultKind.Gif, Status = status };
        Assert.Contains($"\"status\":\"{wire}\"", RenderJson.Serialize(r));
        // the HTTP API's options (web defaults: camelCase policy) must not change it either
        Assert.Contains($"\"status\":\"{wire}\"", JsonSerializer.Serialize(r, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        Assert.Equal(wire, status.Name());
    }

    [Theory]
    [InlineData(ResultKind.Snapshot, "snapshot")]
    [InlineData(ResultKind.Gif, "gif")]
    [InlineData(ResultKind.Mp4, "mp4")]
    [InlineData(ResultKind.Moment, "moment")]
    [InlineData(ResultKind.Motion, "motion")]
    [InlineData(ResultKind.MotionThreshold, "motion_threshold")]
    public void Kind_is_written_as_the_contract_string(ResultKind kind, string wire)
    {
        var r = new RenderResult { Camera = "front", Kind = kind, Status = RenderStatus.Ok };
        Assert.Contains($"\"kind\":\"{wire}\"", RenderJson.Serialize(r));
        Assert.Contains($"\"kind\":\"{wire}\"", JsonSerializer.Serialize(r, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        Assert.Equal(wire, kind.Name());
        Assert.Equal(kind, ResultKinds.Parse(wire));
    }

    [Fact]
    public void Busy_and_failed_results_carry_their_status()
    {
        var req = new RenderRequest { Camera = "front", Kind = Lookback.Config.RenderKind.Moment };
        Assert.Equal((RenderStatus.Busy, false), (RenderResult.Busy(req, 3).Status, RenderResult.Busy(req, 3).Ok));
        Assert.Equal((RenderStatus.Error, false), (RenderResult.Failed(req, "x").Status, RenderResult.Failed(req, "x").Ok));
        Assert.Equal("""{"camera":"front","kind":"moment","status":"busy","error":"render queue is full","retry_after":3}""",
            RenderJson.Serialize(RenderResult.Busy(req, 3)));
    }
}

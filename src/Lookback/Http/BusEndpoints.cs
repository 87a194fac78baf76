using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Hosting;
using Lookback.Mqtt;
using Lookback.Mqtt.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Lookback.Http;

/// <summary>
/// The whole bus seen from this node: <c>GET /api/nodes</c>, <c>GET /api/cameras?scope=bus</c>, another node's retained
/// snapshot (<c>GET /api/bus/{node}/{cam}/snapshot.jpg</c>) and its renders asked over MQTT
/// (<c>POST /api/bus/{node}/{cam}/snapshot|gif|moment</c>).
/// </summary>
public static class BusEndpoints
{
    public sealed record NodeJson(
        [property: JsonPropertyName("node")] string Node,
        [property: JsonPropertyName("online")] bool Online,
        [property: JsonPropertyName("self")] bool Self,
        [property: JsonPropertyName("version")] string? Version,
        [property: JsonPropertyName("public_url")] string? PublicUrl,
        [property: JsonPropertyName("started")] string? Started,
        [property: JsonPropertyName("last_seen")] DateTimeOffset? LastSeen,
        [property: JsonPropertyName("cameras")] IReadOnlyList<string> Cameras);

    public sealed record BusCameraInfo(
        [property: JsonPropertyName("node")] string Node,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("title")] string Title,
        [property: JsonPropertyName("kind")] string Kind,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("reason")] string? Reason,
        [property: JsonPropertyName("fps")] double Fps,
        [property: JsonPropertyName("last_frame_at")] string? LastFrameAt,
        [property: JsonPropertyName("buffered_frames")] int BufferedFrames,
        [property: JsonPropertyName("buffered_seconds")] double BufferedSeconds,
        [property: JsonPropertyName("last_error")] string? LastError,
        [property: JsonPropertyName("motion_enabled")] bool? MotionEnabled,
        [property: JsonPropertyName("local")] bool Local,
        [property: JsonPropertyName("snapshot_url")] string SnapshotUrl,
        [property: JsonPropertyName("live_url")] string? LiveUrl,
        [property: JsonPropertyName("page_url")] string? PageUrl,
        // this node's cameras: their configured warnings (as in /api/cameras); other nodes': left out
        [property: JsonPropertyName("warnings"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<Warnings.WarningState>? Warnings = null);

    public sealed record NodeGroup(
        [property: JsonPropertyName("node")] string Node,
        [property: JsonPropertyName("online")] bool Online,
        [property: JsonPropertyName("self")] bool Self,
        [property: JsonPropertyName("version")] string? Version,
        [property: JsonPropertyName("public_url")] string? PublicUrl,
        [property: JsonPropertyName("last_seen")] DateTimeOffset? LastSeen,
        [property: JsonPropertyName("cameras")] IReadOnlyList<BusCameraInfo> Cameras);

    /// <summary>How long a render asked over the bus may take before 504 (a moment adds its <c>after</c>).</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    /// <summary>How long the first request for a snapshot waits for the broker's retained copy.</summary>
    public static readonly TimeSpan SnapshotWait = TimeSpan.FromSeconds(3);

    private static readonly string[] Actions = ["snapshot", "gif", "moment"];

    public static IEndpointRouteBuilder MapBusEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/nodes", (HttpContext ctx, ICameraDirectory cams, LookbackOptions o) =>
        {
            ctx.Response.Headers.CacheControl = "no-store";
            var self = SelfNode(ctx, cams, o);
            var others = Others(ctx)?.Select(n => new NodeJson(n.NodeId, n.Online, false, n.Announcement?.Version,
                n.Announcement?.PublicUrl, Iso(n.Announcement?.Started), n.LastSeen, [.. (n.Announcement?.Cameras ?? []).Select(c => c.Slug)])) ?? [];
            return Results.Json(others.Prepend(self));
        });

        app.MapGet("/api/bus/{node}/{cam}/snapshot.jpg", async (string node, string cam, HttpContext ctx) =>
        {
            if (ctx.RequestServices.GetService<BusView>() is not { } bus) return NoBus();
            if (bus.State.Camera(node, cam) is null) return NotAnnounced(node, cam);
            var snap = await bus.SnapshotAsync(cam, SnapshotWait, ctx.RequestAborted);
            if (snap is not { } s) return HttpErrors.Busy(ctx, $"no retained snapshot of camera '{cam}' on the broker yet", 10, 503);
            ctx.Response.Headers.CacheControl = "no-store";
            ctx.Response.Headers["X-Frame-Time"] = s.At.ToString("O", CultureInfo.InvariantCulture);
            return Results.File(s.Jpeg, "image/jpeg");
        });

        app.MapPost("/api/bus/{node}/{cam}/{action}", async (string node, string cam, string action, HttpContext ctx) =>
        {
            if (Array.IndexOf(Actions, action) < 0) return HttpErrors.NotFound($"unknown action '{action}': snapshot, gif or moment");
            if (ctx.RequestServices.GetService<BusView>() is not { } bus || ctx.RequestServices.GetService<BusCommands>() is not { } commands)
                return NoBus();
            if (bus.State.Camera(node, cam) is null) return NotAnnounced(node, cam);
            if (bus.State.Nodes.ActiveNode(cam) is null)
                return HttpErrors.Busy(ctx, $"node '{node}' is offline and no other online node serves camera '{cam}'", 10, 503);
            var args = CommandArgs(action, ctx.Request.Query, out var error);
            if (error is not null) return HttpErrors.BadRequest(error);
            var after = action == "moment" && args["after"] is JsonValue a && a.TryGetValue<double>(out var av) ? Math.Clamp(av, 0, 300) : 0;
            var timeout = CommandTimeout + TimeSpan.FromSeconds(after);
            var reply = await commands.SendAsync(cam, action, args, timeout, ctx.RequestAborted);
            return reply.Outcome switch
            {
                BusCommandOutcome.Answered => Answered(ctx, reply),
                BusCommandOutcome.TimedOut => Results.Json(new { error = $"no result for {action} of camera '{cam}' (node '{node}') within {timeout.TotalSeconds:0} s" }, statusCode: 504),
                BusCommandOutcome.Busy => HttpErrors.Busy(ctx, $"more than {BusCommands.MaxPending} bus commands are waiting", 2),
                _ => HttpErrors.Busy(ctx, "MQTT is not connected", 5, 503),
            };
        });
        return app;
    }

    /// <summary><c>GET /api/cameras?scope=bus</c>: this node's cameras first, then every other node's, grouped by node.</summary>
    public static IResult BusCameras(HttpContext ctx, ICameraDirectory cams, LookbackOptions o, BusRole role)
    {
        ctx.Response.Headers.CacheControl = "no-store";
        var self = SelfNode(ctx, cams, o);
        var groups = new List<NodeGroup>
        {
            new(self.Node, true, true, self.Version, self.PublicUrl, self.LastSeen, [.. cams.All.Select(c => Local(o.NodeId, c, role.StandbyOf(c.Slug), ctx.RequestServices.GetService<Warnings.WarningService>()?.Of(c.Slug)))]),
        };
        if (ctx.RequestServices.GetService<BusView>() is { } bus)
            foreach (var n in Others(ctx)!)
                groups.Add(new NodeGroup(n.NodeId, n.Online, false, n.Announcement?.Version, n.Announcement?.PublicUrl, n.LastSeen,
                    [.. (bus.State.Cameras(n.NodeId) ?? []).Select(c => Remote(c, n.Announcement?.PublicUrl))]));
        return Results.Json(groups);
    }

    /// <summary>The other nodes of the bus (null without MQTT).</summary>
    private static IEnumerable<NodeInfo>? Others(HttpContext ctx) =>
        ctx.RequestServices.GetService<BusView>()?.State.Nodes.Nodes.Where(n => !IsSelf(ctx, n));

    private static bool IsSelf(HttpContext ctx, NodeInfo n) => n.NodeId == ctx.RequestServices.GetRequiredService<LookbackOptions>().NodeId;

    private static string? Iso(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static NodeJson SelfNode(HttpContext ctx, ICameraDirectory cams, LookbackOptions o) => new(o.NodeId, true, true, Common.BuildInfo.Version,
        Media.Storage.MediaStore.PublicBaseOf(o.Http), Iso(ctx.RequestServices.GetService<MqttBridge>()?.Started), DateTimeOffset.UtcNow,
        [.. cams.All.Select(c => c.Slug)]);

    private static BusCameraInfo Local(string node, ICamera c, BusRole.Standby? standby, IReadOnlyList<Warnings.WarningState>? warnings)
    {
        var d = CameraEndpoints.Describe(c, null, standby);
        var esc = Uri.EscapeDataString(c.Slug);
        return new BusCameraInfo(node, d.Name, d.Title, d.Kind, d.Status, standby?.Reason, d.Fps,
            d.LastFrameAt?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), d.BufferedFrames,
            d.BufferedSeconds, d.LastError, d.MotionEnabled, true, $"api/cameras/{esc}/snapshot.jpg", $"api/cameras/{esc}/mjpeg", $"#/camera/{esc}", warnings ?? []);
    }

    private static BusCameraInfo Remote(BusCameraView v, string? publicUrl)
    {
        var esc = Uri.EscapeDataString(v.Camera.Slug);
        var s = v.State;
        var baseUrl = publicUrl is { Length: > 0 } && Uri.TryCreate(publicUrl, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"
            ? publicUrl.TrimEnd('/') : null;
        return new BusCameraInfo(v.Node, v.Camera.Slug, v.Camera.Title, v.Camera.Kind ?? "", v.Status, v.Reason, s?.Fps ?? 0, s?.LastFrameAt,
            s?.BufferedFrames ?? 0, s?.BufferedSeconds ?? 0, s?.LastError, s?.MotionEnabled, false,
            $"api/bus/{Uri.EscapeDataString(v.Node)}/{esc}/snapshot.jpg",
            baseUrl is null ? null : $"{baseUrl}/api/cameras/{esc}/mjpeg", baseUrl is null ? null : $"{baseUrl}/#/camera/{esc}");
    }

    /// <summary>The command's payload from the query: the fields <see cref="CommandParser"/> accepts, numbers (lead_frame: true/false).</summary>
    public static JsonObject CommandArgs(string action, IQueryCollection query, out string? error)
    {
        error = null;
        var args = new JsonObject();
        var q = new QueryReader(query);
        foreach (var f in CommandParser.FieldsOf(action))
        {
            var text = query[f].ToString();
            if (text.Length == 0) continue;
            if (f == "lead_frame")
            {
                if (text is "true" or "false") args[f] = text == "true";
                else { error ??= "lead_frame: must be true or false"; }
                continue;
            }
            if (q.Double(f) is { } v) args[f] = v;
        }
        error ??= q.Error;
        return args;
    }

    private static IResult Answered(HttpContext ctx, BusCommandReply reply)
    {
        ctx.Response.Headers["X-Lookback-Via"] = reply.Via;
        ctx.Response.Headers.CacheControl = "no-store";
        return Results.Json(reply.Result);
    }

    private static IResult NoBus() => HttpErrors.NotFound("this node has no MQTT: the bus is not visible from here");
    private static IResult NotAnnounced(string node, string cam) => HttpErrors.NotFound($"node '{node}' does not announce camera '{cam}'");
}

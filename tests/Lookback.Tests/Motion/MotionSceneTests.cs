using Lookback.Motion;

namespace Lookback.Tests.Motion;

/// <summary>Scenes drawn with a known truth run through detector + tracker (320x180, 5 fps, default settings).</summary>
public class MotionSceneTests
{
    const int W = 320, H = 180;

    public static TheoryData<string> SceneNames()
    {
        var d = new TheoryData<string>();
        foreach (var s in MotionScenes.All(W, H)) d.Add(s.Name);
        return d;
    }

    [Theory]
    [MemberData(nameof(SceneNames))]
    public void Scene_produces_the_expected_number_of_events(string name)
    {
        var script = MotionScenes.All(W, H).Single(s => s.Name == name);
        foreach (int seed in new[] { 1, 2 })
        {
            var (events, results) = MotionScenes.Run(script, W, H, seed);
            var motionFrames = results.Select((r, i) => (r, i)).Where(x => x.r.Motion).Select(x => x.i).ToList();
            var maxScore = results.Skip(8).Select(r => r.Score).DefaultIfEmpty().Max();
            Assert.True(events == script.ExpectedEvents,
                $"{name} seed {seed}: {events} events, expected {script.ExpectedEvents}; motion frames [{string.Join(",", motionFrames.Take(30))}], " +
                $"max score {maxScore:F3}, recal at [{string.Join(",", results.Select((r, i) => (r, i)).Where(x => x.r.Recalibrated).Select(x => x.i))}]");
            if (script.ExpectedEvents == 0) Assert.Empty(motionFrames);
        }
    }
}

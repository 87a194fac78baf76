using ArchUnitNET.Domain;
using ArchUnitNET.Loader;

namespace Lookback.Tests.Architecture;

/// <summary>
/// The dependencies between Lookback's modules run one way (<see cref="ModuleGraph.Layers"/>:
/// Common ← Imaging ← Config ← Buffer ← Sources ← Motion ← Cameras ← Media.Storage ← Media.Recording ← Media.Rendering
/// ← Media.Timelapse ← Events ← Warnings ← Media.Upload ← Discover ← Mqtt ← Http ← Addon ← Hosting), read from the compiled IL by ArchUnitNET
/// (fields, signatures, calls, attributes, generic arguments).
/// </summary>
public class ArchitectureTests
{
    private static readonly Lazy<ArchUnitNET.Domain.Architecture> Product = new(() =>
        new ArchLoader().LoadAssemblies(typeof(Lookback.Hosting.Program).Assembly).Build());

    /// <summary>Module → module edges of the types under <paramref name="root"/>, each with one example type dependency.</summary>
    internal static Dictionary<(string From, string To), string> Edges(ArchUnitNET.Domain.Architecture arch, string root = "Lookback.",
        Func<string?, string?>? moduleOf = null)
    {
        moduleOf ??= ModuleGraph.ModuleOf;
        var edges = new Dictionary<(string, string), string>();
        foreach (var type in arch.Types)
        {
            if (type.Namespace?.FullName is null || !type.Namespace.FullName.StartsWith(root, StringComparison.Ordinal)) continue;
            var from = moduleOf(type.Namespace.FullName);
            if (from is null) continue;
            foreach (var d in type.Dependencies)
            {
                var to = moduleOf(d.Target?.Namespace?.FullName);
                if (to is null || to == from) continue;
                edges.TryAdd((from, to), $"{Short(type)} uses {Short(d.Target!)}");
            }
        }
        return edges;
    }

    private static string Short(IType t) => t.FullName.Split('`')[0];

    [Fact]
    public void Dependencies_run_from_the_host_down_to_common()
    {
        var wrong = ModuleGraph.WrongWay(Edges(Product.Value), ModuleGraph.Layers);
        Assert.True(wrong.Count == 0, "dependencies that run the wrong way:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void Modules_have_no_cycle()
    {
        var cycles = ModuleGraph.Cycles(Edges(Product.Value).Keys);
        Assert.True(cycles.Count == 0, "module cycles:\n" + string.Join("\n", cycles.Select(c => string.Join(" ↔ ", c))));
    }

    [Fact]
    public void Config_depends_on_nothing_of_ours_but_common()
    {
        var uses = Edges(Product.Value).Keys.Where(e => e.From == "Config").Select(e => e.To).Distinct().Order().ToList();
        Assert.True(uses.All(m => m == "Common"), "Config uses " + string.Join(", ", uses));
    }

    [Fact]
    public void Every_module_is_in_the_layer_list()
    {
        var modules = Product.Value.Types.Select(t => ModuleGraph.ModuleOf(t.Namespace?.FullName)).OfType<string>().Distinct();
        Assert.Empty(modules.Except(ModuleGraph.Layers));
    }

    // The checks can fail: the fixture below holds a wrong-way dependency and a cycle, and the same code finds both.

    [Fact]
    public void The_rules_find_a_wrong_way_dependency_and_a_cycle_in_a_fixture()
    {
        var arch = new ArchLoader().LoadAssemblies(typeof(ArchitectureTests).Assembly).Build();
        static string? Fixture(string? ns) =>
            ns is not null && ns.StartsWith(FixtureNs, StringComparison.Ordinal) ? ns[FixtureNs.Length..].Split('.')[0] : null;
        var edges = Edges(arch, FixtureNs, Fixture);

        var wrong = ModuleGraph.WrongWay(edges, ["Low", "High"]);
        Assert.Equal(["Low → High runs the wrong way: " + FixtureNs + "Low.LowThing uses " + FixtureNs + "High.HighThing"], wrong);
        var cycle = Assert.Single(ModuleGraph.Cycles(edges.Keys));
        Assert.Equal(["High", "Low"], cycle);
    }

    [Fact]
    public void Cycles_are_found_in_a_graph_and_a_chain_has_none()
    {
        Assert.Empty(ModuleGraph.Cycles([("A", "B"), ("B", "C"), ("A", "C")]));
        Assert.Equal([["A", "B", "C"]], ModuleGraph.Cycles([("A", "B"), ("B", "C"), ("C", "A"), ("C", "D")]));
        Assert.Equal(["module X is not in the layer list (e)"], ModuleGraph.WrongWay(new Dictionary<(string, string), string> { [("X", "A")] = "e" }, ["A"]));
    }

    private const string FixtureNs = "Lookback.Tests.Architecture.Fixture.";
}

// A deliberately broken module pair for ArchitectureTests: Low uses High (wrong way) and High uses Low (a cycle).
namespace Lookback.Tests.Architecture.Fixture.Low
{
    public sealed class LowThing
    {
        public High.HighThing? Up { get; set; }
    }
}

namespace Lookback.Tests.Architecture.Fixture.High
{
    public sealed class HighThing
    {
        public Low.LowThing Down { get; } = new();
    }
}

namespace Lookback.Media.Rendering;

/// <summary>A render finished (ok or error). Published by the render service for every request.</summary>
public sealed record RenderCompleted(RenderRequest Request, RenderResult Result);

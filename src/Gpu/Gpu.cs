using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace SkyMix.Gpu;

/// <summary>
/// Accelerator choice for the backtracking engine: CUDA through ILGPU when an NVIDIA GPU is present,
/// otherwise the Parallel.For path over all CPU cores.
/// </summary>
public static class Accelerators
{
    /// <summary>One line per compute device this machine offers (CUDA GPUs and the CPU path).</summary>
    public static IReadOnlyList<string> Describe()
    {
        var lines = new List<string> { $"cpu: Parallel.For over {Environment.ProcessorCount} cores" };
        using var context = Context.Create(builder => builder.Cuda());
        foreach (var device in context.Devices)
            if (device.AcceleratorType == AcceleratorType.Cuda)
                lines.Add($"cuda: {device.Name}, {device.MemorySize / (1L << 20)} MiB");
        return lines;
    }
}

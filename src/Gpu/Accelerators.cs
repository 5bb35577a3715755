using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace SkyMix.Gpu;

/// <summary>Where the particles are pushed.</summary>
public enum DeviceKind
{
    /// <summary>CUDA through ILGPU when an NVIDIA GPU is present, else the CPU path.</summary>
    Auto,
    /// <summary>CUDA through ILGPU (fails when no GPU is present).</summary>
    Cuda,
    /// <summary>Every core, particles in blocks of vector lanes (<see cref="BorisLanes"/>; the fast CPU path).</summary>
    Cpu,
    /// <summary>ILGPU's CPU accelerator: a debugging simulator of the GPU kernel (slow), used to prove the
    /// kernel and the CPU path agree bit for bit.</summary>
    IlgpuCpu,
}

/// <summary>How the CPU path steps its particles.</summary>
public enum CpuPath
{
    /// <summary>Eight lanes where .NET accelerates 512-bit vectors, else four where it accelerates 256-bit ones,
    /// else the scalar step.</summary>
    Auto,
    /// <summary>One scalar <see cref="Boris.Step{TField}"/> per particle (the benchmarks' baseline).</summary>
    Scalar,
    /// <summary>Four lanes per 256-bit vector (<see cref="Lanes4"/>), even where .NET has to emulate them: so that
    /// the tests pin each width to the scalar step on any machine, and the benchmarks compare widths.</summary>
    Lanes4,
    /// <summary>Eight lanes per 512-bit vector (<see cref="Lanes8"/>), likewise.</summary>
    Lanes8,
}

/// <summary>Accelerator choice (CUDA via ILGPU if present, else the CPU path) and device listing.</summary>
public static class Accelerators
{
    /// <summary>One line per compute device this machine offers (CUDA GPUs and the CPU path).</summary>
    public static IReadOnlyList<string> Describe()
    {
        var width = CpuPusher.Width(CpuPath.Auto);
        var lines = new List<string> { $"cpu: {Environment.ProcessorCount} cores, " + (width > 0 ? $"{width * 64}-bit vector lanes" : "scalar step") };
        using var context = Context.Create(builder => builder.Cuda());
        foreach (var device in context.Devices)
            if (device.AcceleratorType == AcceleratorType.Cuda)
                lines.Add($"cuda: {device.Name}, {device.MemorySize / (1L << 20)} MiB");
        if (lines.Count == 1) lines.Add("cuda: no NVIDIA GPU found (--device auto runs the CPU path)");
        return lines;
    }

    /// <summary>True when ILGPU sees an NVIDIA GPU.</summary>
    public static bool HasCuda()
    {
        using var context = Context.Create(builder => builder.Cuda());
        return context.Devices.Any(d => d.AcceleratorType == AcceleratorType.Cuda);
    }

    /// <summary>
    /// The device named on the command line (auto, cuda, cpu, ilgpu-cpu), or the first word of a device as
    /// run.json records it ("cpu (8 vector lanes, 2 threads)" → cpu).
    /// </summary>
    public static DeviceKind Parse(string name) => name.Split(' ', 2)[0].ToLowerInvariant() switch
    {
        "auto" => DeviceKind.Auto,
        "cuda" => DeviceKind.Cuda,
        "cpu" => DeviceKind.Cpu,
        "ilgpu-cpu" => DeviceKind.IlgpuCpu,
        _ => throw new SkyMix.Theory.InputError($"--device {name}: use auto, cuda, cpu or ilgpu-cpu"),
    };

    /// <summary>The same particles pushed on two devices through the same field, steps Boris steps each: both
    /// final states (what the agreement tests and the GPU check compare).</summary>
    public static (Particle[] A, Particle[] B) SideBySide(IPusher a, IPusher b, SlabField field, Particle[] start, double dt, double q, int steps)
    {
        var ends = new[] { (Particle[])start.Clone(), (Particle[])start.Clone() };
        foreach (var (pusher, ps) in new[] { (a, ends[0]), (b, ends[1]) })
        {
            pusher.Load(field);
            pusher.Upload(ps);
            pusher.Push(dt, q, steps);
            pusher.Download(ps);
        }
        return (ends[0], ends[1]);
    }

    /// <summary>A pusher for the requested device (threads: the CPU path's thread count, 0 = all cores; path: how
    /// the CPU path steps); an <see cref="SkyMix.Theory.InputError"/> if the device is absent.</summary>
    public static IPusher Create(DeviceKind kind, int threads = 0, CpuPath path = CpuPath.Auto) => kind switch
    {
        DeviceKind.Cpu => new CpuPusher(threads, path),
        DeviceKind.IlgpuCpu => new IlgpuPusher(cuda: false),
        DeviceKind.Cuda => HasCuda() ? new IlgpuPusher(cuda: true)
            : throw new SkyMix.Theory.InputError("--device cuda: no NVIDIA GPU found (use --device auto or cpu)"),
        _ => HasCuda() ? new IlgpuPusher(cuda: true) : new CpuPusher(threads, path),
    };
}

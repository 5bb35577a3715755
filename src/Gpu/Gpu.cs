using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace SkyMix.Gpu;

/// <summary>Where the particles are pushed.</summary>
public enum DeviceKind
{
    /// <summary>CUDA through ILGPU when an NVIDIA GPU is present, else the CPU path.</summary>
    Auto,
    /// <summary>CUDA through ILGPU (fails when no GPU is present).</summary>
    Cuda,
    /// <summary>Parallel.For over all cores calling <see cref="Boris.Step{TField}"/> (the fast CPU path).</summary>
    Cpu,
    /// <summary>ILGPU's CPU accelerator: a debugging simulator of the GPU kernel (slow), used to prove the
    /// kernel and the CPU path agree bit for bit.</summary>
    IlgpuCpu,
}

/// <summary>Pushes particles through a field; one instance per run (it owns the accelerator).</summary>
public interface IPusher : IDisposable
{
    /// <summary>The device in words, for run.json.</summary>
    string Device { get; }

    /// <summary>Makes the field current (uploads it to the device).</summary>
    void Load(SlabField field);

    /// <summary>Advances every particle by steps Boris steps of dt with charge sign q.</summary>
    void Push(Particle[] particles, double dt, double q, int steps);
}

/// <summary>Accelerator choice (CUDA via ILGPU if present, else the CPU path) and device listing.</summary>
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

    /// <summary>True when ILGPU sees an NVIDIA GPU.</summary>
    public static bool HasCuda()
    {
        using var context = Context.Create(builder => builder.Cuda());
        return context.Devices.Any(d => d.AcceleratorType == AcceleratorType.Cuda);
    }

    /// <summary>
    /// The device named on the command line (auto, cuda, cpu, ilgpu-cpu), or the first word of a device as
    /// run.json records it ("cpu (Parallel.For, 2 threads)" → cpu).
    /// </summary>
    public static DeviceKind Parse(string name) => name.Split(' ', 2)[0].ToLowerInvariant() switch
    {
        "auto" => DeviceKind.Auto,
        "cuda" => DeviceKind.Cuda,
        "cpu" => DeviceKind.Cpu,
        "ilgpu-cpu" => DeviceKind.IlgpuCpu,
        _ => throw new SkyMix.Theory.InputError($"--device {name}: use auto, cuda, cpu or ilgpu-cpu"),
    };

    /// <summary>A pusher for the requested device (threads: the CPU path's thread count, 0 = all cores);
    /// an <see cref="SkyMix.Theory.InputError"/> if the device is absent.</summary>
    public static IPusher Create(DeviceKind kind, int threads = 0) => kind switch
    {
        DeviceKind.Cpu => new CpuPusher(threads),
        DeviceKind.IlgpuCpu => new IlgpuPusher(cuda: false),
        DeviceKind.Cuda => HasCuda() ? new IlgpuPusher(cuda: true)
            : throw new SkyMix.Theory.InputError("--device cuda: no NVIDIA GPU found (use --device auto or cpu)"),
        _ => HasCuda() ? new IlgpuPusher(cuda: true) : new CpuPusher(threads),
    };
}

/// <summary>The CPU path: every particle runs its steps in one call of <see cref="Boris.Steps{TField}"/>;
/// particles are shared out over the cores. Results do not depend on the number of threads.</summary>
sealed class CpuPusher : IPusher
{
    readonly ParallelOptions options;
    NestedField<ArrayTable> field;

    public CpuPusher(int threads) =>
        options = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };

    public string Device => $"cpu (Parallel.For, {options.MaxDegreeOfParallelism} threads)";

    public void Load(SlabField f) => field = f.Cpu();

    public void Push(Particle[] particles, double dt, double q, int steps)
    {
        var f = field;
        Parallel.For(0, (particles.Length + 63) / 64, options, chunk =>
        {
            var end = Math.Min(particles.Length, (chunk + 1) * 64);
            for (var i = chunk * 64; i < end; i++)
                Boris.Steps(ref particles[i], f, dt, q, steps);
        });
    }

    public void Dispose() { }
}

/// <summary>A float table on an accelerator.</summary>
public readonly struct ViewTable : ITable
{
    readonly ArrayView<float> data;
    public ViewTable(ArrayView<float> data) => this.data = data;
    public float this[int i] => data[i];
}

/// <summary>The ILGPU path: one GPU thread per particle runs the same <see cref="Boris.Steps{TField}"/>.</summary>
sealed class IlgpuPusher : IPusher
{
    readonly Context context;
    readonly Accelerator accelerator;
    readonly Action<Index1D, ArrayView<Particle>, NestedField<ViewTable>, double, double, int> kernel;
    MemoryBuffer1D<float, Stride1D.Dense>? table;
    NestedField<ViewTable> field;

    public string Device { get; }

    public IlgpuPusher(bool cuda)
    {
        context = Context.Create(builder => (cuda ? builder.Cuda() : builder.CPU()).Math(MathMode.Default));
        var device = context.Devices.First(d => d.AcceleratorType == (cuda ? AcceleratorType.Cuda : AcceleratorType.CPU));
        accelerator = device.CreateAccelerator(context);
        kernel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<Particle>, NestedField<ViewTable>, double, double, int>(Kernel);
        Device = cuda ? $"cuda ({device.Name}, ILGPU)" : "ilgpu-cpu (ILGPU CPU accelerator, a debugging simulator)";
    }

    static void Kernel(Index1D i, ArrayView<Particle> particles, NestedField<ViewTable> field, double dt, double q, int steps)
    {
        var p = particles[i];
        Boris.Steps(ref p, field, dt, q, steps);
        particles[i] = p;
    }

    public void Load(SlabField f)
    {
        table?.Dispose();
        table = accelerator.Allocate1D(f.Data);
        var g = f.Grids();
        field = new NestedField<ViewTable> { Table = new ViewTable(table.View), Count = f.Bands.Length, G0 = g[0], G1 = g[1], G2 = g[2], G3 = g[3] };
    }

    public void Push(Particle[] particles, double dt, double q, int steps)
    {
        using var buffer = accelerator.Allocate1D(particles);
        // launches of at most 20000 steps keep each kernel short
        for (var done = 0; done < steps;)
        {
            var n = Math.Min(20000, steps - done);
            kernel((int)buffer.Length, buffer.View, field, dt, q, n);
            done += n;
        }
        accelerator.Synchronize();
        buffer.CopyToCPU(particles);
    }

    public void Dispose()
    {
        table?.Dispose();
        accelerator.Dispose();
        context.Dispose();
    }
}

using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SkyMix.Gpu;

/// <summary>
/// Pushes particles through a field; one instance per run (it owns the accelerator). The particles live on
/// the device from <see cref="Upload"/> to <see cref="Download"/>: a <see cref="Push"/> moves no data.
/// </summary>
public interface IPusher : IDisposable
{
    /// <summary>The device in words, for run.json.</summary>
    string Device { get; }

    /// <summary>Makes the field current (uploads it to the device).</summary>
    void Load(SlabField field);

    /// <summary>Puts the particles on the device; they stay there for every following push.</summary>
    void Upload(Particle[] particles);

    /// <summary>Advances every particle on the device by <paramref name="steps"/> Boris steps of dt with charge sign q.</summary>
    void Push(double dt, double q, int steps);

    /// <summary>Copies the particles' current state back into <paramref name="particles"/>.</summary>
    void Download(Particle[] particles);
}

/// <summary>
/// The CPU path. Particles advance in blocks of vector lanes (<see cref="BorisLanes"/>, bit-identical to
/// <see cref="Boris.Step{TField}"/>): eight per 512-bit vector where .NET accelerates 512-bit vectors (AVX-512),
/// else four per 256-bit vector, else one scalar step per particle. Eight blocks advance at a time so that the core overlaps
/// their steps; groups of blocks are shared out over the cores. Results do not depend on the number of threads
/// or the path: each particle's arithmetic is the same. (Regrouping the particles by height every 256 steps, so
/// that a block reads neighbouring table entries, gained nothing with cache-resident tables: bench case
/// <c>locality</c>, bench/RESULTS.md.)
/// </summary>
sealed class CpuPusher : IPusher
{
    readonly ParallelOptions options;
    /// <summary>Lanes per vector: 8, 4, or 0 for the scalar step.</summary>
    readonly int width;
    NestedField<ArrayTable> field;
    LaneField laneField;
    GCHandle pinned;
    Particle[] particles = Array.Empty<Particle>();

    /// <summary>Blocks of lanes advanced together by one thread.</summary>
    const int BlocksPerGroup = 8;

    public CpuPusher(int threads, CpuPath path)
    {
        options = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        width = Width(path);
    }

    /// <summary>Lanes per vector of a path: 8, 4, or 0 for the scalar step; Auto takes the widest vectors .NET
    /// accelerates here.</summary>
    public static int Width(CpuPath path) => path switch
    {
        CpuPath.Scalar => 0,
        CpuPath.Lanes4 => 4,
        CpuPath.Lanes8 => 8,
        _ => Vector512.IsHardwareAccelerated ? 8 : Vector256.IsHardwareAccelerated ? 4 : 0,
    };

    public string Device => width > 0
        ? $"cpu ({width} vector lanes, {Threads})"
        : $"cpu (scalar step, {Threads})";

    string Threads => options.MaxDegreeOfParallelism == 1 ? "1 thread" : $"{options.MaxDegreeOfParallelism} threads";

    public unsafe void Load(SlabField f)
    {
        field = f.Cpu();
        if (width == 0) return;
        // the lanes read the table through a pointer: pin the new table, then let the old one go
        var next = GCHandle.Alloc(f.Data, GCHandleType.Pinned);
        laneField = new LaneField((float*)next.AddrOfPinnedObject(), f.Bands.Length, f.Grids());
        if (pinned.IsAllocated) pinned.Free();
        pinned = next;
    }

    /// <summary>A copy of the caller's particles (as on a device: the caller's array changes only on Download).</summary>
    public void Upload(Particle[] ps) => particles = (Particle[])ps.Clone();

    public void Push(double dt, double q, int steps)
    {
        if (field.Count == 0) throw new InvalidOperationException("no field: call Load first (and not after Dispose)");
        if (width == 8) PushLanes<Lanes8>(dt, q, steps);
        else if (width == 4) PushLanes<Lanes4>(dt, q, steps);
        else PushScalar(dt, q, steps);
    }

    void PushLanes<T>(double dt, double q, int steps) where T : unmanaged, ILaneVector<T>
    {
        var f = laneField;
        var ps = particles;
        var w = T.Width;
        var group = BlocksPerGroup * w;
        Parallel.For(0, (ps.Length + group - 1) / group, options, gi =>
        {
            var first = gi * group;
            var count = Math.Min(BlocksPerGroup, (ps.Length - first + w - 1) / w);
            Span<LaneBlock<T>> blocks = stackalloc LaneBlock<T>[count];
            for (var b = 0; b < count; b++) blocks[b] = LaneBlock<T>.Load(ps, first + b * w);
            BorisLanes.Steps(blocks, f, dt, q, steps);
            for (var b = 0; b < count; b++) blocks[b].Store(ps, first + b * w);
        });
    }

    void PushScalar(double dt, double q, int steps)
    {
        var f = field;
        var ps = particles;
        Parallel.For(0, (ps.Length + 63) / 64, options, chunk =>
        {
            var end = Math.Min(ps.Length, (chunk + 1) * 64);
            for (var i = chunk * 64; i < end; i++)
                Boris.Steps(ref ps[i], f, dt, q, steps);
        });
    }

    public void Download(Particle[] ps) => particles.CopyTo(ps, 0);

    public void Dispose()
    {
        field = default;
        laneField = default;
        if (pinned.IsAllocated) pinned.Free();
    }
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

    MemoryBuffer1D<Particle, Stride1D.Dense>? particles;

    public void Upload(Particle[] ps)
    {
        if (particles is null || particles.Length != ps.Length)
        {
            particles?.Dispose();
            particles = accelerator.Allocate1D<Particle>(ps.Length);
        }
        particles.CopyFromCPU(ps);
    }

    public void Push(double dt, double q, int steps)
    {
        var buffer = particles ?? throw new InvalidOperationException("no particles on the device: call Upload first");
        // launches of at most 20000 steps keep each kernel short (a GPU watchdog may kill longer ones)
        for (var done = 0; done < steps;)
        {
            var n = Math.Min(20000, steps - done);
            kernel((int)buffer.Length, buffer.View, field, dt, q, n);
            done += n;
        }
    }

    public void Download(Particle[] ps)
    {
        accelerator.Synchronize();
        particles!.CopyToCPU(ps);
    }

    public void Dispose()
    {
        table?.Dispose();
        particles?.Dispose();
        accelerator.Dispose();
        context.Dispose();
    }
}

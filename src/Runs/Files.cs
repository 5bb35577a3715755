using System.Runtime.InteropServices;
using SkyMix.Theory;

namespace SkyMix.Runs;

/// <summary>
/// Output files are written to a temporary name in the target's folder and renamed onto it at the end, so a
/// reader (or a crash) never sees a half-written file. A symbolic link is followed and its target replaced (the
/// link stays); a FIFO or a device is written directly (it cannot be replaced); "-" is standard output. A file
/// that is replaced keeps its permission bits; a read-only file is refused. A missing folder on the way to an
/// output is created with its parents (as mkdir -p does) and named on standard error: that one rule holds for
/// every command and output. Paths are checked before any long computation starts. Inside
/// <see cref="AllOrNone"/> a command's outputs are written together at its end, or none of them.
/// </summary>
public static class Files
{
    /// <summary>The output name that means standard output.</summary>
    public const string StandardOutput = "-";

    /// <summary>Temporary files being written now (the process's, across threads), removed by
    /// <see cref="RemoveTemporary"/> when the process is interrupted.</summary>
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> inFlight = new();

    /// <summary>The files this process has finished writing, in order (for the message when it is interrupted).</summary>
    static readonly System.Collections.Concurrent.ConcurrentQueue<string> finished = new();

    /// <summary>The files this process has finished writing so far.</summary>
    public static IReadOnlyCollection<string> Finished => finished;

    /// <summary>Removes every temporary file still being written (on Ctrl-C: nothing half-written stays).</summary>
    public static void RemoveTemporary()
    {
        foreach (var tmp in inFlight.Keys)
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [DllImport("libc", SetLastError = true, EntryPoint = "stat")]
    static extern int Stat(string path, byte[] buffer);

    [DllImport("libc", SetLastError = true, EntryPoint = "realpath")]
    static extern IntPtr RealPath(string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    static extern void Free(IntPtr pointer);

    [DllImport("libc", SetLastError = true, EntryPoint = "access")]
    static extern int Access(string path, int mode);

    /// <summary>True when path (links followed) is a FIFO, a device or a socket: something to write into, not
    /// to replace. Uses stat(2) (st_mode at byte 24 on x86-64 Linux, 16 on arm64); false where it cannot tell.</summary>
    static bool IsSpecial(string path)
    {
        if (!OperatingSystem.IsLinux()) return false;
        var offset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            _ => -1,
        };
        if (offset < 0) return false;
        var buffer = new byte[256];
        try
        {
            if (Stat(path, buffer) != 0) return false;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
        var type = BitConverter.ToUInt32(buffer, offset) & 0xF000;
        return type is not (0x8000 or 0x4000); // neither a regular file nor a folder
    }

    /// <summary>
    /// Where path lands once every symbolic link on the way is followed, as an absolute path: realpath(3) of
    /// its deepest existing part, with the parts that do not exist yet appended (a dangling link is followed
    /// to where it points). A loop of links is an <see cref="InputError"/>. Two names of one file or folder
    /// resolve to the same string.
    /// </summary>
    public static string Resolve(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        if (full.Length == 0) full = "/";
        if (!OperatingSystem.IsLinux()) return full;
        var rest = new List<string>();
        var head = full;
        for (var hops = 0; hops < 64; hops++)
        {
            IntPtr p;
            try { p = RealPath(head, IntPtr.Zero); }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return full; }
            if (p != IntPtr.Zero)
            {
                var real = Marshal.PtrToStringUTF8(p)!;
                Free(p);
                rest.Reverse();
                return rest.Count == 0 ? real : Path.Combine(rest.Prepend(real).ToArray());
            }
            const int ENOENT = 2, ENOTDIR = 20, ELOOP = 40;
            var errno = Marshal.GetLastPInvokeError();
            if (errno == ELOOP) throw new InputError($"{path}: a loop of symbolic links; give a real file or folder");
            if (errno is not (ENOENT or ENOTDIR)) return full;
            var link = new FileInfo(head).LinkTarget;
            if (link is not null)
            {
                // a dangling link: writing to it creates the file it points to
                head = Path.GetFullPath(link, Path.GetDirectoryName(head)!).TrimEnd(Path.DirectorySeparatorChar);
                continue;
            }
            var parent = Path.GetDirectoryName(head);
            if (parent is null) return full;
            rest.Add(Path.GetFileName(head));
            head = parent;
        }
        throw new InputError($"{path}: a loop of symbolic links; give a real file or folder");
    }

    /// <summary>A name written into directly: standard output, or an existing FIFO, device or socket.</summary>
    static bool Direct(string path) => path == StandardOutput || (File.Exists(path) && IsSpecial(path));

    /// <summary>True when an existing file must not be replaced: no write bit at all (even root is refused, as
    /// the README promises), or access(2) says this user may not write it.</summary>
    static bool IsReadOnly(string file)
    {
        if (OperatingSystem.IsWindows()) return new FileInfo(file).IsReadOnly;
        const UnixFileMode anyWrite = UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
        if ((File.GetUnixFileMode(file) & anyWrite) == 0) return true;
        try { return Access(file, 2) != 0; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    static string ReadOnlyMessage(string what, string path) =>
        $"{what} {path} is read-only; SkyMix does not replace it (make it writable, or give another name)";

    /// <summary>
    /// Fails with an <see cref="InputError"/> unless <paramref name="path"/> can be written: "-" (standard
    /// output), an existing FIFO or device, or a file that is not read-only in a folder that takes a new file
    /// (a probe is created and removed), or whose nearest existing folder does (the rest is created when the
    /// file is written). Called before long computations.
    /// </summary>
    public static void CheckWritable(string? path, string what)
    {
        if (path is null || path == StandardOutput) return;
        if (path.Length == 0) throw new InputError($"{what}: the file name is empty; give a file name, or - for standard output");
        if (File.Exists(path) && IsSpecial(path)) return;
        var full = Resolve(path);
        if (Directory.Exists(full))
            throw new InputError($"{what} {path} is a folder; give a file name");
        if (File.Exists(full) && IsReadOnly(full)) throw new InputError(ReadOnlyMessage(what, path));
        Probe(NearestFolder(Path.GetDirectoryName(full)!, $"cannot write {what} {path}"), $"cannot write {what} {path}");
    }

    /// <summary>The folder itself if it exists, else its nearest existing ancestor (which must be a folder).</summary>
    static string NearestFolder(string dir, string what)
    {
        var d = dir;
        while (!Directory.Exists(d))
        {
            if (File.Exists(d)) throw new InputError($"{what}: {d} is a file, not a folder");
            d = Path.GetDirectoryName(d) ?? throw new InputError($"{what}: no folder on its path exists");
        }
        return d;
    }

    /// <summary>Creates a missing folder with its parents, and says so (see <see cref="Created"/>).</summary>
    static void CreateFolder(string dir)
    {
        if (Directory.Exists(dir)) return;
        Directory.CreateDirectory(dir);
        Created(dir);
    }

    /// <summary>Told the name of every folder SkyMix creates on the way to an output (the command line prints it).</summary>
    public static Action<string> Created { get; set; } = _ => { };

    /// <summary>
    /// Refuses two outputs on one file (after following links), and an output on one of the inputs: each
    /// would silently replace the other; two outputs on "-" (standard output) would mix. Null names are left out.
    /// </summary>
    public static void CheckDistinct(IEnumerable<(string? Path, string What)> outputs, IEnumerable<string> inputs)
    {
        var seen = new Dictionary<string, string>();
        foreach (var input in inputs)
            seen[Resolve(input)] = $"the input {input}";
        foreach (var (path, what) in outputs)
        {
            if (path is null || path.Length == 0) continue;
            var target = path == StandardOutput ? StandardOutput : Resolve(path);
            if (seen.TryGetValue(target, out var other))
                throw new InputError($"{what} {path} is the same file as {other}; give each output its own file");
            seen[target] = $"{what} {path}";
        }
    }

    /// <summary>Creates the folder <paramref name="dir"/> (and its parents) if needed and checks that it takes new
    /// files.</summary>
    public static void CheckFolder(string dir, string what)
    {
        if (dir.Length == 0) throw new InputError($"{what}: the folder name is empty; give a folder");
        var full = Resolve(dir);
        if (File.Exists(full)) throw new InputError($"{what} {dir} is a file; give a folder");
        try
        {
            // missing parents are named; the folder asked for is created silently
            CreateFolder(Path.GetDirectoryName(full) ?? full);
            Directory.CreateDirectory(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new InputError($"cannot create {what} {dir} ({Reason(e, full)})"); }
        Probe(full, $"cannot write to {what} {dir}");
    }

    /// <summary>Why a file operation failed, in words that do not show SkyMix's temporary names.</summary>
    static string Reason(Exception e, string dir) =>
        e is UnauthorizedAccessException ? $"permission denied in {dir}" : e.Message.Split('\n')[0].Split(" : ")[0].TrimEnd('.');

    static void Probe(string dir, string what)
    {
        var probe = Path.Combine(dir, $".skymix-probe-{Environment.ProcessId}");
        try
        {
            File.WriteAllBytes(probe, Array.Empty<byte>());
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputError($"{what} ({(e is UnauthorizedAccessException ? $"the folder {dir} is not writable" : e.Message.Replace(probe, dir))})");
        }
    }

    /// <summary>Outputs held back by <see cref="AllOrNone"/> (null: written at once).</summary>
    [ThreadStatic] static List<(string Path, byte[] Bytes)>? held;

    /// <summary>
    /// Runs <paramref name="body"/> with every output it writes held in memory, then writes them all: first each
    /// file under a temporary name, then standard output, FIFOs and devices (which cannot be taken back), then
    /// the renames. A failure anywhere before the renames — in the body, a full disk, a device that refuses
    /// the data — leaves every old file as it was and no new one.
    /// </summary>
    public static void AllOrNone(Action body)
    {
        if (held is not null) { body(); return; }
        held = new();
        List<(string Path, byte[] Bytes)> outputs;
        try
        {
            body();
            outputs = held;
        }
        finally { held = null; }
        var staged = new List<(string Tmp, string Final, string Shown)>();
        try
        {
            foreach (var (path, bytes) in outputs.Where(o => !Direct(o.Path)))
            {
                var (tmp, final) = Stage(path, s => s.Write(bytes));
                staged.Add((tmp, final, path));
            }
            foreach (var (path, bytes) in outputs.Where(o => Direct(o.Path))) WriteDirect(path, s => s.Write(bytes));
            foreach (var (tmp, final, shown) in staged)
            {
                File.Move(tmp, final, overwrite: true);
                inFlight.TryRemove(tmp, out _);
                finished.Enqueue(shown);
            }
        }
        catch
        {
            foreach (var (tmp, _, _) in staged)
            {
                try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                inFlight.TryRemove(tmp, out _);
            }
            throw;
        }
    }

    /// <summary>Writes into standard output, a FIFO or a device.</summary>
    static void WriteDirect(string path, Action<Stream> body)
    {
        if (path == StandardOutput)
        {
            Console.Out.Flush();
            using var stdout = Console.OpenStandardOutput();
            body(stdout);
            stdout.Flush();
            return;
        }
        using (var device = new FileStream(path, FileMode.Open, FileAccess.Write))
            body(device);
        finished.Enqueue(path);
    }

    /// <summary>Writes a whole file under a temporary name beside its final place (the target of a link), with the
    /// permission bits of the file it will replace; returns both names. Missing folders are created.</summary>
    static (string Tmp, string Final) Stage(string path, Action<Stream> body)
    {
        var final = Resolve(path);
        if (File.Exists(final) && IsReadOnly(final)) throw new InputError(ReadOnlyMessage("the output", path));
        var dir = Path.GetDirectoryName(final)!;
        CreateFolder(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(final)}.{Environment.ProcessId}.tmp");
        inFlight[tmp] = 0;
        try
        {
            try
            {
                using var s = new FileStream(tmp, FileMode.Create, FileAccess.Write);
                body(s);
            }
            catch (IOException e) { throw new IOException($"writing {path}: {e.Message}", e); }
            if (File.Exists(final) && !OperatingSystem.IsWindows()) File.SetUnixFileMode(tmp, File.GetUnixFileMode(final));
            return (tmp, final);
        }
        catch
        {
            File.Delete(tmp);
            inFlight.TryRemove(tmp, out _);
            throw;
        }
    }

    /// <summary>Writes a file through a stream: atomically (a temporary name, then renamed onto the target of a
    /// link, or onto the file), directly into a FIFO or device, or to standard output for "-"; inside
    /// <see cref="AllOrNone"/> it is held until the command's end.</summary>
    public static void Write(string path, Action<Stream> body)
    {
        if (held is not null)
        {
            using var buffer = new MemoryStream();
            body(buffer);
            held.Add((path, buffer.ToArray()));
            return;
        }
        if (Direct(path))
        {
            WriteDirect(path, body);
            return;
        }
        var (tmp, final) = Stage(path, body);
        try
        {
            File.Move(tmp, final, overwrite: true);
            finished.Enqueue(path);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
        finally
        {
            inFlight.TryRemove(tmp, out _);
        }
    }

    /// <summary>Writes a UTF-8 text file as <see cref="Write"/> does ('\n' line ends), or to standard output when
    /// path is null or "-".</summary>
    public static void WriteText(string? path, Action<TextWriter> body)
    {
        if ((path is null || path == StandardOutput) && held is null)
        {
            body(Console.Out);
            Console.Out.Flush();
            return;
        }
        Write(path ?? StandardOutput, s =>
        {
            using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false)) { NewLine = "\n" };
            body(w);
        });
    }
}

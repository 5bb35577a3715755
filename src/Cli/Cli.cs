using System.Reflection;
using System.Runtime.InteropServices;
using SkyMix.CliArgs;
using SkyMix.Theory;

namespace SkyMix.Cli;

/// <summary>
/// Entry point of <c>skymix</c>: parse (SkyMix.CliArgs), dispatch to one command, map errors to exit codes —
/// 0 success, 2 bad input (one line on stderr saying what and what is allowed), 1 a run that failed.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            var command = Parse.parse(args);
            SkyMix.Runs.Files.Created = dir => Console.Error.WriteLine($"skymix: created folder {dir}");
            // simulate stops between chunks of particle-steps itself; every other command is stopped here
            if (command is not Parse.Command.Simulate) OnStop(signal => Interrupted(command, signal));
            return command switch
            {
                Parse.Command.Predict p => Commands.PredictCommand.Run(p.Item),
                Parse.Command.Simulate s => Commands.SimulateCommand.Run(s.Item),
                Parse.Command.Fit f => Commands.FitCommand.Run(f.Item),
                Parse.Command.Reproduce r => Commands.ReproduceCommand.Run(r.Item),
                Parse.Command.Cl c => Commands.ClCommand.Run(c.Item),
                Parse.Command.Merge m => Commands.MergeCommand.Run(m.Item),
                Parse.Command.Slurm s => Commands.SlurmCommand.Run(s.Item),
                Parse.Command.Matrix m => Commands.MatrixCommand.Run(m.Item),
                Parse.Command.Help h => Print(h.text),
                _ => Version(),
            };
        }
        catch (Parse.UsageError e) { return Fail(e.message, 2); }
        catch (InputError e) { return Fail(e.Message, 2); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { return Fail($"{e.Message} (no half-written file is left)", 1); }
        catch (Exception e)
        {
            // a failed run (e.g. a non-finite result refused before writing), never a stack trace
            return Fail($"the run failed: {e.GetType().Name}: {e.Message}", 1);
        }
    }

    /// <summary>A stop signal: Ctrl-C (SIGINT), or SIGTERM as kill and Slurm's time limit send it.</summary>
    public sealed record Signal(string What, int ExitCode);

    /// <summary>
    /// Calls <paramref name="handler"/> on SIGINT and on SIGTERM instead of the default termination, so both
    /// are handled alike (nothing half-written, a message, exit 130 or 143); disposing the result ends it.
    /// </summary>
    public static IDisposable OnStop(Action<Signal> handler)
    {
        // SIGINT through Console's own handler (the one the Ctrl-C tests always used), SIGTERM through a registration
        ConsoleCancelEventHandler onInterrupt = (_, e) => { e.Cancel = true; handler(new Signal("interrupted", 130)); };
        Console.CancelKeyPress += onInterrupt;
        var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            handler(new Signal("terminated (SIGTERM)", 143));
        });
        return new Registrations(() => { Console.CancelKeyPress -= onInterrupt; term.Dispose(); });
    }

    sealed class Registrations(Action end) : IDisposable
    {
        public void Dispose() => end();
    }

    /// <summary>Ctrl-C or SIGTERM: remove what is half-written, say what was stopped, exit 130 or 143.</summary>
    static void Interrupted(Parse.Command command, Signal signal)
    {
        SkyMix.Runs.Files.RemoveTemporary();
        var done = SkyMix.Runs.Files.Finished;
        var files = done.Count == 0 ? "no output file was written" : $"finished before it: {string.Join(", ", done)}; no half-written file is left";
        var what = command switch
        {
            Parse.Command.Reproduce => $"reproduce {signal.What}: finished realisations are saved; the same command resumes",
            Parse.Command.Predict => $"predict {signal.What}; {files}",
            Parse.Command.Fit => $"fit {signal.What}; {files}",
            Parse.Command.Merge => $"merge {signal.What}; rerun the same merge to complete it",
            _ => $"{signal.What}; {files}",
        };
        Console.Error.WriteLine($"\nskymix: {what}");
        Environment.Exit(signal.ExitCode);
    }

    static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"skymix: {string.Join(" ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))}");
        return code;
    }

    static int Print(string text)
    {
        Console.WriteLine(text);
        return 0;
    }

    /// <summary>Version and git commit of this build.</summary>
    public static string VersionText =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    static int Version()
    {
        Console.WriteLine($"skymix {VersionText}");
        foreach (var line in SkyMix.Gpu.Accelerators.Describe()) Console.WriteLine($"  {line}");
        return 0;
    }
}

using System.Globalization;
using SkyMix.Runs;

namespace SkyMix.Cli;

/// <summary>Progress lines on stderr: rewritten in place on a terminal, a plain line every few seconds otherwise.</summary>
public sealed class ProgressReport
{
    readonly string what;
    readonly bool terminal = !Console.IsErrorRedirected;
    readonly System.Diagnostics.Stopwatch sinceLast = System.Diagnostics.Stopwatch.StartNew();
    bool shown;

    public ProgressReport(string what) => this.what = what;

    public void Show(Progress p)
    {
        // the first line as soon as the rate is known (after a second), then every 0.5 s on a terminal, 5 s otherwise
        if (sinceLast.Elapsed.TotalSeconds < (!shown ? 1.0 : terminal ? 0.5 : 5.0)) return;
        sinceLast.Restart();
        var remaining = p.Remaining.TotalHours >= 1 ? p.Remaining.ToString(@"h\:mm\:ss") : p.Remaining.ToString(@"m\:ss");
        var line = $"{what}: realisation {p.Realization}/{p.Realizations}, {100 * p.Fraction:F0}% done, " +
                   $"{p.StepsPerSecond.ToString("0.00e+00", CultureInfo.InvariantCulture)} particle-steps/s, {remaining} left";
        if (terminal) Console.Error.Write($"\r{line,-90}");
        else Console.Error.WriteLine(line);
        shown = true;
    }

    public void Done()
    {
        if (terminal && shown) Console.Error.WriteLine();
    }
}

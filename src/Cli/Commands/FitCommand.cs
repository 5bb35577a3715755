using System.Globalization;
using SkyMix.CliArgs;
using SkyMix.Runs;
using SkyMix.Theory;

namespace SkyMix.Cli.Commands;

/// <summary>
/// <c>skymix fit RUN_DIR...</c>: ΩΔT per rigidity against the mixing equation, the law ΩΔT = a(Ωτ_s)^{1/3}
/// across rigidities, and the dipole analysis; a table, fit.csv, fit.json, fig6_law.png and, with --plot, Fig. 5.
/// </summary>
public static class FitCommand
{
    public static int Run(Parse.FitOptions o)
    {
        foreach (var d in o.Runs)
            if (!Directory.Exists(d)) throw new InputError(File.Exists(d) ? $"{d} is a file, not a run folder" : $"{d}: no such run folder");
        if (o.Runs.GroupBy(d => Path.GetFullPath(d).TrimEnd(Path.DirectorySeparatorChar)).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InputError($"{twice.First()} is given twice; name each run folder once");
        var request = Request(o.Lmax, o.LFit, o.Time);
        // every folder is checked before --out is made and the first (long) fit starts
        foreach (var dir in o.Runs)
        {
            var (study, finished) = Fitting.Fittable(dir, request, o.AllowPartial);
            if (finished.Length < study.Settings.Realizations)
                Console.Error.WriteLine($"skymix: warning: {dir} holds {finished.Length} of its {study.Settings.Realizations} realisations; fitting those (--allow-partial)");
        }
        Plots.CheckName(o.Plot, "--plot");
        Files.CheckWritable(o.Plot, "--plot");
        var outputs = new[] { "fit.csv", "fit.json", "fig6_law.png" }.Select(f => ((string?)Path.Combine(o.Out, f), "--out")).Append((o.Plot, "--plot"));
        Files.CheckDistinct(outputs, o.Runs.Select(d => Path.Combine(d, "run.json")));
        var made = !Directory.Exists(o.Out);
        Files.CheckFolder(o.Out, "--out");
        try
        {
            var fits = FitAll(o.Runs, request, o.AllowPartial);
            var law = Fitting.Law(fits);
            // a PNG on standard output keeps the tables off it
            Print(o.Plot == Files.StandardOutput ? Console.Error : Console.Out, fits, law);
            if (law is null)
                Console.Error.WriteLine("fit: no law ΩΔT = a(Ωτ_s)^1/3: it needs interior fits at two or more rigidities; fig6_law.png shows the points alone");
            // every output or none
            Files.AllOrNone(() =>
            {
                FitFiles.Write(o.Out, fits, law, Program.VersionText);
                Plots.Law(Path.Combine(o.Out, "fig6_law.png"), fits, law);
                if (o.Plot is not null) Plots.SpectraFits(o.Plot, fits);
            });
        }
        catch when (made)
        {
            // nothing half-made stays: the folder this command created goes if it is still empty
            if (Directory.Exists(o.Out) && !Directory.EnumerateFileSystemEntries(o.Out).Any()) Directory.Delete(o.Out);
            throw;
        }
        return 0;
    }

    /// <summary>The fit request of the options; --lmax N is the paper's truncation (null: the ℓ_max → ∞ limit).</summary>
    public static FitRun.Request Request(int? lmax, int lfit, double time)
    {
        if (lmax is int n && (n < FitRun.MinLmax || n > Api.MaxLmax)) throw new InputError($"--lmax must be auto or lie in {FitRun.MinLmax} … {Api.MaxLmax}, got {n}");
        return Fitting.Request(lmax, lfit, time);
    }

    /// <summary>Fits every run folder, ordered by ρ, reporting progress on stderr.</summary>
    public static List<FolderFit> FitAll(IEnumerable<string> runs, FitRun.Request request, bool allowPartial = false)
    {
        var fits = new List<FolderFit>();
        foreach (var dir in runs)
        {
            Console.Error.Write($"fit: {dir} ... ");
            var sw = System.Diagnostics.Stopwatch.StartNew();
            fits.Add(Fitting.Fit(dir, request, allowPartial));
            Console.Error.WriteLine($"{sw.Elapsed.TotalSeconds:F1} s");
        }
        fits.Sort((a, b) => a.Study.Settings.Rho.CompareTo(b.Study.Settings.Rho));
        return fits;
    }

    static string F(double v, string f) => v.ToString(f, CultureInfo.InvariantCulture);

    static void Print(TextWriter report, IReadOnlyList<FolderFit> fits, FitRun.Law? law)
    {
        report.WriteLine("ΩΔT per rigidity (χ² of C_ℓ^sub/C_1^sub against the mixing equation over ℓ = 2 … ℓ_fit) and the law (eq. 51); theory — " +
                          string.Join("; ", fits.Select(f => $"{FitFiles.Label(f.Study.Settings)}: {FitFiles.Theory(f.Fit)}")) + ":");
        report.WriteLine();
        foreach (var line in FitFiles.Table(fits, law)) report.WriteLine(line);
        report.WriteLine();
        report.WriteLine("Dipoles (Sec. 3.3) in units of (L_c ∇f̄/f̄)²:");
        report.WriteLine();
        foreach (var line in FitFiles.Dipoles(fits)) report.WriteLine(line);
        report.WriteLine();
        report.WriteLine("How ΩΔT moves (variants):");
        foreach (var f in fits)
            report.WriteLine($"  {FitFiles.Label(f.Study.Settings)}: " + string.Join("; ", f.Fit.Variants.Select(v =>
                $"{v.What}{(v.What == "time" ? $" {F(v.Time, "G4")}" : "")}: {F(v.Fit.OmegaDT, "F2")} (χ²/dof {F(v.Fit.ReducedChiSquare, "F2")})")));
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SkyMix.Io;
using SkyMix.Theory;

namespace SkyMix.Gpu;

/// <summary>Progress of a study, for the command line to report.</summary>
public readonly record struct Progress(int Realization, int Realizations, double Fraction, double StepsPerSecond, TimeSpan Eta);

/// <summary>
/// A whole study in a run folder: realisations one after the other, each saved as soon as it is done
/// (so Ctrl-C loses at most the one in flight), the ensemble files rewritten after each, and a rerun of
/// the same settings on the same folder resuming where it stopped. Settings that differ from the
/// folder's run.json are refused.
/// </summary>
public static class Study
{
    /// <summary>The settings as the JSON object stored under "settings" in run.json.</summary>
    public static void WriteSettings(Utf8JsonWriter w, RunSettings s)
    {
        w.WriteStartObject("settings");
        w.Number("rho", s.Rho);
        if (s.RigidityVolts is double r) w.Number("rigidity_V", r); else w.WriteNull("rigidity_V");
        w.Number("B_rms_uG", s.BrmsMicroGauss);
        w.Number("L_c_pc", s.LcParsec);
        w.Number("eta", s.Eta);
        w.Number("q", s.Q);
        w.Number("k_max_Omega", s.KMax);
        w.WriteNumber("nside", s.Nside);
        w.WriteNumber("realizations", s.Realizations);
        w.WriteString("seed", s.Seed.ToString(CultureInfo.InvariantCulture));
        w.Numbers("times_requested", s.Times);
        w.Number("step_fraction_gyro_period", s.StepGyro);
        w.Number("step_fraction_lambda_min", s.StepLambda);
        w.Numbers("gradient_direction", s.Gradient);
        w.WriteNumber("memory_bytes", s.MemoryBytes);
        w.WriteEndObject();
    }

    /// <summary>Reads the "settings" object of a run.json back.</summary>
    public static RunSettings ReadSettings(JsonElement e)
    {
        double D(string n) => e.GetProperty(n).GetDouble();
        double[] A(string n) => e.GetProperty(n).EnumerateArray().Select(x => x.GetDouble()).ToArray();
        return new RunSettings
        {
            Rho = D("rho"),
            RigidityVolts = e.GetProperty("rigidity_V").ValueKind == JsonValueKind.Null ? null : D("rigidity_V"),
            BrmsMicroGauss = D("B_rms_uG"),
            LcParsec = D("L_c_pc"),
            Eta = D("eta"),
            Q = D("q"),
            KMax = D("k_max_Omega"),
            Nside = e.GetProperty("nside").GetInt32(),
            Realizations = e.GetProperty("realizations").GetInt32(),
            Seed = ulong.Parse(e.GetProperty("seed").GetString()!, CultureInfo.InvariantCulture),
            Times = A("times_requested"),
            StepGyro = D("step_fraction_gyro_period"),
            StepLambda = D("step_fraction_lambda_min"),
            Gradient = A("gradient_direction"),
            MemoryBytes = e.GetProperty("memory_bytes").GetInt64(),
        };
    }

    /// <summary>The settings of a run folder (its run.json); an <see cref="InputError"/> if it has none.</summary>
    public static RunSettings Load(string dir)
    {
        var file = Path.Combine(dir, "run.json");
        if (!File.Exists(file)) throw new InputError($"{dir} is not a SkyMix run folder (no run.json)");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            return ReadSettings(doc.RootElement.GetProperty("settings"));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InputError($"{file}: not a valid run.json ({e.Message})");
        }
    }

    static string Canonical(RunSettings s)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            WriteSettings(w, s);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>
    /// Runs (or resumes) the study in dir. The callback sees progress every ~2e7 particle-steps; cancel
    /// stops between chunks and discards the realisation in flight. Returns the ensemble.
    /// </summary>
    public static Ensemble Run(RunSettings s, string dir, DeviceKind device, string version, bool writeMaps,
                               Action<Progress>? progress = null, CancellationToken cancel = default)
    {
        s.Validate();
        var spectrum = s.Spectrum();
        var bands = SlabField.Layout(spectrum, s.MemoryBytes);
        if (File.Exists(dir)) throw new InputError($"--out {dir} is a file; give a folder");
        if (File.Exists(Path.Combine(dir, "run.json")) && Canonical(Load(dir)) != Canonical(s))
            throw new InputError($"{dir} holds a run with other settings (see its run.json); use another --out or the same settings to resume");
        Directory.CreateDirectory(Path.Combine(dir, "realizations"));
        RunFolder.CleanInterrupted(dir);
        using var pusher = Accelerators.Create(device);
        var finished = RunFolder.Finished(dir).Where(i => i < s.Realizations).ToHashSet();
        var results = finished.Order().Select(i => RunFolder.ReadRealization(dir, i)).ToList();
        var perRealization = (long)Healpix.npix(s.Nside) * s.StepCounts()[^1];
        var todo = Enumerable.Range(0, s.Realizations).Where(i => !finished.Contains(i)).ToList();
        var clock = Stopwatch.StartNew();
        long stepsDone = 0;
        WriteRunJson(dir, s, spectrum, bands, pusher.Device, version, results.Count, 0, 0);
        foreach (var (r, k) in todo.Select((r, k) => (r, k)))
        {
            var result = Backtrack.Realization(s, bands, pusher, r, done =>
            {
                var total = stepsDone + done;
                var rate = total / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                var fraction = (double)total / (perRealization * todo.Count);
                var eta = TimeSpan.FromSeconds((perRealization * todo.Count - total) / Math.Max(1.0, rate));
                progress?.Invoke(new Progress(k + 1, todo.Count, fraction, rate, eta));
            }, cancel);
            stepsDone += perRealization;
            RunFolder.WriteRealization(dir, result, writeMaps);
            result.Maps = null;
            results.Add(result);
            results.Sort((a, b) => a.Index.CompareTo(b.Index));
            RunFolder.WriteEnsemble(dir, Ensemble.Of(results), results);
        }
        var ensemble = Ensemble.Of(results);
        RunFolder.WriteEnsemble(dir, ensemble, results);
        var seconds = clock.Elapsed.TotalSeconds;
        WriteRunJson(dir, s, spectrum, bands, pusher.Device, version, results.Count, seconds, stepsDone / Math.Max(seconds, 1e-9));
        return ensemble;
    }

    static void WriteRunJson(string dir, RunSettings s, Spectrum spectrum, GridBand[] bands, string device, string version,
                             int finished, double seconds, double stepsPerSecond) =>
        Json.Write(Path.Combine(dir, "run.json"), w =>
        {
            var kzz = Qlt.kzz(spectrum);
            w.WriteStartObject();
            w.WriteString("program", "skymix simulate");
            w.WriteString("version", version);
            WriteSettings(w, s);
            w.WriteStartObject("derived");
            w.WriteString("units", "c = 1, time 1/Omega, length c/Omega; Omega = gyrofrequency in B0 = B_rms sqrt(1-eta)");
            if (s.RigidityVolts is double r)
            {
                var rg = Units.gyroradiusPc(r, s.BrmsMicroGauss);
                w.Number("r_g_pc", rg);
                w.Number("Omega_per_s", Units.omegaPerSecond(rg, s.Eta));
            }
            w.Number("k_min_Omega", spectrum.KMin);
            w.Number("A", spectrum.A);
            w.Number("K_zz_QLT", kzz);
            w.Number("Omega_tau_s_QLT", 3 * kzz);
            w.Number("L_c_over_c_Omega", s.LcTheory);
            w.Number("dt_Omega", s.Dt);
            w.Numbers("times", s.StepCounts().Select(c => c * s.Dt));
            w.WriteEndObject();
            w.WriteStartArray("grids");
            foreach (var b in bands)
            {
                w.WriteStartObject();
                w.Number("k_lo", b.KLo);
                w.Number("k_hi", b.KHi);
                w.WriteNumber("points", b.N);
                w.Number("spacing", b.Spacing);
                w.Number("period", b.Period);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("field_interpolation", "cubic Catmull-Rom, float32 table");
            w.WriteString("noise_estimator", "self-consistent plateau (physics.md 5); noise_eq7 column: eq. 7 with the measured <(dr.g)^2>");
            w.WriteString("map", "f/fbar - 1 = (r(t0)-r_obs).g + 3 K_zz(QLT) g_z u_z for a unit gradient g; pixels = momentum direction p");
            w.WriteStartArray("realization_seeds");
            for (var i = 0; i < s.Realizations; i++) w.WriteStringValue(Rng.Derive(s.Seed, (ulong)i).ToString(CultureInfo.InvariantCulture));
            w.WriteEndArray();
            w.WriteString("device", device);
            w.WriteNumber("threads", Environment.ProcessorCount);
            w.WriteNumber("finished_realizations", finished);
            w.Number("seconds", seconds);
            w.Number("particle_steps_per_second", stepsPerSecond);
            w.WriteEndObject();
        });
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using SkyMix.Theory;

namespace SkyMix.Runs;

/// <summary>
/// run.json, the record of a run folder (README "File formats"): program, version and git commit, the
/// settings (every input and the seed), derived quantities in theory and physical units, the field's grid
/// layout, every realisation's seed, and under "execution" the device, thread count, shard, the folders a
/// merge combined, the number of finished realisations and timings.
/// </summary>
public static class RunJson
{
    /// <summary>The settings as the JSON object stored under "settings" in run.json.</summary>
    static void WriteSettings(Utf8JsonWriter w, StudySettings s)
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
        w.WriteBoolean("maps", s.Maps);
        w.WriteStartArray("mixing_l0");
        foreach (var l0 in s.MixingL0) w.WriteNumberValue(l0);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Reads the "settings" object of a run.json back (JSON errors propagate; see <see cref="Read"/>).</summary>
    static StudySettings ReadSettings(JsonElement e)
    {
        double D(string n) => e.Key(n).GetDouble();
        double[] A(string n) => e.Key(n).EnumerateArray().Select(x => x.GetDouble()).ToArray();
        return new StudySettings
        {
            Rho = D("rho"),
            RigidityVolts = e.Key("rigidity_V").ValueKind == JsonValueKind.Null ? null : D("rigidity_V"),
            BrmsMicroGauss = D("B_rms_uG"),
            LcParsec = D("L_c_pc"),
            Eta = D("eta"),
            Q = D("q"),
            KMax = D("k_max_Omega"),
            Nside = e.Key("nside").GetInt32(),
            Realizations = e.Key("realizations").GetInt32(),
            Seed = ulong.Parse(e.Key("seed").GetString()!, NumberStyles.None, CultureInfo.InvariantCulture),
            Times = A("times_requested"),
            StepGyro = D("step_fraction_gyro_period"),
            StepLambda = D("step_fraction_lambda_min"),
            Gradient = A("gradient_direction"),
            MemoryBytes = e.Key("memory_bytes").GetInt64(),
            Maps = !e.TryGetProperty("maps", out var m) || m.GetBoolean(),
            MixingL0 = e.TryGetProperty("mixing_l0", out var l0) ? l0.EnumerateArray().Select(x => x.GetInt32()).ToArray() : Array.Empty<int>(),
        };
    }

    /// <summary>Reads a run.json file; any problem is an <see cref="InputError"/> naming the file. The settings
    /// are validated as a study (never against this machine: a folder made elsewhere stays readable).</summary>
    public static RunRecord Read(string file) =>
        Json.Read(file, "a SkyMix run.json", root =>
        {
            var s = Study.Of(ReadSettings(root.Key("settings")));
            CheckDerived(root, s);
            var x = root.Key("execution");
            var shard = new Shard(x.Key("shard_index").GetInt32(), x.Key("shard_count").GetInt32());
            if (shard.Count < 1 || shard.Index < 0 || shard.Index >= shard.Count)
                throw new FormatException($"shard {shard} is not a shard");
            // folders written before the per-realisation record have none: their totals are then unknown
            var done = x.TryGetProperty("realizations", out var rs)
                ? rs.EnumerateArray().Select(r => new RealizationExecution(
                    r.Key("realization").GetInt32(), r.Key("device").GetString()!, r.Key("threads").GetInt32(),
                    r.Key("cores").GetInt32(), r.Key("seconds").GetDouble(), r.Key("particle_steps_per_second").GetDouble())).ToArray()
                : Array.Empty<RealizationExecution>();
            return new RunRecord(s, new Execution(
                shard,
                x.Key("merged_from").EnumerateArray().Select(d => d.GetString()!).ToArray(),
                x.Key("finished_realizations").GetInt32(),
                done));
        });

    /// <summary>
    /// Refuses a run.json whose settings do not give the derived values, seeds and grids it records: the
    /// settings were edited after the run (every realisation was made with the recorded ones), or the file is
    /// damaged. Compared to 1e-9 relative (the values are written to round-trip).
    /// </summary>
    static void CheckDerived(JsonElement root, Study study)
    {
        var d = root.Key("derived");
        void Same(string name, double recorded, double computed)
        {
            if (!(Math.Abs(recorded - computed) <= 1e-9 * Math.Abs(computed)))
                throw new InputError($"its settings do not give the recorded {name} ({recorded.ToString("G6", CultureInfo.InvariantCulture)} recorded, " +
                                     $"{computed.ToString("G6", CultureInfo.InvariantCulture)} from the settings): the settings were edited after the run, " +
                                     "or the file is damaged; a run's settings cannot be changed (start a new run with the settings you want)");
        }
        Same("k_min_Omega", d.Key("k_min_Omega").GetDouble(), study.Spectrum.KMin);
        Same("A", d.Key("A").GetDouble(), study.Spectrum.A);
        Same("K_zz_QLT", d.Key("K_zz_QLT").GetDouble(), study.KzzQlt);
        Same("dt_Omega", d.Key("dt_Omega").GetDouble(), study.Dt);
        var times = d.Key("times").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        if (times.Length != study.TimesReached.Count) throw new InputError($"its settings give {study.TimesReached.Count} output times, the record {times.Length}: the settings were edited after the run, or the file is damaged");
        for (var t = 0; t < times.Length; t++) Same("times", times[t], study.TimesReached[t]);
        var seeds = root.Key("realization_seeds").EnumerateArray().Select(e => e.GetString()).ToArray();
        if (seeds.Length != study.Settings.Realizations || seeds.Where((seed, i) => seed != study.SeedOf(i).ToString(CultureInfo.InvariantCulture)).Any())
            throw new InputError("its realization_seeds are not those of its seed and realisations: the settings were edited after the run, or the file is damaged");
        var grids = root.Key("grids").EnumerateArray().ToArray();
        if (grids.Length != study.Layout.Count) throw new InputError($"its settings give {study.Layout.Count} field grids, the record {grids.Length}: the settings were edited after the run, or the file is damaged");
        for (var i = 0; i < grids.Length; i++)
        {
            Same("grids k_lo", grids[i].Key("k_lo").GetDouble(), study.Layout[i].KLo);
            Same("grids k_hi", grids[i].Key("k_hi").GetDouble(), study.Layout[i].KHi);
            Same("grids points", grids[i].Key("points").GetInt32(), study.Layout[i].N);
        }
    }

    /// <summary>The run.json of a run folder; an <see cref="InputError"/> if it has none or it is damaged.</summary>
    public static RunRecord Open(string dir)
    {
        if (!Directory.Exists(dir)) throw new InputError($"{dir}: no such folder");
        var file = Path.Combine(dir, "run.json");
        if (!File.Exists(file))
            throw new InputError(RunFolder.IsInterruptedMerge(dir)
                ? $"{dir} holds an interrupted merge (skymix merge stopped before it finished): rerun the same merge to complete it"
                : $"{dir} is not a SkyMix run folder (no run.json)");
        return Read(file);
    }

    /// <summary>The settings in a canonical text form: equal strings, equal studies.</summary>
    static string Canonical(StudySettings s)
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

    /// <summary>The first setting in which two studies differ, as "name: a ≠ b" (null when equal).</summary>
    public static string? Difference(StudySettings a, StudySettings b)
    {
        using var da = JsonDocument.Parse(Canonical(a));
        using var db = JsonDocument.Parse(Canonical(b));
        foreach (var p in da.RootElement.Key("settings").EnumerateObject())
        {
            var other = db.RootElement.Key("settings").Key(p.Name).GetRawText();
            if (p.Value.GetRawText() != other) return $"{p.Name}: {p.Value.GetRawText()} ≠ {other}";
        }
        return null;
    }

    /// <summary>Writes DIR/run.json (atomically).</summary>
    public static void Write(string dir, Study study, string version, Execution x) =>
        Json.Write(Path.Combine(dir, "run.json"), w =>
        {
            var s = study.Settings;
            var spectrum = study.Spectrum;
            var kzz = study.KzzQlt;
            w.WriteStartObject();
            w.WriteString("program", "skymix simulate");
            w.WriteString("version", version);
            w.WriteString("git_commit", version.Contains('+') ? version[(version.IndexOf('+') + 1)..] : "unknown");
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
            w.Number("Omega_tau_s_QLT", Qlt.tauOfKzz(kzz));
            w.Number("L_c_over_c_Omega", study.LcTheory);
            w.Number("dt_Omega", study.Dt);
            w.Numbers("times", study.TimesReached);
            w.WriteEndObject();
            w.WriteStartArray("grids");
            foreach (var b in study.Layout)
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
            w.WriteString("noise_estimator", "self-consistent plateau (docs/physics.md 7); noise_eq7 column: eq. 7 with the measured <(dr.g)^2>");
            w.WriteString("map", "f/fbar - 1 = (r(t0)-r_obs).g + 3 K_zz(QLT) g_z u_z for a unit gradient g; pixels = momentum direction p");
            w.WriteStartArray("realization_seeds");
            for (var i = 0; i < s.Realizations; i++) w.WriteStringValue(study.SeedOf(i).ToString(CultureInfo.InvariantCulture));
            w.WriteEndArray();
            w.WriteStartObject("execution");
            w.WriteString("device", x.Device);
            w.WriteNumber("threads", x.Realizations.Count == 0 ? 0 : x.Realizations.Max(r => r.Threads));
            w.WriteNumber("shard_index", x.Shard.Index);
            w.WriteNumber("shard_count", x.Shard.Count);
            w.WriteStartArray("merged_from");
            foreach (var p in x.MergedFrom) w.WriteStringValue(p);
            w.WriteEndArray();
            w.WriteNumber("finished_realizations", x.Finished);
            w.Number("seconds", x.Seconds);
            w.Number("particle_steps_per_second", x.StepsPerSecond);
            w.WriteStartArray("realizations");
            foreach (var one in x.Realizations)
            {
                w.WriteStartObject();
                w.WriteNumber("realization", one.Realization);
                w.WriteString("device", one.Device);
                w.WriteNumber("threads", one.Threads);
                w.WriteNumber("cores", one.Cores);
                w.Number("seconds", one.Seconds);
                w.Number("particle_steps_per_second", one.StepsPerSecond);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        });
}

"""Two-lead T_off consensus: which beats make it worse than the best lead, and rules tried.

The global T end with one or two usable leads is the latest of the leads' T ends (the
global QT runs from the earliest QRS onset to the latest T end over the simultaneous leads,
Kligfield et al. 2007), a terminal lobe taking part only where no other lead sees its T
better (``Params.t_cons_lobe_snr_ratio``) and a T end timed more loosely than 50 ms only where
the other lead's is not timed within that (``Params.t_cons_end_sd_max_s``, ninth round:
``waves.t_end_uncertainty``). On the 250 Hz II + V5 LUDB proxy it scores a few
ms worse than the best lead (``benchmarks/delineation_matrix.py --proxy``). This script
captures every lead's T end before the consensus (the output of ``stages.t_stage``), pairs
each beat with LUDB's T-end marks of the two leads (the mark between the beat's R and the
next R), and prints, beat by beat (one figure per beat, detection within 150 ms of the
mark; so its SDs differ from the matrix script's, which matches marks to the nearest
detection):

* bounds: each lead alone, the consensus, the closer lead of each beat (the best-lead
  oracle), the mean of the two -- against the first lead's marks and against the two-lead
  reference (the later of the two leads' marks);
* the beats where the consensus is more than 20 ms farther from the two-lead reference than
  the closer lead, by class (a terminal lobe set or was kept out of the global end; the
  later lead's T is plain but weaker, or its end less well defined, or comparable), with
  their share of the consensus's excess squared error over the oracle;
* rules that judge each lead's T end by its measurement evidence, evaluated on the captured
  ends (nothing in the package changes): the later lead is left out where its T-end
  uncertainty (``waves.t_end_uncertainty``: ``waves.repolarisation_noise`` over the
  steepest descent slope within 100 ms before the end) exceeds c times the other's, where
  its signal between the two ends stays within k times its noise of its own end level
  (support), where its R-to-T-end interval departs
  from its record median while the other lead's does not (beat-to-beat consistency); or
  the mean of the two ends where they agree within k times their combined uncertainty;
  and the timing rule the package applies (``Params.t_cons_end_sd_max_s``) at several
  thresholds, on the ends after the lobe rule.

Decisions are taken on the odd (training) records (the default); ``--even`` measures the
held-out records afterwards. Nothing is fitted here.

Usage::

    python benchmarks/delineation_t_consensus.py            # odd records, 250 Hz, II + V5
    python benchmarks/delineation_t_consensus.py --even
    python benchmarks/delineation_t_consensus.py --sim     # simulated exact truth (~1 min)
    python benchmarks/delineation_t_consensus.py --sim-width   # T end by T width (~3 min)
    python benchmarks/delineation_t_consensus.py --sim-long-qt  # QT 550-700 ms, 40-75 bpm
    python benchmarks/delineation_t_consensus.py --param t_ref_width_k=0   # any Params field

``--sim-width`` simulates T waves of 240-480 ms (symmetric ``sin^2`` and the usual
asymmetric shape, slow rise and faster return) ending at known samples, at 250 and 500 Hz,
with 1, 2 and 12 leads and two noise levels, and prints the global T end's error (mean /
RMS) with the fixed 90 ms trapezium reference and with the reference scaled by each lead's
T half width (``Params.t_ref_width_k``), in the same run.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from fractions import Fraction

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.signal import resample_poly  # noqa: E402

from interp_ecg.config import dataset_path  # noqa: E402
from interp_ecg.features.delineation import delineate  # noqa: E402
from interp_ecg.features.delineation import stages as S  # noqa: E402
from interp_ecg.features.delineation.params import Params  # noqa: E402
from interp_ecg.features.delineation.scoring import reference_marks  # noqa: E402
from interp_ecg.features.delineation.waves import (repolarisation_noise,  # noqa: E402
                                                   t_end_uncertainty)
from interp_ecg.io import read_ludb  # noqa: E402

log = logging.getLogger(__name__)

WINDOW_MS = 150.0      # a detection farther than this from the mark is a miss
HARM_MS = 20.0         # consensus farther from the reference than the closer lead by this


def _parse_params(items: list[str]) -> Params | None:
    """``["t_ref_width_k=0"]`` -> ``Params(t_ref_width_k=0)``; None when empty."""
    import ast
    if not items:
        return None
    kw = {}
    for item in items:
        key, sep, val = item.partition("=")
        if not sep:
            raise SystemExit(f"--param expects NAME=VALUE, got {item!r}")
        kw[key.strip()] = ast.literal_eval(val.strip())
    return Params(**kw)


def _resample(x: np.ndarray, fs_new: int, fs_old: int) -> np.ndarray:
    fr = Fraction(int(fs_new), int(fs_old))
    return x if fr == 1 else resample_poly(x, fr.numerator, fr.denominator, axis=-1)


def capture(parity: str, leads: list[str], fs_new: int,
            params: Params | None = None) -> tuple[pd.DataFrame, dict]:
    """One row per beat: each lead's T end (before the consensus) and evidence, the
    consensus T end, LUDB's marks of the two leads; and ``{(record, lead index): 0.5-15 Hz
    signal}`` as the delineator filtered it."""
    ds = read_ludb(dataset_path("ludb"))
    recs = [r for r in ds.meta.index if int(r) % 2 == (1 if parity == "odd" else 0)]
    pos = {r: i for i, r in enumerate(ds.meta.index)}
    idx = [list(ds.leads).index(ld) for ld in leads]
    seen: dict = {}
    t_stage, t_consensus = S.t_stage, S.t_consensus

    def stage(views, r, qoff, rr_next, fs, p, usable, *args, **kwargs):
        out = t_stage(views, r, qoff, rr_next, fs, p, usable, *args, **kwargs)
        seen.update(views=views, r=r, t=out, fs=fs)
        return out

    def consensus(t, usable, fs, p):
        out = t_consensus(t, usable, fs, p)
        seen["glob"] = out["off"]
        return out

    rows, waves = [], {}
    S.t_stage, S.t_consensus = stage, consensus
    try:
        for rid in recs:
            x = _resample(np.asarray(ds.signals[pos[rid]], float)[idx], fs_new, int(ds.fs))
            seen.clear()
            try:
                delineate(x.astype(np.float32), fs_new, leads, params=params)
            except Exception as exc:  # a failing record has no beats here
                log.warning("record %s: %s", rid, exc)
                continue
            v, r, t, fs = seen["views"], seen["r"], seen["t"], seen["fs"]
            # the delineator works at its internal rate (records below 500 Hz are
            # upsampled): the captured ends, and LUDB's marks here, are at that rate
            refs = reference_marks(ds.annotations[ds.annotations["record"] == rid],
                                   fs / float(ds.fs))
            fs_int = fs
            for i in range(len(leads)):
                waves[(int(rid), i)] = v.wave_band[i].astype(np.float32)
            nxt = np.append(r[1:], r[-1] + int(fs))
            # each lead's repolarisation noise and T-end timing uncertainty, as the
            # package computes them for t_consensus (Params.t_cons_end_sd_max_s)
            pp = params or Params()
            wn = repolarisation_noise(v.wave_band, r, fs, pp)
            sd = t_end_uncertainty(v.wave_slope, t["off"], wn, fs, pp)
            for b in range(r.size):
                row = {"rec": int(rid), "beat": b, "r": int(r[b]), "glob": seen["glob"][b]}
                for i, ld in enumerate(leads):
                    marks = refs.get(ld, {}).get("T_off", np.array([]))
                    m = marks[(marks > r[b]) & (marks < nxt[b])]
                    row.update({f"off{i}": t["off"][i, b], f"lobe{i}": bool(t["lobe"][i, b]),
                                f"snr{i}": t["snr"][i, b], f"noise{i}": wn[i],
                                f"sigma{i}": 1000.0 * sd[i, b],
                                f"mark{i}": m[0] if m.size else np.nan})
                rows.append(row)
    finally:
        S.t_stage, S.t_consensus = t_stage, t_consensus
    df = pd.DataFrame(rows)
    df["ref2"] = df[["mark0", "mark1"]].max(axis=1)
    df.attrs.update(fs=fs_int if rows else fs_new, leads=leads)
    return df, waves


def score(df: pd.DataFrame, g: np.ndarray, ref: str) -> tuple[float, float, float]:
    """Se, mean and SD (ms) of ``g`` against the marks in column ``ref``."""
    ms = 1000.0 / df.attrs["fs"]
    has = np.isfinite(df[ref].to_numpy())
    e = (np.asarray(g, float) - df[ref].to_numpy()) * ms
    ok = has & np.isfinite(e) & (np.abs(e) <= WINDOW_MS)
    return ok.sum() / max(has.sum(), 1), float(np.mean(e[ok])), float(np.std(e[ok], ddof=1))


def fmt(df, g) -> str:
    a, b = score(df, g, "mark0"), score(df, g, "ref2")
    return (f"vs first lead Se {a[0]:.3f} mean {a[1]:+.1f} SD {a[2]:.1f} | "
            f"vs two-lead ref Se {b[0]:.3f} mean {b[1]:+.1f} SD {b[2]:.1f}")


def lobe_rule(df: pd.DataFrame, ratio: float = 1.0) -> list[np.ndarray]:
    """Each lead's T end as it enters the consensus (``stages.t_consensus``): a terminal
    lobe is left out where the other lead shows a plain T higher above its noise."""
    out = []
    for i in (0, 1):
        j = 1 - i
        o = df[f"off{i}"].to_numpy(float).copy()
        plain = ~df[f"lobe{j}"].to_numpy() & np.isfinite(df[f"off{j}"].to_numpy())
        other = np.where(plain, df[f"snr{j}"].to_numpy(), -np.inf)
        o[df[f"lobe{i}"].to_numpy() & (other > ratio * df[f"snr{i}"].to_numpy())] = np.nan
        out.append(o)
    return out


def timing_rule(o0: np.ndarray, o1: np.ndarray, df: pd.DataFrame, max_ms: float) -> np.ndarray:
    """The global T end with ``Params.t_cons_end_sd_max_s = max_ms / 1000`` applied to the
    ends ``o0, o1`` (after the lobe rule): a T end timed more loosely than ``max_ms`` is
    left out where the other lead's end is timed within it (``stages.t_consensus``)."""
    s0, s1 = df["sigma0"].to_numpy(), df["sigma1"].to_numpy()
    a = np.where((s0 > max_ms) & np.isfinite(o1) & (s1 <= max_ms), np.nan, o0)
    b = np.where((s1 > max_ms) & np.isfinite(o0) & (s0 <= max_ms), np.nan, o1)
    return np.fmax(a, b)


def _later_earlier(o0, o1):
    later = np.where(o0 >= o1, 0, 1)
    return later, np.where(later == 0, o0, o1), np.where(later == 0, o1, o0)


def _pick(col0, col1, later):
    return np.where(later == 0, col0, col1), np.where(later == 0, col1, col0)


def support(df, waves, o0, o1, k):
    """True where the later lead's wave-band signal between the earlier and its own T end
    departs from its level at its end by more than ``k`` times its noise."""
    later, ol, oe = _later_earlier(o0, o1)
    out = np.ones(len(df), bool)
    for n, (rec, lat) in enumerate(zip(df["rec"].to_numpy(), later)):
        if not (np.isfinite(ol[n]) and np.isfinite(oe[n])) or ol[n] <= oe[n]:
            continue
        w = waves[(rec, lat)]
        seg = w[int(oe[n]):int(ol[n]) + 1] - w[int(ol[n])]
        out[n] = np.any(np.abs(seg) > k * df[f"noise{lat}"].iloc[n])
    return out


def variants(df: pd.DataFrame, waves: dict) -> list[tuple[str, np.ndarray]]:
    ms = 1000.0 / df.attrs["fs"]
    o0, o1 = lobe_rule(df)
    cur = np.fmax(o0, o1)
    both = np.isfinite(o0) & np.isfinite(o1)
    later, ol, oe = _later_earlier(o0, o1)
    s_l, s_e = _pick(df["sigma0"].to_numpy(), df["sigma1"].to_numpy(), later)
    q_l, q_e = _pick(df["snr0"].to_numpy(), df["snr1"].to_numpy(), later)
    out = []

    def earlier_where(mask):
        return np.where(both & (ol > oe) & mask, oe, cur)

    for c in (1.5, 2, 3, 4):
        out.append((f"later lead left out when its T-end uncertainty > {c:g} x the other's",
                    earlier_where(s_l > c * s_e)))
    for c in (0.25, 0.5):
        out.append((f"later lead left out when its T/noise < {c:g} x the other's",
                    earlier_where(q_l < c * q_e)))
    for k in (1, 2, 3, 5):
        out.append((f"later lead left out when not supported above {k} x its noise",
                    earlier_where(~support(df, waves, o0, o1, k))))
    rt = [pd.Series(o - df["r"].to_numpy()) for o in (o0, o1)]
    dev = [((x - x.groupby(df["rec"]).transform("median")) * ms).abs().to_numpy() for x in rt]
    for x_ms in (30, 40, 60):
        flag = [(dev[i] > x_ms) & (dev[1 - i] <= 20) for i in (0, 1)]
        f_l, _ = _pick(flag[0], flag[1], later)
        out.append((f"later lead left out when its RT departs > {x_ms} ms from its record "
                    f"median and the other's <= 20 ms", earlier_where(f_l)))
    comb = np.sqrt(df["sigma0"].to_numpy() ** 2 + df["sigma1"].to_numpy() ** 2)
    gap = np.abs(o0 - o1) * ms
    for k in (1, 2, 4):
        out.append((f"mean of the two where they agree within {k} x combined uncertainty",
                    np.where(both & (gap <= k * comb), (o0 + o1) / 2, cur)))
    out.append(("mean of the two (not the definition)", np.where(both, (o0 + o1) / 2, cur)))
    return out


def classify(df: pd.DataFrame) -> None:
    ms = 1000.0 / df.attrs["fs"]
    b = df[np.isfinite(df["off0"]) & np.isfinite(df["off1"]) & np.isfinite(df["glob"])
           & np.isfinite(df["ref2"])].copy()
    e = [(b[f"off{i}"] - b["ref2"]) * ms for i in (0, 1)]
    eg = (b["glob"] - b["ref2"]) * ms
    eo = np.where(e[0].abs() <= e[1].abs(), e[0], e[1])
    keep = (eg.abs() <= WINDOW_MS).to_numpy()
    b, eg, eo, e = b[keep], eg[keep], eo[keep], [x[keep] for x in e]
    excess = eg ** 2 - eo ** 2
    g_is = np.where(b["glob"] == b["off0"], 0, 1)
    left_out = (b["lobe0"] & (b["glob"] != b["off0"])) | (b["lobe1"] & (b["glob"] != b["off1"]))
    g_lobe = np.where(g_is == 0, b["lobe0"], b["lobe1"])
    q_g, q_o = _pick(b["snr0"].to_numpy(), b["snr1"].to_numpy(), g_is)
    s_g, s_o = _pick(b["sigma0"].to_numpy(), b["sigma1"].to_numpy(), g_is)
    cls = np.select([left_out, g_lobe, q_g < q_o / 2, s_g > 2 * s_o],
                    ["a terminal lobe was left out", "set by a terminal lobe",
                     "plain, T/noise < half the other's", "plain, T-end uncertainty > 2x the other's"],
                    "plain, comparable evidence")
    harm = (eg.abs() - np.abs(eo)).to_numpy() > HARM_MS
    t = pd.DataFrame({"class": cls, "harm": harm, "excess": excess.to_numpy(),
                      "rec": b["rec"].to_numpy()})
    print(f"\nbeats with a T end in both leads and a two-lead reference: {len(b)}; consensus SD "
          f"{eg.std(ddof=1):.1f}, closer lead (oracle) SD {np.std(eo, ddof=1):.1f}; consensus "
          f"> {HARM_MS:g} ms farther than the closer lead in {harm.sum()} beats")
    rows = []
    for c, g in t.groupby("class"):
        rows.append({"class": c, "beats": len(g), f"worse by > {HARM_MS:g} ms": int(g["harm"].sum()),
                     "share of excess sq. error": round(g["excess"].sum() / t["excess"].sum(), 2),
                     "records (worse beats)": ",".join(map(str, sorted(set(g.loc[g["harm"], "rec"]))))})
    print(pd.DataFrame(rows).to_string(index=False))
    by_rec = t.groupby("rec")["excess"].sum().sort_values(ascending=False)
    print("largest records (share of excess): " + ", ".join(
        f"{r} {v / t['excess'].sum():.2f}" for r, v in by_rec.head(6).items()))
    # weak later lead: is it usually right?
    later, ol, oe = _later_earlier(b["off0"].to_numpy(), b["off1"].to_numpy())
    e_l, e_e = _pick(e[0].to_numpy(), e[1].to_numpy(), later)
    q_l, q_e = _pick(b["snr0"].to_numpy(), b["snr1"].to_numpy(), later)
    s_l, s_e = _pick(b["sigma0"].to_numpy(), b["sigma1"].to_numpy(), later)
    lobe_l, _ = _pick(b["lobe0"].to_numpy(), b["lobe1"].to_numpy(), later)
    gap = (ol - oe) * ms
    for name, m in (("T/noise < half the other's", q_l < q_e / 2),
                    ("T-end uncertainty > 2x the other's", s_l > 2 * s_e)):
        m = m & (gap >= 20) & ~lobe_l
        print(f"later lead (no lobe, >= 20 ms after the other) whose {name}: {m.sum()} beats; "
              f"it is closer to the two-lead reference by > 20 ms in "
              f"{int(np.sum(np.abs(e_l[m]) + 20 < np.abs(e_e[m])))}, the earlier lead in "
              f"{int(np.sum(np.abs(e_e[m]) + 20 < np.abs(e_l[m])))}")


def _sim_lead(fs: float, t_amp: float, t_end_s: float, white_mv: float, slow_mv: float,
              seed: int, rr_s: float, n_beats: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Narrow QRS complexes and a ``sin^2`` T wave from R + 120 ms to exactly R +
    ``t_end_s``, white noise and 0.5-4 Hz noise; the signal and the true T ends."""
    from scipy.signal import butter, sosfiltfilt
    n = int(round((n_beats + 1) * rr_s * fs))
    t = np.arange(n, dtype=float)
    x = np.zeros(n)
    ends = []
    for k in range(n_beats):
        r = int(round((0.6 + k * rr_s) * fs))
        w = 0.010 * fs
        x += np.exp(-0.5 * ((t - r) / w) ** 2) - 0.2 * np.exp(-0.5 * ((t - r - 2.8 * w) / w) ** 2)
        a, b = r + int(round(0.12 * fs)), r + int(round(t_end_s * fs))
        x[a:b + 1] += t_amp * np.sin(np.pi * (t[a:b + 1] - a) / (b - a)) ** 2
        ends.append(b)
    rng = np.random.default_rng(seed)
    x += rng.normal(0.0, white_mv, n)
    if slow_mv > 0:
        slow = sosfiltfilt(butter(2, [0.5, 4.0], btype="band", fs=fs, output="sos"),
                           rng.normal(0.0, 1.0, n))
        x += slow / slow.std() * slow_mv
    return x.astype(np.float32), np.asarray(ends, float)


def simulated(fs: float, seeds: int = 5) -> None:
    """Exact truth: lead A a clean 0.4 mV T, lead B a 0.1 mV T on slow noise, both ending
    at the same sample (normal QT: R + 380 ms at RR 1 s; long QT: R + 560 ms at RR 1.2 s).
    Mean absolute error and beats > 40 ms from the truth of the global T end, with and
    without the timing rule; A alone and B alone for reference."""
    ms = 1000.0 / fs
    off = Params(t_cons_end_sd_max_s=0)
    print(f"\nsimulated, {fs:g} Hz, {seeds} seeds x 12 beats: global T end |error| mean (ms) / "
          "beats > 40 ms")
    for label, end_s, rr_s in (("normal QT", 0.38, 1.0), ("long QT", 0.56, 1.2)):
        for slow in (0.0, 0.02, 0.04, 0.06):
            err = {"A alone": [], "B alone": [], "A+B, rule off": [], "A+B, rule": []}
            for seed in range(1, seeds + 1):
                a, end = _sim_lead(fs, 0.4, end_s, 0.005, 0.0, 1, rr_s)
                b, _ = _sim_lead(fs, 0.1, end_s, 0.005, slow, seed + 10, rr_s)
                for name, x, leads, p in (("A alone", a[None], ["A"], None),
                                          ("B alone", b[None], ["B"], None),
                                          ("A+B, rule off", np.stack([a, b]), ["A", "B"], off),
                                          ("A+B, rule", np.stack([a, b]), ["A", "B"], None)):
                    df = delineate(x, fs, leads, params=p)
                    g = df.loc[df["lead"] == "global", "T_off"].to_numpy(float)
                    err[name].append(np.abs(g - end) * ms)
            cells = []
            for name, e in err.items():
                e = np.concatenate(e)
                ok = np.isfinite(e)
                cells.append(f"{name} {np.mean(e[ok]):5.1f} / {int(np.sum(e[ok] > 40)):2d} "
                             f"(n {int(ok.sum())})")
            print(f"  {label}, B's slow noise {slow:.2f} mV: " + " | ".join(cells))


def _sim_t_width(fs: float, n_leads: int, width_s: float, shape: str, white_mv: float,
                 seed: int, n_beats: int = 10, rr_s: float | None = None
                 ) -> tuple[np.ndarray, list[str], np.ndarray]:
    """``n_leads`` leads whose T waves all span R + 120 ms to exactly R + 120 ms +
    ``width_s`` (the global T end is that sample). ``shape``: ``"sym"`` a ``sin^2`` T
    (peak half way, returns over half its width), ``"asym"`` a T that rises over 65 % of
    its width and returns over 35 % (the usual shape: slow upstroke, faster downstroke).
    Each lead has its own T amplitude (0.08-0.45 mV, some inverted, as across a 12-lead
    ECG) and white noise ``white_mv``; RR grows with the QT (QTcF near 440-470 ms for the
    widths simulated) unless ``rr_s`` (s) is given."""
    names = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    amps = [0.25, 0.35, 0.12, -0.28, 0.08, 0.22, -0.10, 0.45, 0.40, 0.35, 0.30, 0.25]
    order = [1, 10] + [i for i in range(12) if i not in (1, 10)]   # II, V5 first
    qt_s = 0.12 + width_s
    if rr_s is None:
        rr_s = max(0.8, (qt_s / 0.46) ** 3)    # QT / RR^(1/3) = 0.46 s, RR >= 0.8 s
    n = int(round((n_beats + 1) * rr_s * fs))
    t = np.arange(n, dtype=float)
    rng = np.random.default_rng(seed)
    xs, ends = [], None
    for li in order[:n_leads]:
        x = np.zeros(n)
        e = []
        for k in range(n_beats):
            r = int(round((0.6 + k * rr_s) * fs))
            w = 0.010 * fs
            x += np.exp(-0.5 * ((t - r) / w) ** 2) - 0.2 * np.exp(-0.5 * ((t - r - 2.8 * w) / w) ** 2)
            a, b = r + int(round(0.12 * fs)), r + int(round(qt_s * fs))
            u = (t[a:b + 1] - a) / (b - a)
            if shape == "sym":
                y = np.sin(np.pi * u) ** 2
            else:
                pk = 0.65
                y = np.where(u < pk, np.sin(0.5 * np.pi * u / pk) ** 2,
                             np.cos(0.5 * np.pi * (u - pk) / (1 - pk)) ** 2)
            x[a:b + 1] += amps[li] * y
            e.append(b)
        xs.append(x + rng.normal(0.0, white_mv, n))
        ends = np.asarray(e, float)
    return np.stack(xs).astype(np.float32), [names[i] for i in order[:n_leads]], ends


def simulated_width(variants: list[tuple[str, Params | None]], seeds: int = 3) -> None:
    """Exact truth: the global T end's error (mean / RMS, ms) by T width, T shape, sampling
    rate, lead count and noise, for each Params variant, in the same run."""
    widths = (0.24, 0.30, 0.36, 0.42, 0.48)
    print(f"\nsimulated T width (T from R + 120 ms; QT = 120 ms + width), {seeds} seeds x 10 "
          "beats: global T end error mean / RMS (ms)")
    for fs in (250.0, 500.0):
        for n_leads in (1, 2, 12):
            for white in (0.01, 0.03):
                for shape in ("sym", "asym"):
                    cells = []
                    for w in widths:
                        per = []
                        for name, p in variants:
                            err = []
                            for seed in range(seeds):
                                x, leads, ends = _sim_t_width(fs, n_leads, w, shape, white, seed)
                                df = delineate(x, fs, leads, params=p)
                                g = df.loc[df["lead"] == "global", "T_off"].to_numpy(float)
                                m = min(g.size, ends.size)
                                err.append((g[:m] - ends[:m]) * 1000.0 / fs)
                            e = np.concatenate(err)
                            ok = np.isfinite(e)
                            per.append(f"{np.mean(e[ok]):+5.1f}/{np.sqrt(np.mean(e[ok] ** 2)):4.1f}"
                                       if ok.any() else "  --")
                        cells.append(f"{1000 * w:3.0f} ms " + " -> ".join(per))
                    print(f"  {fs:3.0f} Hz, {n_leads:2d} lead(s), noise {1000 * white:2.0f} uV, "
                          f"{shape:4s}: " + " | ".join(cells))
    print("  (each cell: " + " -> ".join(n for n, _ in variants) + ")")


def simulated_long_qt(variants: list[tuple[str, Params | None]], seeds: int = 2,
                      qts=(0.55, 0.60, 0.65, 0.70), bpms=(40, 55, 75)) -> None:
    """Exact truth, long QT: QT 550-700 ms (T from R + 120 ms) at 40-75 bpm (LQTS,
    drug-induced prolongation; a QTc above 500 ms marks high risk, Drew et al. 2010
    AHA/ACCF), asymmetric T, 250 / 500 Hz, 1 / 2 / 12 leads, 10 uV noise. Each cell: the
    global T end's error mean / RMS (ms) over the beats that report one, and the share of
    beats that report none (NaN: 'T end at the search stop' and the like), per variant."""
    print(f"\nsimulated long QT (asymmetric T from R + 120 ms), {seeds} seeds x 8 beats: "
          "global T end error mean / RMS (ms), [share of beats without a T end]")
    for fs in (250.0, 500.0):
        for n_leads in (1, 2, 12):
            for bpm in bpms:
                cells = []
                for qt in qts:
                    if qt > 60.0 / bpm - 0.12:
                        continue   # the T would run into the next QRS
                    per = []
                    for name, p in variants:
                        err, n_nan, n_all = [], 0, 0
                        for seed in range(seeds):
                            x, leads, ends = _sim_t_width(fs, n_leads, qt - 0.12, "asym", 0.01,
                                                          seed, n_beats=8, rr_s=60.0 / bpm)
                            df = delineate(x, fs, leads, params=p)
                            g = df.loc[df["lead"] == "global", "T_off"].to_numpy(float)
                            m = min(g.size, ends.size)
                            e = (g[:m] - ends[:m]) * 1000.0 / fs
                            err.append(e)
                            n_nan += int(np.sum(~np.isfinite(e)))
                            n_all += m
                        e = np.concatenate(err)
                        ok = np.isfinite(e)
                        per.append((f"{np.mean(e[ok]):+6.1f}/{np.sqrt(np.mean(e[ok] ** 2)):5.1f}"
                                    if ok.any() else "    --/  -- ")
                                   + f" [{n_nan / max(n_all, 1):4.2f}]")
                    cells.append(f"QT {1000 * qt:3.0f} " + " -> ".join(per))
                print(f"  {fs:3.0f} Hz, {n_leads:2d} lead(s), {bpm:3d} bpm: " + " | ".join(cells))
    print("  (each cell: " + " -> ".join(n for n, _ in variants) + ")")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--even", action="store_true", help="held-out even records (measure only)")
    ap.add_argument("--fs", type=int, default=250)
    ap.add_argument("--leadset", default="II+V5")
    ap.add_argument("--sim", action="store_true",
                    help="simulated leads with exact T ends only (the timing rule on and off)")
    ap.add_argument("--sim-width", action="store_true",
                    help="simulated T waves of several widths with exact ends: the global T "
                         "end error by width, fixed trapezium reference against the scaled one")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                    help="Params field for this run (repeatable), e.g. --param t_ref_width_k=0")
    ap.add_argument("--sim-long-qt", action="store_true",
                    help="simulated long QT (550-700 ms at 40-75 bpm): the global T end error "
                         "by QT, before / this run / with the open-T-end rule")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    params = _parse_params(a.param)
    if a.param:
        print("Params changed for this run: " + ", ".join(a.param))
    if a.sim_width:
        simulated_width([("fixed 90 ms reference", Params(t_ref_width_k=0)),
                         ("width-scaled" if params is None else "this run", params)])
        return
    if a.sim_long_qt:
        simulated_long_qt([("before (t_widen_halfwidth_s=0)", Params(t_widen_halfwidth_s=0)),
                           ("defaults" if params is None else "this run", params),
                           ("+ open-end rule (t_open_k=3)", Params(t_open_k=3.0))])
        return
    if a.sim:
        for fs in (250.0, 500.0):
            simulated(fs)
        return
    leads = a.leadset.split("+")
    if len(leads) != 2:
        raise SystemExit("--leadset needs two leads, e.g. II+V5")
    parity = "even" if a.even else "odd"
    df, waves = capture(parity, leads, a.fs, params)
    print(f"LUDB {parity} records, {a.fs} Hz, leads {a.leadset}: {df['rec'].nunique()} records, "
          f"{len(df)} beats (one figure per beat, detection within {WINDOW_MS:g} ms of the mark)")
    o0, o1 = lobe_rule(df)
    e_ref = [np.abs(df[f"off{i}"] - df["ref2"]) for i in (0, 1)]
    oracle = np.where(~np.isfinite(e_ref[1]) | (e_ref[0] <= e_ref[1]), df["off0"], df["off1"])
    for name, g in ((f"lead {leads[0]} alone", df["off0"]), (f"lead {leads[1]} alone", df["off1"]),
                    ("consensus (latest; lobe rule)", df["glob"]),
                    ("lead closer to the two-lead ref (oracle)", oracle)):
        print(f"  {name:45s} {fmt(df, g.to_numpy() if hasattr(g, 'to_numpy') else g)}")
    classify(df)
    print("\nrules on the captured ends (the package's consensus is the timing rule at 50 ms):")
    print(f"  {'latest; lobe rule (before the timing rule)':92s} {fmt(df, np.fmax(o0, o1))}")
    for x_ms in (30, 40, 45, 50, 60, 80, 120):
        print(f"  {f'... and a T end timed looser than {x_ms} ms left out beside a tighter one':92s} "
              f"{fmt(df, timing_rule(o0, o1, df, x_ms))}")
    for name, g in variants(df, waves):
        print(f"  {name:92s} {fmt(df, g)}")
    rng = np.random.default_rng(0)
    e = rng.normal(0.0, 1.0, (2, 200_000))
    orc = np.where(np.abs(e[0]) < np.abs(e[1]), e[0], e[1])
    print(f"\ntwo leads measuring one end with independent N(0, s) errors: the latest has SD "
          f"{e.max(0).std():.2f} s (mean {e.max(0).mean():+.2f} s), the closer of the two "
          f"(best-lead oracle) {orc.std():.2f} s")


if __name__ == "__main__":
    sys.exit(main())

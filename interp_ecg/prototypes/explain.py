"""Explanations of prototype networks: "this looks like that", Shapley values, gallery, distances.

* :func:`prototype_explanation` - for one record, the predicted statements and, for each, the
  prototypes that drove it (similarity, fusion weight, Shapley contribution), the matched
  window in the record and the prototype's source segment from training, drawn side by side
  by :meth:`PrototypeExplanation.plot`.
* :func:`fusion_shap` - exact Shapley values of the linear fusion layer over prototype
  similarities, as a ``shap.Explanation``. For a linear model ``f(s) = w . s + b`` with the
  interventional (independent-features) value function, ``phi_j = w_j (s_j - E[s_j])`` and
  the base value is ``f(E[s])``, with ``E`` the mean over the training set; values are on
  the logit scale, and ``base + sum(phi) = f(s)`` exactly.
* :func:`prototype_gallery` - every prototype of a class as its source segment.
* :func:`prototype_distances` / :func:`intra_class_distances` - cosine distances between
  prototypes in latent space (a large intra-class spread hints at a clinically mixed class).

Figures are returned, never shown.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch

from interp_ecg.errors import ConfigError, ModelError
from interp_ecg.io.leads import STANDARD_LEADS
from interp_ecg.prototypes.data import SOURCE_RECORD, source_label

DEFAULT_PLOT_LEADS = ("II", "V1", "V5")

logger = logging.getLogger(__name__)


def _record_input(clf, record: Any, fs: float | None) -> tuple[np.ndarray, str, int, float]:
    """One record -> network input ``(1, 12, n_samples)``, its id, its real samples and its duration (s).

    Accepts a :class:`~interp_ecg.io.Record`, an :class:`~interp_ecg.io.EcgDataset` holding
    exactly one record, or an array ``(12, n)`` / ``(1, 12, n)`` at ``fs`` (default ``clf.fs``).
    A record without the 12 standard leads raises :class:`~interp_ecg.errors.ConfigError`
    naming the record, its leads and the missing ones; a record shorter than the network input
    is logged and warned about (it is zero-padded; the explanation keeps to its real samples), as is
    one longer than the input (cut to its first ``n_samples``).
    """
    from interp_ecg.io.dataset import Record

    if hasattr(record, "meta") and hasattr(record, "load"):
        if len(record.meta) != 1:
            raise ConfigError(f"explain() takes one record; the dataset holds {len(record.meta)} "
                              "(pass dataset.subset([record_id]) or dataset.load(record_id))")
        record = record.load(record.meta.index[0])
    if isinstance(record, Record):
        arr, rid, fs = np.asarray(record.signal, dtype=np.float32)[None], str(record.id), float(record.fs)
        leads = [str(ld) for ld in (record.leads or [])]
        if arr.shape[1] != len(STANDARD_LEADS) or leads[:len(STANDARD_LEADS)] != list(STANDARD_LEADS):
            missing = [ld for ld in STANDARD_LEADS if ld not in leads]
            raise ConfigError(
                f"record {rid}: the prototype network needs the 12 standard leads ({', '.join(STANDARD_LEADS)}) "
                f"in this order; this record has {arr.shape[1]} channels ({', '.join(leads) or 'no lead names'})"
                + (f"; missing {', '.join(missing)}" if missing else ""),
                source=record.source or rid)
    else:
        try:
            arr = np.asarray(record, dtype=np.float32)
        except (TypeError, ValueError) as err:
            raise ConfigError(f"explain() takes a Record, a one-record EcgDataset or an array (12, n_samples); "
                              f"got {type(record).__name__}: {err}") from None
        if arr.ndim == 3 and arr.shape[0] == 1:
            arr = arr[0]
        if arr.ndim != 2:
            raise ConfigError(f"explain() takes one record (12, n_samples) or a Record, got shape {arr.shape}")
        if arr.shape[0] != len(STANDARD_LEADS):
            raise ConfigError(f"explain() needs the 12 standard leads ({', '.join(STANDARD_LEADS)}) as the rows "
                              f"of the array; it has {arr.shape[0]} rows (shape {arr.shape})")
        arr, rid = arr[None], "record"
    x, _, ok, lengths, durations = clf.network_input(arr, fs, return_lengths=True, return_durations=True)
    if not ok.all():
        from interp_ecg.prototypes.data import bridge_invalid_samples

        why = bridge_invalid_samples(arr[0], float(fs or clf.fs))[2]
        raise ModelError(f"record {rid} cannot be explained: {why or 'it holds invalid (NaN/inf) samples'}",
                         source=rid)
    length, duration = int(lengths[0]), float(durations[0])
    assumed = f" (array read at the model's fs = {clf.fs:g} Hz: no fs= was given)" if fs is None else ""
    if duration * clf.fs > x.shape[-1] + 0.5:
        msg = (f"record {rid}{assumed}: {duration:.2f} s, longer than the network input of "
               f"{x.shape[-1] / clf.fs:.2f} s; only its first {x.shape[-1] / clf.fs:.2f} s are scored and explained")
        logger.warning(msg)
        warnings.warn(msg, UserWarning, stacklevel=3)
    if length < x.shape[-1]:
        msg = (f"record {rid}{assumed}: {length / clf.fs:.2f} s, shorter than the network input of "
               f"{x.shape[-1] / clf.fs:.2f} s; it is zero-padded at the end, the probabilities are those of the "
               "padded input, and matched windows are kept inside the record's real samples (prototypes whose "
               "window does not fit are reported as not matchable)")
        logger.warning(msg)
        warnings.warn(msg, UserWarning, stacklevel=3)
    return x, rid, length, duration


@torch.no_grad()
def matched_windows(clf, x: np.ndarray, length: int | None = None) -> pd.DataFrame:
    """Best-matching window of every prototype in one record.

    Only windows whose footprint lies wholly inside the record's real samples are considered, as
    in the push (:func:`interp_ecg.prototypes.push.real_columns`), so the window shown is the one
    matched, has the prototype's length (``width * time_stride`` samples) and holds no padding.

    Parameters
    ----------
    clf : ProtoECGNetClassifier
    x : numpy.ndarray
        Network input ``(1, 12, n_samples)``.
    length : int, optional
        Real samples of the record (the rest of ``x`` is zero padding); default all of ``x``.

    Returns
    -------
    pandas.DataFrame
        Indexed by prototype: ``similarity`` (of the best window inside the real samples),
        ``leads``, ``start_sample``, ``end_sample`` (in the record at ``clf.fs``; ``<NA>`` when not
        matchable), ``matchable`` (bool) and ``reason`` (why not; empty when matchable). A global
        prototype compares the whole input, so it is not matchable on a padded record; a partial
        one is not matchable when the record is shorter than its window.
    """
    from interp_ecg.prototypes.training import torch_threads

    with torch_threads(getattr(clf, "n_threads", None)):
        return _matched_windows(clf, x, length)


def _matched_windows(clf, x: np.ndarray, length: int | None = None) -> pd.DataFrame:
    from interp_ecg.prototypes.push import inside_columns, real_columns, window_leads, window_span

    model = clf.model_.eval()
    dev = next(model.parameters()).device
    xt = torch.as_tensor(x).to(dev)
    rows = []
    names = iter(clf.feature_names_out_)
    n_samples = x.shape[-1]
    length = n_samples if length is None else min(int(length), n_samples)
    fs = float(getattr(clf, "fs", 100.0))
    for branch in model.branches.values():
        z = branch.embed(xt).float()
        sim = branch.prototype_layer.similarity_map(z)[0]  # (P, H', W')
        _, ph, pw = branch.prototype_shape
        hh, ww = sim.shape[-2:]
        cols = inside_columns(branch.feature_shape[2], pw, branch.time_stride, n_samples)
        if not cols.any():
            raise ModelError(f"no prototype window of {pw * branch.time_stride} samples lies inside a record of "
                             f"{n_samples} samples")
        real = cols & real_columns(branch.feature_shape[2], pw, branch.time_stride, n_samples, length)
        is_global = pw >= branch.feature_shape[2]
        if not real.any():
            need = n_samples if is_global else pw * branch.time_stride
            reason = (f"the prototype compares the whole {n_samples / fs:.2f}-s input and the record has "
                      f"{length / fs:.2f} s (the rest is zero padding)" if is_global else
                      f"no window of {need / fs:.2f} s lies inside the record's {length / fs:.2f} s of real samples")
            for _ in range(sim.shape[0]):
                rows.append({"prototype": next(names), "similarity": np.nan, "leads": "",
                             "start_sample": pd.NA, "end_sample": pd.NA, "matchable": False, "reason": reason})
            continue
        inside = torch.as_tensor(np.tile(real, hh), device=sim.device)
        flat = sim.flatten(1).masked_fill(~inside[None, :], -float("inf"))
        best, loc = flat.max(dim=1)
        for p in range(sim.shape[0]):
            row, col = divmod(int(loc[p]), ww)
            s0, s1 = window_span(col, pw, branch.time_stride, branch.feature_shape[2], n_samples)
            rows.append({"prototype": next(names), "similarity": float(best[p]),
                         "leads": ",".join(window_leads(z.shape[2], row, ph, STANDARD_LEADS)),
                         "start_sample": s0, "end_sample": s1, "matchable": True, "reason": ""})
    out = pd.DataFrame(rows).set_index("prototype")
    return out.astype({"start_sample": "Int64", "end_sample": "Int64", "matchable": bool})


def fusion_shap(clf, X: Any, output: str | None = None, fs: float | None = None):
    """Exact Shapley values of the fusion layer over prototype similarities.

    Parameters
    ----------
    clf : ProtoECGNetClassifier
        Fitted.
    X : EcgDataset or array
        Records to explain.
    output : str, optional
        One class; without it, values for every class ``(n, n_prototypes, n_classes)``.
    fs : float, optional
        Sampling rate of an array input.

    Returns
    -------
    shap.Explanation
        ``values`` (logit scale), ``base_values`` = fusion output at the mean training
        similarities, ``data`` = similarities, ``feature_names`` = prototype names.
    """
    clf.check_fitted()
    sims = clf.transform(X, fs) if not isinstance(X, pd.DataFrame) else X[clf.feature_names_out_]
    return _shap_from_similarities(clf, sims, output)


def _shap_from_similarities(clf, sims: pd.DataFrame, output: str | None = None):
    import shap

    s = sims.to_numpy(dtype=np.float64)
    w, b = clf.fusion_weights()  # (K, P), (K,): rows in classes_ order
    mu = clf.similarity_mean_.to_numpy(dtype=np.float64)
    base = w @ mu + b  # (K,)
    delta = s - mu  # (n, P)
    names = list(clf.feature_names_out_)
    if output is not None:
        if output not in clf.classes_:
            raise ConfigError(f"unknown output {output!r}; classes are {clf.classes_}")
        k = clf.classes_.index(output)
        return shap.Explanation(values=delta * w[k], base_values=np.full(len(s), base[k]), data=s,
                                feature_names=names, output_names=output)
    values = delta[:, :, None] * w.T[None, :, :]  # (n, P, K)
    return shap.Explanation(values=values, base_values=np.tile(base, (len(s), 1)), data=s, feature_names=names,
                            output_names=list(clf.classes_))


@dataclass
class PrototypeExplanation:
    """Why one record got its predictions, prototype by prototype.

    Attributes
    ----------
    record_id : str
    signal : numpy.ndarray
        The network input ``(12, n)`` (filtered, at ``fs``), cut to the record's real samples (a
        record shorter than the input is zero-padded for the network; the padding is not kept).
    fs : float
    probabilities : pandas.Series
        Per class.
    predicted : list of str
        Classes at or above the threshold (the top class when none is, flagged in ``note``).
    contributions : pandas.DataFrame
        One row per (statement, prototype) among the top drivers: ``statement, prototype,
        prototype_class, branch, backbone, similarity, window_similarity, weight, shapley, leads, start_sample,
        end_sample, matchable, window_note, source_record, source_kind, source_leads, source_start,
        source_end``; ``similarity`` is the record's pooled similarity (the mean over all its
        windows, what the fusion layer reads), ``window_similarity`` that of the matched window
        (``start_sample``-``end_sample``) alone; ``source_kind`` says whether ``source_record``
        is a record id (``"record_id"``)
        or a row number of the array the model was fitted on (``"array_row"``);
        per statement, largest Shapley value first. ``shapley`` is on the network's raw logit
        scale (:func:`fusion_shap`); after ``calibrate()`` the probabilities shown beside it are
        Platt-scaled, so a Shapley value ``phi`` moves the calibrated logit by ``slope * phi``
        (``calibration_["slope"]``), not by ``phi``. ``start_sample`` / ``end_sample`` are ``<NA>``
        and ``matchable`` False, with the reason in ``window_note``, for a prototype whose window
        does not fit in the record's real samples (a record shorter than the network input);
        ``similarity`` and ``shapley`` are then those of the padded input the network read.
    shap : shap.Explanation
        Shapley values of every prototype for every class for this record.
    note : str
    """

    record_id: str
    signal: np.ndarray
    fs: float
    probabilities: pd.Series
    predicted: list[str]
    contributions: pd.DataFrame
    shap: Any
    segments: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    note: str = ""

    def _repr_html_(self) -> str:
        head = f"<p><b>record {self.record_id}</b>: predicted {', '.join(self.predicted) or '-'} {self.note}</p>"
        return head + self.contributions._repr_html_()

    def plot(self, leads: Sequence[str] = DEFAULT_PLOT_LEADS, max_rows: int = 6, fig: Any = None):
        """Matched window of the record (left) beside the prototype's source segment (right).

        Parameters
        ----------
        leads : sequence of str
            Leads drawn (those of the prototype's window only).
        max_rows : int
            At most this many (statement, prototype) rows.
        fig : matplotlib.figure.Figure, optional

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        rows = self.contributions.head(max_rows)
        n = max(len(rows), 1)
        if fig is None:
            fig = plt.figure(figsize=(10, 2.2 * n))
        axes = fig.subplots(n, 2, squeeze=False)
        if rows.empty:
            axes[0, 0].text(0.5, 0.5, "no prototype contributions", ha="center", va="center")
        for i, (_, r) in enumerate(rows.iterrows()):
            if not bool(r.get("matchable", True)):
                axes[i, 0].text(0.5, 0.5, f"no matched window: {r['window_note']}", ha="center", va="center",
                                fontsize=7, wrap=True)
                axes[i, 0].set_axis_off()
                axes[i, 0].set_title(f"{r['statement']} (p={self.probabilities[r['statement']]:.2f}): record "
                                     f"{self.record_id}", fontsize=8)
                win_leads = [ld for ld in str(r["source_leads"]).split(",") if ld]
            else:
                win_leads = r["leads"].split(",")
            shown = [ld for ld in leads if ld in win_leads] or win_leads[:1]
            if r.get("backbone") == "1d":
                shown = shown[:1]  # rhythm: one representative lead (no inter-lead relations)
            if bool(r.get("matchable", True)):
                idx = [STANDARD_LEADS.index(ld) for ld in shown]
                seg = self.signal[idx, int(r["start_sample"]):int(r["end_sample"])]
                _draw(axes[i, 0], seg, self.fs, int(r["start_sample"]), shown)
                axes[i, 0].set_title(
                    f"{r['statement']} (p={self.probabilities[r['statement']]:.2f}): record {self.record_id}, "
                    f"{r['start_sample'] / self.fs:.1f}-{r['end_sample'] / self.fs:.1f} s", fontsize=8)
            src = self.segments.get(r["prototype"])
            src_leads = str(r["source_leads"]).split(",")
            if src is not None:
                sidx = [src_leads.index(ld) for ld in shown if ld in src_leads] or [0]
                _draw(axes[i, 1], src[sidx], self.fs, int(r["source_start"]),
                      [src_leads[j] for j in sidx])
            axes[i, 1].set_title(
                f"looks like {r['prototype']} (sim {r['similarity']:.2f}, shap {r['shapley']:+.2f}): "
                f"train {source_label(r['source_record'], r.get('source_kind', SOURCE_RECORD))}", fontsize=8)
        fig.tight_layout()
        return fig


def _draw(ax, seg: np.ndarray, fs: float, start: int, names: Sequence[str]) -> None:
    t = (start + np.arange(seg.shape[-1])) / fs
    offset = 0.0
    for k in range(seg.shape[0]):
        ax.plot(t, seg[k] - offset, lw=0.8, color="k")
        ax.text(t[0] if len(t) else 0, -offset, names[k], fontsize=7, color="tab:red", va="bottom")
        span = float(np.ptp(seg[k])) if seg.shape[-1] else 1.0
        offset += max(span, 0.5) * 1.1
    ax.set_xlabel("s", fontsize=7)
    ax.set_yticks([])
    ax.tick_params(labelsize=7)


def prototype_explanation(clf, record: Any, fs: float | None = None, threshold: float = 0.5,
                   prototypes_per_statement: int = 3, max_statements: int = 5) -> PrototypeExplanation:
    """"This looks like that" for one record: predicted statements and the prototypes that drove each.

    (Named after what it returns, as :func:`interp_ecg.explain.shap_explanation` is; the
    feature-model explanation of one record is :func:`interp_ecg.explain.explain_record`.)

    Parameters
    ----------
    clf : ProtoECGNetClassifier
        Fitted.
    record : Record, EcgDataset or numpy.ndarray
        A :class:`~interp_ecg.io.Record` (resampled to ``clf.fs``), a dataset of exactly one
        record, or an array ``(12, n_samples)`` at ``fs`` (default ``clf.fs``).
    fs : float, optional
    threshold : float
        Output of ``predict_proba`` at which a statement counts as predicted (a weighted-loss
        score unless ``clf.calibrate`` was called; see ``clf.probabilities_calibrated_``).
    prototypes_per_statement : int
        Prototypes listed per statement (largest positive Shapley values first).
    max_statements : int

    Returns
    -------
    PrototypeExplanation
    """
    clf.check_fitted()
    x, rid, length, duration = _record_input(clf, record, fs)
    logits, sims = clf.logits_and_similarities(x)
    # the outputs of predict_proba: calibrated after clf.calibrate(), else weighted-loss scores
    probs = pd.Series(clf.probability_from_logits(logits)[0], index=clf.classes_, name="probability")
    predicted = [c for c in probs.sort_values(ascending=False).index if probs[c] >= threshold][:max_statements]
    note = ""
    if not predicted:
        predicted = [str(probs.idxmax())]
        note = f"(no statement reaches p >= {threshold}; showing the top-scoring one)"
    sims_df = pd.DataFrame(sims, index=[rid], columns=clf.feature_names_out_)
    expl = _shap_from_similarities(clf, sims_df)
    windows = matched_windows(clf, x, length)
    w = clf.fusion_weights()[0]
    src = clf.prototype_sources_
    rows = []
    for cls in predicted:
        k = clf.classes_.index(cls)
        phi = pd.Series(expl.values[0, :, k], index=clf.feature_names_out_)
        for name in phi.sort_values(ascending=False).index[:prototypes_per_statement]:
            j = clf.feature_names_out_.index(name)
            rows.append({
                "statement": cls, "prototype": name, "prototype_class": src.loc[name, "class"],
                "branch": src.loc[name, "branch"], "backbone": clf.branches_.loc[src.loc[name, "branch"], "backbone"],
                "similarity": float(sims[0, j]), "window_similarity": float(windows.loc[name, "similarity"]),
                "weight": float(w[k, j]), "shapley": float(phi[name]),
                "leads": windows.loc[name, "leads"], "start_sample": windows.loc[name, "start_sample"],
                "end_sample": windows.loc[name, "end_sample"], "matchable": bool(windows.loc[name, "matchable"]),
                "window_note": windows.loc[name, "reason"], "source_record": src.loc[name, "record_id"],
                "source_kind": src.loc[name, "source_kind"] if "source_kind" in src.columns else SOURCE_RECORD,
                "source_leads": src.loc[name, "leads"], "source_start": int(src.loc[name, "start_sample"]),
                "source_end": int(src.loc[name, "end_sample"]),
            })
    contrib = pd.DataFrame(rows)
    if len(contrib):
        contrib = contrib.astype({"start_sample": "Int64", "end_sample": "Int64"})
    single = expl[0]
    if length < x.shape[-1]:
        pad = (f"(record of {length / clf.fs:.2f} s zero-padded to {x.shape[-1] / clf.fs:.2f} s: probabilities are "
               "those of the padded input; windows are kept inside the real samples)")
        note = f"{note} {pad}".strip()
    if duration * clf.fs > x.shape[-1] + 0.5:
        cut = (f"(record of {duration:.2f} s cut to its first {x.shape[-1] / clf.fs:.2f} s, the network input: "
               "probabilities and windows are those of that part only)")
        note = f"{note} {cut}".strip()
    return PrototypeExplanation(rid, x[0, :, :length], float(clf.fs), probs, predicted, contrib, single,
                                segments=clf.prototype_segments_, note=note)


def prototype_gallery(clf, cls: str, leads: Sequence[str] = DEFAULT_PLOT_LEADS, fig: Any = None):
    """Every prototype of one class drawn as its source segment.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    clf.check_fitted()
    src = clf.prototype_sources_
    protos = src.index[src["class"] == cls]
    if len(protos) == 0:
        raise ConfigError(f"no prototypes for class {cls!r}; classes are {clf.classes_}")
    n = len(protos)
    ncol = min(n, 3)
    nrow = int(np.ceil(n / ncol))
    if fig is None:
        fig = plt.figure(figsize=(3.6 * ncol, 2.4 * nrow))
    axes = fig.subplots(nrow, ncol, squeeze=False).ravel()
    for ax, name in zip(axes, protos):
        r = src.loc[name]
        src_leads = str(r["leads"]).split(",")
        idx = [src_leads.index(ld) for ld in leads if ld in src_leads] or [0]
        _draw(ax, clf.prototype_segments_[name][idx], clf.fs, int(r["start_sample"]), [src_leads[i] for i in idx])
        ax.set_title(f"{name}: {source_label(r['record_id'], r.get('source_kind', SOURCE_RECORD))}, "
                     f"{r['start_sample'] / clf.fs:.1f}-"
                     f"{r['end_sample'] / clf.fs:.1f} s", fontsize=8)
    for ax in axes[n:]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def prototype_distances(clf, cls: str | None = None) -> pd.DataFrame:
    """Cosine distances ``1 - cos`` between prototypes (in one branch's latent space).

    Parameters
    ----------
    cls : str, optional
        Restrict to the prototypes of one class; otherwise all prototypes of each branch
        (pairs across branches are NaN: different latent spaces).
    """
    clf.check_fitted()
    names = list(clf.feature_names_out_)
    out = pd.DataFrame(np.nan, index=names, columns=names)
    pos = 0
    for branch in clf.model_.branches.values():
        p = branch.prototype_layer.normalised().detach().cpu().double().numpy()
        bn = names[pos:pos + len(p)]
        out.loc[bn, bn] = 1 - p @ p.T
        pos += len(p)
    if cls is not None:
        sel = list(clf.prototype_sources_.index[clf.prototype_sources_["class"] == cls])
        if not sel:
            raise ConfigError(f"no prototypes for class {cls!r}")
        out = out.loc[sel, sel]
    return out.clip(lower=0)


def intra_class_distances(clf) -> pd.DataFrame:
    """Spread of each class's prototypes: mean / min / max pairwise cosine distance.

    Returns
    -------
    pandas.DataFrame
        Indexed by class: ``branch, n_prototypes, mean_distance, min_distance, max_distance``
        (NaN with one prototype per class).
    """
    dist = prototype_distances(clf)
    src = clf.prototype_sources_
    rows = []
    for cls in clf.classes_:
        sel = list(src.index[src["class"] == cls])
        d = dist.loc[sel, sel].to_numpy()
        iu = np.triu_indices(len(sel), 1)
        vals = d[iu]
        rows.append({"class": cls, "branch": src.loc[sel[0], "branch"], "n_prototypes": len(sel),
                     "mean_distance": float(vals.mean()) if vals.size else np.nan,
                     "min_distance": float(vals.min()) if vals.size else np.nan,
                     "max_distance": float(vals.max()) if vals.size else np.nan})
    return pd.DataFrame(rows).set_index("class")

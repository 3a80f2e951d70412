"""Push: project every prototype onto its nearest real training patch.

After the push each prototype *is* the embedding of one window of one training ECG, so
"this looks like that" points at a real segment. For a prototype of class ``c`` the search
runs over the training records labelled ``c`` (over all records when ``c`` has none, which
is logged) and picks the window of highest similarity (the one the model uses); the prototype is overwritten
with that window's feature-map patch, and its source (record id, leads, time window in
input samples at the network's rate) is recorded.

The prototypes of one class are pushed onto *different* records where the class has enough
records (each takes its most similar record not yet taken by a sibling, most confident
first), so a class's prototypes show distinct cases rather than one patch several times.

The time window is the patch's footprint on the input grid (:func:`window_span`): feature step
``j`` of the backbones is centred on input sample ``j * time_stride`` (every strided convolution
and the max-pool are centred by their padding), so a patch of ``width`` steps from step ``col``
covers ``col * time_stride - time_stride // 2`` to that plus ``width * time_stride`` samples
(``width * time_stride / fs`` seconds: 0.96 s for 3 steps of 32 samples at 100 Hz); global and
time-pooled prototypes cover the whole record. The receptive field of the backbone reaches
beyond the footprint. Only patches whose footprint lies wholly inside the record are push
candidates (:func:`inside_columns`): a patch at the record's edge is partly computed from the
convolutions' zero padding and its footprint would be clipped, so the segment shown would not
be the one the prototype matched. A record shorter than the network input is zero-padded at the
end; with its real length given (``lengths``), only windows inside its real samples are candidates
(:func:`real_columns`), so no source lies in the padding, and a global prototype is pushed only onto
records that fill the whole input. A prototype with no candidate window at all is refused
(:class:`~interp_ecg.errors.ModelError`) rather than pushed onto padding. The 2D backbones merge
the 12 leads in their first convolution, so every prototype's source spans all leads.

Examples
--------
>>> from interp_ecg.prototypes.push import push_prototypes
>>> import torch
>>> from interp_ecg.prototypes.model import BranchSpec, ProtoECGNet
>>> net = ProtoECGNet([BranchSpec("morphology", ["A", "B"], "2d", "partial", 2)], width=4, blocks=(1, 1, 1, 1))
>>> x = torch.randn(6, 12, 1000)
>>> y = torch.tensor([[1, 0], [0, 1]] * 3, dtype=torch.float32)
>>> result = push_prototypes(net, x, y, [f"r{i}" for i in range(6)])
>>> len(result.sources), result.sources[0]["start_sample"] >= 0, result.sources[0]["end_sample"] <= 1000
(4, True, True)
>>> round(result.sources[0]["similarity"] / net.branches["morphology"].prototype_layer.scale, 3)   # its own source
1.0
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from interp_ecg.errors import ModelError
from interp_ecg.io.leads import STANDARD_LEADS
from interp_ecg.prototypes.model import ProtoECGNet, proto_name

logger = logging.getLogger(__name__)


@dataclass
class PushResult:
    """Sources of the pushed prototypes.

    Attributes
    ----------
    sources : list of dict
        One per prototype: ``prototype, class, branch, record_id, record_index, leads,
        start_sample, end_sample, similarity, similarity_before_push, best_training_record,
        best_training_similarity``. ``similarity`` is the pushed prototype's similarity to its own
        source window; another training window can match it a little better (the last two
        fields; see :func:`push_prototypes`).
    segments : dict
        ``prototype -> float32 (n_leads, window)`` input signal of the source window.
    """

    sources: list[dict] = field(default_factory=list)
    segments: dict[str, np.ndarray] = field(default_factory=dict)


def window_leads(n_rows: int, row: int, height: int, lead_names: Sequence[str]) -> list[str]:
    """Lead names covered by a patch of ``height`` rows from ``row`` (all leads for 1D maps)."""
    if n_rows == len(lead_names):
        return list(lead_names[row:row + height])
    return list(lead_names)


def window_span(col: int, width: int, stride: int, n_cols: int, n_samples: int) -> tuple[int, int]:
    """Input samples ``[start, end)`` covered by a patch of ``width`` feature steps from step ``col``.

    Parameters
    ----------
    col : int
        First feature step of the patch.
    width : int
        Patch width in feature steps.
    stride : int
        Input samples per feature step (``time_stride`` of the backbone, even).
    n_cols : int
        Feature steps of the whole map; a patch as wide as the map is global.
    n_samples : int
        Samples of the network input.

    Returns
    -------
    (int, int)
        ``(0, n_samples)`` for a global patch; otherwise the ``width * stride`` samples centred on
        the patch's receptive-field centres, ``col * stride - stride // 2`` to
        ``(col + width) * stride - stride // 2``. The span may run off the record
        (negative start, end past ``n_samples``); :func:`inside_columns` says where it does not.

    Examples
    --------
    >>> from interp_ecg.prototypes.push import window_span
    >>> window_span(5, 3, 32, 32, 1000)
    (144, 240)
    >>> window_span(0, 32, 32, 32, 1000)
    (0, 1000)
    """
    if width >= n_cols:
        return 0, int(n_samples)
    start = int(col) * int(stride) - int(stride) // 2
    return start, start + int(width) * int(stride)


def inside_columns(n_cols: int, width: int, stride: int, n_samples: int) -> np.ndarray:
    """Which patch positions have a footprint wholly inside the record.

    Parameters
    ----------
    n_cols, width, stride, n_samples : int
        As in :func:`window_span`.

    Returns
    -------
    numpy.ndarray of bool
        ``(n_cols - width + 1,)``; all True for a global patch.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.prototypes.push import inside_columns
    >>> m = inside_columns(32, 3, 32, 1000)   # 1,000 samples at stride 32
    >>> int(m.sum()), int(np.flatnonzero(m)[0]), int(np.flatnonzero(m)[-1])
    (28, 1, 28)
    """
    out = np.zeros(max(int(n_cols) - int(width) + 1, 0), dtype=bool)
    for col in range(len(out)):
        s0, s1 = window_span(col, width, stride, n_cols, n_samples)
        out[col] = s0 >= 0 and s1 <= n_samples
    return out


def real_columns(n_cols: int, width: int, stride: int, n_samples: int, length: int | None = None) -> np.ndarray:
    """Patch positions whose footprint lies wholly inside the record's real samples.

    Parameters
    ----------
    n_cols, width, stride, n_samples : int
        As in :func:`window_span` (``n_samples``: the network input, padding included).
    length : int, optional
        Real samples of the record (the rest of the input is zero padding); default ``n_samples``.

    Returns
    -------
    numpy.ndarray of bool
        ``(n_cols - width + 1,)``; equal to :func:`inside_columns` for a full-length record. A global
        patch (the whole input) fits only a record that fills the input.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.prototypes.push import real_columns, window_span
    >>> m = real_columns(32, 3, 32, 1000, length=400)   # a 4-s record in a 10-s input at 100 Hz
    >>> int(np.flatnonzero(m)[-1]), window_span(int(np.flatnonzero(m)[-1]), 3, 32, 32, 1000)
    (10, (304, 400))
    >>> bool(real_columns(32, 32, 32, 1000, length=400).any())
    False
    """
    limit = int(n_samples) if length is None else min(int(length), int(n_samples))
    out = np.zeros(max(int(n_cols) - int(width) + 1, 0), dtype=bool)
    for col in range(len(out)):
        s0, s1 = window_span(col, width, stride, n_cols, n_samples)
        out[col] = s0 >= 0 and s1 <= limit
    return out


@torch.no_grad()
def push_prototypes(model: ProtoECGNet, x: torch.Tensor, y: torch.Tensor, record_ids: Sequence,
                    batch_size: int = 64, device: torch.device | str = "cpu",
                    lead_names: Sequence[str] = STANDARD_LEADS, lengths: Sequence[int] | None = None) -> PushResult:
    """Replace each prototype by its most similar training patch (in place).

    Parameters
    ----------
    model : ProtoECGNet
        Put in eval mode for the search (batch-norm running statistics).
    x : torch.Tensor
        Training inputs ``(N, leads, T)`` on the CPU.
    y : torch.Tensor
        Multi-hot labels ``(N, K)`` over ``model.classes``.
    record_ids : sequence
        Ids of the rows of ``x``.
    batch_size : int
    device : torch.device or str
    lead_names : sequence of str
    lengths : sequence of int, optional
        Real samples of every row of ``x`` (the rest is zero padding; default: all of it). Only
        windows inside the real samples are push candidates.

    Returns
    -------
    PushResult
        Every source window lies inside its record's real samples and spans ``width * time_stride``
        samples (the whole input for global prototypes). ``similarity`` is the similarity of the
        pushed prototype to its own source window (the model's similarity function, after the
        push); ``similarity_before_push`` that of the prototype before it was overwritten. The
        scaled cosine adds 1e-4 to the squared norms (as ProtoECGNet), so an exact copy scores
        slightly below the scale and a window of larger norm in nearly the same direction can
        score higher: ``best_training_record`` / ``best_training_similarity`` name the training
        record (any class) with the most similar window inside its real samples after the push.

    Raises
    ------
    ModelError
        When no patch position of a branch lies inside the input (records too short for its
        partial prototypes), or a prototype has no candidate window inside the real samples of
        the records it may be pushed onto (e.g. a global prototype whose class has no record
        that fills the input).
    """
    model.eval()
    device = torch.device(device)
    y = y.float()
    n_samples = x.shape[-1]
    lengths_np = np.full(len(x), n_samples, dtype=np.int64) if lengths is None else \
        np.minimum(np.asarray(lengths, dtype=np.int64), n_samples)
    if len(lengths_np) != len(x):
        raise ModelError(f"{len(lengths_np)} record lengths for {len(x)} records")
    result = PushResult()
    slices = model.class_slices()
    for name, branch in model.branches.items():
        layer = branch.prototype_layer
        protos = layer.prototypes.detach().to(device)
        p_count, c, ph, pw = protos.shape
        m = branch.spec.prototypes_per_class
        proto_cls = torch.arange(p_count, device=device) // m
        yb = y[:, slices[name]].to(device)
        has_pos = (yb > 0).sum(0) > 0  # (an unknown label, NaN, is not a positive)
        n_cand = min(len(x), 2 * m + 2)  # best windows of the n_cand most similar records
        cand_val = torch.full((p_count, 0), -float("inf"), device=device)
        cand_idx = torch.zeros((p_count, 0), dtype=torch.long, device=device)  # record * n_windows + window
        h_out = ww = None
        inside = None
        for start in range(0, len(x), batch_size):
            xb = x[start:start + batch_size].to(device)
            z = branch.embed(xb).float()
            sim = layer.similarity_map(z)  # (B, P, H', W'), the similarity the model uses
            _, _, hh, ww = sim.shape
            h_out = z.shape[2]
            # only records of the prototype's class are candidates (all, when it has none)
            allowed = yb[start:start + batch_size][:, proto_cls] > 0  # (B, P)
            allowed = allowed | ~has_pos[proto_cls][None, :]
            if inside is None:
                inside = _inside_mask(hh, ww, branch, pw, n_samples, name, device)
            real = _real_mask(lengths_np[start:start + len(xb)], hh, ww, branch, pw, n_samples, device)
            flat = sim.flatten(2).masked_fill(~allowed[:, :, None] | ~(inside[None, :] & real)[:, None, :],
                                              -float("inf"))
            per_rec, loc = flat.max(dim=2)  # (B, P): best window of each record
            rec = torch.arange(start, start + len(xb), device=device)[:, None]
            cand_val = torch.cat([cand_val, per_rec.T], dim=1)
            cand_idx = torch.cat([cand_idx, (rec * (hh * ww) + loc).T], dim=1)
            keep = cand_val.topk(min(n_cand, cand_val.shape[1]), dim=1)
            cand_val, cand_idx = keep.values, cand_idx.gather(1, keep.indices)
        # each prototype takes its most similar record not already taken by a prototype of its
        # class (duplicates only when a class has fewer records than prototypes)
        choice = torch.zeros(p_count, dtype=torch.long)
        best_sim = torch.zeros(p_count)
        n_win = hh * ww
        for k in range(len(branch.spec.classes)):
            members = list(range(k * m, (k + 1) * m))
            members.sort(key=lambda p: -float(cand_val[p, 0]))
            used: set[int] = set()
            for p in members:
                pick = 0
                for j in range(cand_val.shape[1]):
                    if not np.isfinite(float(cand_val[p, j])):
                        break
                    if int(cand_idx[p, j]) // n_win not in used:
                        pick = j
                        break
                if not np.isfinite(float(cand_val[p, pick])):
                    raise ModelError(_no_candidate_message(name, branch, p, m, pw, n_samples, yb, has_pos,
                                                           lengths_np))
                choice[p] = int(cand_idx[p, pick])
                best_sim[p] = float(cand_val[p, pick])
                used.add(int(cand_idx[p, pick]) // n_win)
        best_loc = torch.zeros(p_count, 3, dtype=torch.long)
        records = sorted({int(c) // n_win for c in choice})
        z = torch.cat([branch.embed(x[records[i:i + batch_size]].to(device)).float()
                       for i in range(0, len(records), batch_size)])
        best_patch = protos.clone()
        for p in range(p_count):
            r, pos = divmod(int(choice[p]), n_win)
            row, col = divmod(pos, ww)
            best_patch[p] = z[records.index(r), :, row:row + ph, col:col + pw]
            best_loc[p] = torch.tensor([r, row, col])
        layer.prototypes.data.copy_(best_patch.to(layer.prototypes.device, layer.prototypes.dtype))
        # the pushed prototype's similarity to its own source window (not the pre-push best_sim)
        after = torch.zeros(p_count)
        for i in range(0, len(records), batch_size):
            zb = branch.embed(x[records[i:i + batch_size]].to(device)).float()
            smap = layer.similarity_map(zb)  # (b, P, H', W')
            for p in range(p_count):
                r = int(best_loc[p, 0])
                if r in records[i:i + batch_size]:
                    after[p] = smap[records[i:i + batch_size].index(r), p, best_loc[p, 1], best_loc[p, 2]]
        # the training window (any class, inside the real samples) most similar to each pushed prototype
        top_val = torch.full((p_count,), -float("inf"))
        top_rec = torch.zeros(p_count, dtype=torch.long)
        for start in range(0, len(x), batch_size):
            xb = x[start:start + batch_size].to(device)
            smap = layer.similarity_map(branch.embed(xb).float())
            real = _real_mask(lengths_np[start:start + len(xb)], hh, ww, branch, pw, n_samples, device)
            per_rec = smap.flatten(2).masked_fill(~(inside[None, :] & real)[:, None, :], -float("inf")).amax(2)
            val, idx = per_rec.max(dim=0)  # (P,)
            better = val.cpu() > top_val
            top_val = torch.where(better, val.cpu(), top_val)
            top_rec = torch.where(better, idx.cpu() + start, top_rec)
        for p in range(p_count):
            cls = branch.spec.classes[p // m]
            if not bool(has_pos[p // m]):
                logger.warning("class %s has no positive training record; its prototypes were pushed "
                               "onto the nearest record of any class", cls)
            r, row, col = (int(v) for v in best_loc[p].tolist())
            s0, s1 = window_span(col, pw, branch.time_stride, branch.feature_shape[2], n_samples)
            leads = window_leads(h_out, row, ph, lead_names)
            pname = proto_name(cls, p % m)
            result.sources.append({
                "prototype": pname, "class": cls, "branch": name, "record_id": record_ids[r],
                "record_index": r, "leads": ",".join(leads), "start_sample": s0, "end_sample": s1,
                "similarity": float(after[p]), "similarity_before_push": float(best_sim[p]),
                "best_training_record": record_ids[int(top_rec[p])],
                "best_training_similarity": float(top_val[p]),
            })
            rows = [list(lead_names).index(ld) for ld in leads]
            result.segments[pname] = x[r, rows, s0:s1].detach().cpu().numpy().astype(np.float32)
    return result


def _real_mask(lengths: np.ndarray, hh: int, ww: int, branch, pw: int, n_samples: int, device) -> torch.Tensor:
    """``(B, hh * ww)`` mask of the similarity-map positions inside each record's real samples."""
    cache: dict[int, np.ndarray] = {}
    rows = []
    for length in lengths.tolist():
        if length not in cache:
            cache[length] = np.tile(real_columns(branch.feature_shape[2], pw, branch.time_stride, n_samples,
                                                 length), hh)
        rows.append(cache[length])
    return torch.as_tensor(np.stack(rows), device=device)


def _no_candidate_message(name: str, branch, p: int, m: int, pw: int, n_samples: int, yb: torch.Tensor,
                          has_pos: torch.Tensor, lengths: np.ndarray) -> str:
    cls = branch.spec.classes[p // m]
    pool = np.flatnonzero(yb[:, p // m].cpu().numpy() > 0) if bool(has_pos[p // m]) else np.arange(len(lengths))
    need = n_samples if pw >= branch.feature_shape[2] else pw * branch.time_stride
    longest = int(lengths[pool].max()) if len(pool) else 0
    what = "the whole input" if pw >= branch.feature_shape[2] else f"a window of {need} samples"
    return (f"branch {name}: prototype {proto_name(cls, p % m)} cannot be pushed onto a real training segment: "
            f"{what} does not fit in the real samples of any of the {len(pool)} training records it may come "
            f"from (the longest has {longest} of the input's {n_samples} samples; the rest is zero padding). "
            "Train on records that fill the input, or set n_samples to the records' length")


def _inside_mask(hh: int, ww: int, branch, pw: int, n_samples: int, name: str, device) -> torch.Tensor:
    """Flattened ``(hh * ww,)`` mask of the similarity-map positions inside the record."""
    cols = inside_columns(branch.feature_shape[2], pw, branch.time_stride, n_samples)
    if len(cols) != ww:
        raise ModelError(f"branch {name}: similarity map has {ww} positions, expected {len(cols)}")
    if not cols.any():
        raise ModelError(f"branch {name}: no prototype window of {pw} feature steps ({pw * branch.time_stride} "
                         f"samples) lies inside records of {n_samples} samples; use longer records or a "
                         "shorter partial_window_s")
    return torch.as_tensor(np.tile(cols, hh), device=device)


@torch.no_grad()
def init_prototypes_from_patches(model: ProtoECGNet, x: torch.Tensor, y: torch.Tensor, random_state: int = 0,
                                 device: torch.device | str = "cpu", lengths: Sequence[int] | None = None) -> None:
    """Set each prototype to a random window (inside the record) of a random training record of its class.

    With ``lengths`` (real samples per record), windows are drawn inside the real samples of
    records long enough for them, as in the push.

    Used before the joint phase so prototypes start on the scale and in the region of the
    warmed-up features (random Gaussian prototypes sit near cosine 0 to every record and
    barely move in a few epochs). Records of other classes are used when a class has none.
    """
    model.eval()
    gen = torch.Generator().manual_seed(int(random_state))
    slices = model.class_slices()
    y = y.float()
    for name, branch in model.branches.items():
        layer = branch.prototype_layer
        p_count, _, ph, pw = layer.prototypes.shape
        m = branch.spec.prototypes_per_class
        yb = y[:, slices[name]]
        n_cols, stride = branch.feature_shape[2], branch.time_stride
        real = None if lengths is None else \
            {int(L): np.flatnonzero(real_columns(n_cols, pw, stride, x.shape[-1], int(L))) for L in set(lengths)}
        fits = torch.ones(len(x), dtype=torch.bool) if real is None else \
            torch.as_tensor([len(real[int(L)]) > 0 for L in lengths])
        picks = []
        for p in range(p_count):
            pool = torch.nonzero((yb[:, p // m].cpu() > 0) & fits).flatten()
            if len(pool) == 0:
                pool = torch.nonzero(fits).flatten()
            if len(pool) == 0:
                pool = torch.arange(len(x))
            picks.append(int(pool[torch.randint(len(pool), (1,), generator=gen)]))
        uniq = sorted(set(picks))
        z = branch.embed(x[uniq].to(device)).float()
        _, _, h, w = z.shape
        cols = np.flatnonzero(inside_columns(branch.feature_shape[2], pw, branch.time_stride, x.shape[-1]))
        if len(cols) == 0:
            raise ModelError(f"branch {name}: no prototype window lies inside records of {x.shape[-1]} samples")
        for p, r in enumerate(picks):
            row = int(torch.randint(h - ph + 1, (1,), generator=gen))
            own = cols if real is None or not len(real[int(lengths[r])]) else real[int(lengths[r])]
            col = int(own[int(torch.randint(len(own), (1,), generator=gen))])
            layer.prototypes.data[p] = z[uniq.index(r), :, row:row + ph, col:col + pw].to(layer.prototypes.dtype)

"""Unit tests of the prototype-network parts: data, layer, losses, devices, real label groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from interp_ecg.errors import ConfigError
from interp_ecg.prototypes import losses
from interp_ecg.prototypes.data import (
    highpass,
    jaccard_matrix,
    read_label_groups,
    resolve_label_groups,
    to_array,
)
from interp_ecg.prototypes.layers import PrototypeLayer, cosine_similarity_map, topk_pool
from interp_ecg.prototypes.training import resolve_amp, select_device


# -- data -------------------------------------------------------------------------------
def test_highpass_removes_drift_and_keeps_qrs_band():
    t = np.arange(1000) / 100
    drift = 1.0 * np.sin(2 * np.pi * 0.05 * t)
    tone = 0.5 * np.sin(2 * np.pi * 10 * t)
    out = highpass(np.stack([drift, tone])[None], fs=100, cutoff_hz=0.5)[0]
    assert np.abs(out[0, 100:-100]).max() < 0.05 * np.abs(drift).max()
    assert np.abs(out[1, 100:-100]).max() == pytest.approx(0.5, rel=0.02)


def test_to_array_resamples_crops_and_flags_bad_records():
    x = np.random.default_rng(0).normal(size=(3, 12, 6000)).astype(np.float32)
    x[1, 4, 10] = np.nan
    arr, ids, ok = to_array(x, input_fs=500, highpass_hz=None)
    assert arr.shape == (3, 12, 1000)
    assert ok.tolist() == [True, False, True]
    assert not arr[1].any() and np.isfinite(arr).all()
    with pytest.raises(ConfigError):
        to_array(np.zeros((2, 8, 1000)))


def test_jaccard_and_positive_weights():
    y = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0]])
    jac = jaccard_matrix(y)
    assert jac[0, 1] == pytest.approx(1 / 3)
    assert jac[2, 2] == 0  # never positive
    np.testing.assert_allclose(losses.positive_weights(y), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(losses.positive_weights(np.array([[1], [0], [0], [0], [0]])), [4.0])


def test_resolve_label_groups_any_label_set():
    groups = resolve_label_groups(["a", "b", "c"], {"rhythm": ["b"], "other": ["zz"]})
    assert groups == {"rhythm": ["b"], "morphology": ["a", "c"]}


@pytest.mark.shared_data
def test_real_ptbxl_label_groups(ptbxl_root):
    groups = read_label_groups(ptbxl_root / "protoecgnet_label_groups.csv")
    assert {k: len(v) for k, v in groups.items()} == {"rhythm": 16, "morphology": 52, "global": 3}
    assert set(groups["global"]) == {"NORM", "DIG", "EL"}
    assert {"SR", "AFIB", "1AVB", "IVCD"} <= set(groups["rhythm"])
    scp = pd.read_csv(ptbxl_root / "scp_statements.csv", index_col=0)
    assert set(sum(groups.values(), [])) == set(scp.index)


# -- layer ------------------------------------------------------------------------------
def test_cosine_similarity_map_matches_brute_force():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(2, 5, 3, 9, generator=g)
    p = torch.randn(4, 5, 3, 2, generator=g)
    sim = cosine_similarity_map(z, p)
    assert sim.shape == (2, 4, 1, 8)
    for b in range(2):
        for k in range(4):
            for w in range(8):
                ref = F.cosine_similarity(z[b, :, :, w:w + 2].flatten(), p[k].flatten(), dim=0)
                assert float(sim[b, k, 0, w]) == pytest.approx(float(ref), abs=1e-5)
    # a prototype equal to a window scores exactly 1 there, whatever its scale
    p2 = 3.0 * z[1:2, :, :, 4:6]
    assert float(cosine_similarity_map(z, p2)[1, 0, 0, 4]) == pytest.approx(1.0, abs=1e-6)


def test_topk_pooling_and_global_prototypes():
    maps = torch.tensor([[[[0.1, 0.9, 0.5, 0.7]]]])
    assert float(topk_pool(maps, 1)) == pytest.approx(0.9)
    assert float(topk_pool(maps, 2)) == pytest.approx(0.8)
    assert float(topk_pool(maps, 10)) == pytest.approx(0.55)  # k capped at the window count
    layer = PrototypeLayer(3, 4, 2, 6, topk=3)
    pooled, m = layer(torch.randn(2, 4, 2, 6))
    assert m.shape == (2, 3, 1, 1)  # a global prototype has one window
    torch.testing.assert_close(pooled, m.flatten(1))


# -- losses -----------------------------------------------------------------------------
def test_cluster_and_separation():
    sims = torch.tensor([[0.9, 0.2, 0.1, 0.4], [0.3, 0.1, 0.8, 0.6]])  # 2 classes x 2 prototypes
    y = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    # positives: record 0 class 0 best 0.9, record 1 class 1 best 0.8 -> mean(1-0.9, 1-0.8)
    assert float(losses.cluster_loss(sims, y, 2)) == pytest.approx(0.15)
    # negatives: record 0 class 1 best 0.4, record 1 class 0 best 0.3
    assert float(losses.separation_loss(sims, y, 2)) == pytest.approx(0.35)


def test_diversity_and_contrastive_terms():
    e = torch.eye(4)
    assert float(losses.diversity_loss(e, 2)) == pytest.approx(0.0)  # orthogonal
    same = torch.stack([e[0], e[0], e[1], 2 * e[1]])
    assert float(losses.diversity_loss(same, 2)) == pytest.approx(1.0)  # identical pairs
    jac_none = torch.zeros(2, 2)
    jac_all = torch.ones(2, 2)
    # orthogonal prototypes of classes that never co-occur: no penalty; always co-occur: 1 - cos = 1
    assert float(losses.contrastive_loss(e, jac_none, 2)) == pytest.approx(0.0)
    assert float(losses.contrastive_loss(e, jac_all, 2)) == pytest.approx(1.0)
    aligned = torch.stack([e[0], e[0], e[0], e[0]])
    assert float(losses.contrastive_loss(aligned, jac_all, 2)) == pytest.approx(0.0)
    assert float(losses.contrastive_loss(aligned, jac_none, 2)) == pytest.approx(1.0)


def test_off_class_l1_ignores_own_class_weights():
    ident = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # 3 prototypes, 2 classes
    w = torch.tensor([[5.0, 5.0, -2.0], [0.5, 0.25, 9.0]])
    assert float(losses.off_class_l1(w, ident)) == pytest.approx(2.0 + 0.75)


# -- devices ----------------------------------------------------------------------------
def test_device_selection_prefers_cuda_when_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    dev = select_device("auto")
    assert dev.type == "cuda"
    assert resolve_amp("auto", dev) is True
    assert resolve_amp(False, dev) is False
    assert select_device("cpu").type == "cpu"  # override


def test_device_selection_falls_back_to_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    dev = select_device(None)
    assert dev.type == "cpu"
    assert resolve_amp("auto", dev) is False
    assert resolve_amp(True, dev) is False  # AMP needs CUDA: refused with a warning
    with pytest.raises(ConfigError):
        select_device("cuda")

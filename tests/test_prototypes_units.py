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
    default_label_groups,
    highpass,
    jaccard_matrix,
    read_label_groups,
    resolve_label_groups,
    to_array,
)
from interp_ecg.prototypes.layers import PrototypeLayer, cosine_similarity_map, scaled_cosine_map
from interp_ecg.prototypes.training import (
    macro_auroc,
    resolve_amp,
    resolve_amp_dtype,
    resolve_compile,
    run_epochs,
    torch_device,
    stage_tensor,
)


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
    x[1, 4, 10:60] = np.nan  # 100 ms: refused (runs up to 20 ms are bridged)
    x[2, 4, 10] = np.nan  # one sample: bridged
    arr, ids, ok = to_array(x, input_fs=500, highpass_hz=None)
    assert arr.shape == (3, 12, 1000)
    assert ok.tolist() == [True, False, True]
    assert not arr[1].any() and np.isfinite(arr).all() and arr[2].any()
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
    # the table shipped in the package is the same assignment
    assert default_label_groups() == groups


def test_package_label_groups_are_the_default():
    groups = default_label_groups()
    assert {k: len(v) for k, v in groups.items()} == {"rhythm": 16, "morphology": 52, "global": 3}
    assert resolve_label_groups(["AFIB", "NORM", "IMI", "new"], None) == {
        "rhythm": ["AFIB"], "morphology": ["IMI", "new"], "global": ["NORM"]}


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


def test_scaled_cosine_is_protoecgnet_window_loop():
    """ProtoECGNet's 2D activation, transcribed as its loop over windows: the segment is scaled to
    length int(sqrt(C*T)), both vectors divided by sqrt(1*T), norms with +1e-4 under the root."""
    g = torch.Generator().manual_seed(1)
    z = torch.rand(2, 6, 1, 10, generator=g)
    p = torch.randn(3, 6, 1, 3, generator=g)
    sim = scaled_cosine_map(z, p)
    ivl = int((6 * 3) ** 0.5)
    nf = (1 * 3) ** 0.5
    proto = p.squeeze(2)
    proto = proto / torch.sqrt((proto ** 2).sum(dim=(1, 2), keepdim=True) + 1e-4) / nf
    for i in range(10 - 3 + 1):
        seg = z[:, :, 0, i:i + 3]
        seg = ivl * seg / torch.sqrt((seg ** 2).sum(dim=(1, 2), keepdim=True) + 1e-4) / nf
        ref = seg.reshape(2, -1) @ proto.reshape(3, -1).T
        torch.testing.assert_close(sim[:, :, 0, i], ref, atol=1e-5, rtol=1e-5)
    layer = PrototypeLayer(3, 6, 1, 3, similarity="scaled")
    layer.prototypes.data.copy_(p)
    pooled, maps = layer(z)
    torch.testing.assert_close(pooled, sim.flatten(2).mean(-1))  # mean over all windows
    assert layer.scale == pytest.approx(4 / 3)
    # the paper's factors: x13 for 3-step partial prototypes, x4 for 32-step global ones (512 channels)
    assert PrototypeLayer(1, 512, 1, 3).scale == pytest.approx(39 / 3)
    assert PrototypeLayer(1, 512, 1, 32).scale == pytest.approx(128 / 32)


# -- losses -----------------------------------------------------------------------------
def test_cluster_and_separation():
    sims = torch.tensor([[0.9, 0.2, 0.1, 0.4], [0.3, 0.1, 0.8, 0.6]])  # 2 classes x 2 prototypes
    y = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    ident = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    # (b, k) maxima of S * C: (0.9, 0), (0, 0.8) -> -mean = -0.425
    assert float(losses.cluster_loss(sims, y, ident)) == pytest.approx(-0.425)
    # (b, k) maxima of S * (1 - C): (0.4, 0.9), (0.8, 0.3) -> mean 0.6
    assert float(losses.separation_loss(sims, y, ident)) == pytest.approx(0.6)


def test_diversity_and_contrastive_terms():
    e = torch.eye(4)
    assert float(losses.diversity_loss(e)) == pytest.approx(0.0)  # orthogonal
    same = torch.stack([e[0], e[0], e[1], 2 * e[1]])
    assert float(losses.diversity_loss(same)) == pytest.approx(4 / 16)  # 4 identical ordered pairs / P^2
    ident = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    eye = torch.eye(2)
    # M = A J A^T = same-class blocks: orthogonal classes are already apart
    aligned_within = torch.stack([e[0], e[0], e[1], e[1]])
    q = 1 - 1e-6
    assert float(losses.contrastive_loss(aligned_within, eye, ident)) == pytest.approx(-(q - 0) / 2, abs=1e-5)


def test_off_class_l1_ignores_own_class_weights():
    ident = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # 3 prototypes, 2 classes
    w = torch.tensor([[5.0, 5.0, -2.0], [0.5, 0.25, 9.0]])
    assert float(losses.off_class_l1(w, ident)) == pytest.approx(2.0 + 0.75)


# -- devices ----------------------------------------------------------------------------
def test_device_selection_prefers_cuda_when_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    dev = torch_device("auto")
    assert dev.type == "cuda"
    assert resolve_amp("auto", dev) is True
    assert resolve_amp(False, dev) is False
    assert torch_device("cpu").type == "cpu"  # override


def test_device_selection_falls_back_to_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    dev = torch_device(None)
    assert dev.type == "cpu"
    assert resolve_amp("auto", dev) is False
    assert resolve_amp(True, dev) is False  # AMP needs CUDA: refused with a warning
    with pytest.raises(ConfigError):
        torch_device("cuda")


def test_gpu_path_choices_on_the_cpu(monkeypatch):
    """bfloat16 where the GPU supports it, float16 (with loss scaling) elsewhere; torch.compile
    on CUDA only; data staged on the GPU or pinned (on a CPU: unchanged)."""
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert resolve_amp_dtype(torch.device("cuda")) == torch.bfloat16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert resolve_amp_dtype(torch.device("cuda")) == torch.float16
    assert resolve_compile("auto", torch.device("cuda")) is True
    assert resolve_compile("auto", torch.device("cpu")) is False
    assert resolve_compile(True, torch.device("cpu")) is True
    x = torch.zeros(3, 2)
    assert stage_tensor(x, torch.device("cpu")) is x


def test_early_stopping_keeps_the_best_epoch():
    """Validation scores 0.6, 0.8, 0.7, 0.65, 0.5 with patience 2: stops after epoch 3 and restores
    the weights of epoch 1."""
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    x, y = torch.randn(16, 3), torch.randint(0, 2, (16, 1)).float()
    scores = iter([0.6, 0.8, 0.7, 0.65, 0.5])
    snapshots = []

    def val():
        snapshots.append(model.weight.detach().clone())
        return next(scores)

    def step(xb, yb):
        loss = losses.bce_loss(model(xb), yb)
        return loss, {"bce": loss.detach()}

    hist = run_epochs(model, "t", 10, list(model.parameters()), step, data=x, y=y, lr=0.1, batch_size=4,
                      scheduler="cosine", val_fn=val, patience=2)
    assert [h["epoch"] for h in hist] == [0, 1, 2, 3]
    torch.testing.assert_close(model.weight.detach(), snapshots[1])
    assert [h["best"] for h in hist] == [False, True, False, False]
    assert hist[0]["lr"] == pytest.approx(0.1) and hist[1]["lr"] < 0.1  # cosine schedule


def test_macro_auroc_skips_one_class_columns():
    y = np.array([[1, 0, 1], [0, 0, 1], [1, 0, 1], [0, 0, 1]])
    s = np.array([[0.9, 0.1, 0.2], [0.1, 0.2, 0.3], [0.8, 0.3, 0.1], [0.7, 0.1, 0.2]])
    assert macro_auroc(y, s) == pytest.approx(1.0)
    assert np.isnan(macro_auroc(y[:, 1:], s[:, 1:]))


def test_long_phases_log_progress_at_info(monkeypatch, caplog):
    """A training phase longer than PROGRESS_EVERY_S says where it is (no long silent stretch)."""
    import logging

    import torch

    from interp_ecg.prototypes import training

    monkeypatch.setattr(training, "PROGRESS_EVERY_S", 0.0)
    model = torch.nn.Linear(3, 1)
    x, y = torch.randn(8, 3), torch.randint(0, 2, (8, 1)).float()

    def step(xb, yb):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(xb), yb)
        return loss, {"bce": loss.detach()}

    with caplog.at_level(logging.INFO, logger="interp_ecg.prototypes.training"):
        training.run_epochs(model, "warmup", 3, list(model.parameters()), step, data=x, y=y,
                            batch_size=4, lr=1e-3, device=torch.device("cpu"))
    lines = [r.getMessage() for r in caplog.records if "epoch" in r.getMessage()]
    assert lines and lines[-1].startswith("warmup: epoch 3/3, BCE ")

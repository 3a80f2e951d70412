"""The paper preset against the public ProtoECGNet code: losses, rhythm shift invariance,
architecture sizes, torchvision weights, and the estimator's API (CPU, seconds)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from interp_ecg.prototypes import ProtoECGNetClassifier, losses
from interp_ecg.prototypes.backbones import ResNet2d, load_torchvision_resnet
from interp_ecg.prototypes.data import default_label_groups
from interp_ecg.prototypes.estimator import PRESETS
from interp_ecg.prototypes.model import BranchSpec, ProtoECGNet


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """One torch thread for this module (tests/conftest.py)."""


# -- losses: direct transcriptions of the public formulas (loops, no shared code) ---------------
@pytest.fixture(scope="module")
def fixed():
    g = torch.Generator().manual_seed(7)
    sims = torch.rand(4, 6, generator=g) * 2 - 0.5            # B=4 records, P=6 prototypes
    y = torch.tensor([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0]], dtype=torch.float32)  # K=3
    ident = torch.zeros(6, 3)
    for p in range(6):
        ident[p, p // 2] = 1.0                                  # 2 prototypes per class
    protos = torch.randn(6, 5, 1, 3, generator=g)
    jac = torch.tensor([[1.0, 0.25, 0.5], [0.25, 1.0, 0.0], [0.5, 0.0, 1.0]])
    return sims, y, ident, protos, jac


def test_cluster_separation_sparsity_transcribed(fixed):
    sims, y, ident, _, _ = fixed
    b_n, p_n = sims.shape
    k_n = y.shape[1]
    clst, sep = 0.0, 0.0
    for b in range(b_n):
        for k in range(k_n):
            corr = [float(sims[b, p]) * float(ident[p, k] * y[b, k]) for p in range(p_n)]
            wrong = [float(sims[b, p]) * (1 - float(ident[p, k] * y[b, k])) for p in range(p_n)]
            clst += max(corr)
            sep += max(wrong)
    assert float(losses.cluster_loss(sims, y, ident)) == pytest.approx(-clst / (b_n * k_n), abs=1e-6)
    assert float(losses.separation_loss(sims, y, ident)) == pytest.approx(sep / (b_n * k_n), abs=1e-6)
    spars = sum(max(float(sims[b, p]), 0.0) for b in range(b_n) for p in range(p_n)) / b_n
    assert float(losses.sparsity_loss(sims)) == pytest.approx(spars, abs=1e-6)


def test_diversity_transcribed(fixed):
    _, _, _, protos, _ = fixed
    flat = [v.flatten() / v.flatten().norm() for v in protos]
    n = len(flat)
    total = sum(float(flat[i] @ flat[j]) ** 2 for i in range(n) for j in range(n) if i != j)
    assert float(losses.diversity_loss(protos)) == pytest.approx(total / n**2, rel=1e-5)


def test_contrastive_transcribed(fixed):
    _, _, ident, protos, jac = fixed
    flat = [v.flatten() / v.flatten().norm() for v in protos]
    n = len(flat)
    cls = [int(ident[p].argmax()) for p in range(n)]
    s = [[min(max(float(flat[i] @ flat[j]), -1 + 1e-6), 1 - 1e-6) for j in range(n)] for i in range(n)]
    m = [[float(jac[cls[i], cls[j]]) for j in range(n)] for i in range(n)]
    sum_m = sum(map(sum, m))
    sum_not = sum(1 - m[i][j] for i in range(n) for j in range(n))
    pos = sum(s[i][j] * m[i][j] / (sum_m + 1e-6) for i in range(n) for j in range(n))
    neg = sum(s[i][j] * (1 - m[i][j]) / (sum_not + 1e-6) for i in range(n) for j in range(n))
    expected = -(pos - neg) / math.sqrt(n)
    assert float(losses.contrastive_loss(protos, jac, ident)) == pytest.approx(expected, rel=1e-5)


def test_loss_weights_are_protoecgnets():
    w = losses.LossWeights()
    assert (w.cluster, w.separation, w.sparsity, w.diversity, w.contrastive, w.l1) == (0.004, 0.0004, 0, 250, 300, 1e-4)


# -- architecture ---------------------------------------------------------------------------
def _block_params(cin: int, cout: int, taps: int) -> int:
    """Weights of a basic block (two convolutions, two batch norms, optional 1x1 projection)."""
    n = taps * cin * cout + taps * cout * cout + 2 * 2 * cout
    if cin != cout:
        n += cin * cout + 2 * cout
    return n


def _resnet18_trunk(first_conv: int, taps: int) -> int:
    n = first_conv + 2 * 64
    for cin, cout in [(64, 64), (64, 128), (128, 256), (256, 512)]:
        n += _block_params(cin, cout, taps) + _block_params(cout, cout, taps)
    return n


@pytest.fixture(scope="module")
def paper_net():
    groups = default_label_groups()
    specs = [BranchSpec("rhythm", groups["rhythm"], "1d", "global", 5),
             BranchSpec("morphology", groups["morphology"], "2d", "partial", 18),
             BranchSpec("global", groups["global"], "2d", "global", 7)]
    st = PRESETS["paper"]
    return ProtoECGNet(specs, width=st["width"], blocks=st["blocks"], dropout=st["dropout"], seed=0)


def test_paper_branch_sizes(paper_net):
    def count(m):
        return sum(p.numel() for p in m.parameters())

    rhythm, morph, glob = (paper_net.branches[n] for n in ("rhythm", "morphology", "global"))
    # torchvision resnet18 has 11,689,512 weights; without fc (512*1000 + 1000) and with the
    # (12, 7) one-channel first convolution instead of 3 x 7 x 7 RGB:
    assert _resnet18_trunk(64 * 12 * 7, 9) == 11_689_512 - 513_000 - 64 * 3 * 7 * 7 + 64 * 12 * 7 == 11_172_480
    assert count(morph.backbone) == count(glob.backbone) == 11_172_480
    assert count(rhythm.backbone) == _resnet18_trunk(64 * 12 * 7, 3) == 3_848_832
    for b in (rhythm, morph, glob):
        assert b.backbone.out_channels == 512 and b.time_stride == 32
        assert count(b.add_on) == 2 * (512 * 512 + 512)
    assert morph.feature_shape == glob.feature_shape == (512, 1, 32)
    assert rhythm.feature_shape == (512, 1, 1)
    assert rhythm.prototype_shape == (512, 1, 1)
    assert morph.prototype_shape == (512, 1, 3)     # proto_time_len 3 (0.96 s at 100 Hz)
    assert glob.prototype_shape == (512, 1, 32)     # proto_time_len 32
    assert (rhythm.n_prototypes, morph.n_prototypes, glob.n_prototypes) == (16 * 5, 52 * 18, 3 * 7)
    assert isinstance(rhythm.add_on[0], torch.nn.Linear) and isinstance(rhythm.add_on[-1], torch.nn.Sigmoid)
    assert isinstance(morph.add_on[0], torch.nn.Conv2d) and morph.add_on[0].kernel_size == (1, 1)
    conv1 = morph.backbone.conv1
    assert (conv1.kernel_size, conv1.stride, conv1.padding) == ((12, 7), (1, 2), (0, 3))
    assert morph.backbone.dropout.p == pytest.approx(0.35)
    assert rhythm.prototype_layer.similarity == "cosine" and morph.prototype_layer.similarity == "scaled"


def test_rhythm_similarities_ignore_where_beats_fall(paper_net):
    """A circular shift by a multiple of the backbone's stride (128 samples = 4 x 32) barely
    changes the time-pooled rhythm similarities (ProtoECGNet's comparison)."""
    g = torch.Generator().manual_seed(3)
    t = torch.arange(1000) / 100.0
    beats = torch.zeros(1000)
    for c in np.arange(0.3, 10, 0.83):
        beats += torch.exp(-(((t - float(c)) / 0.03) ** 2))
    x = (beats[None, None] * torch.rand(3, 12, 1, generator=g) + 0.05 * torch.randn(3, 12, 1000, generator=g))
    branch = paper_net.branches["rhythm"].eval()
    with torch.no_grad():
        base = branch(x)[1]
        for shift in (128, 256):
            moved = branch(torch.roll(x, shift, dims=-1))[1]
            rel = ((moved - base).abs() / base.abs().clamp_min(1e-6)).mean()
            assert float(rel) < 0.01


# -- torchvision weights ---------------------------------------------------------------------
def _torchvision_resnet18_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """A state dict with torchvision resnet18's names and shapes (generated, no torchvision)."""
    g = torch.Generator().manual_seed(seed)
    st: dict[str, torch.Tensor] = {}

    def bn(prefix, c):
        st[f"{prefix}.weight"] = torch.rand(c, generator=g)
        st[f"{prefix}.bias"] = torch.randn(c, generator=g)
        st[f"{prefix}.running_mean"] = torch.randn(c, generator=g)
        st[f"{prefix}.running_var"] = torch.rand(c, generator=g) + 0.5
        st[f"{prefix}.num_batches_tracked"] = torch.tensor(100)

    st["conv1.weight"] = torch.randn(64, 3, 7, 7, generator=g)
    bn("bn1", 64)
    cin = 64
    for i, cout in enumerate([64, 128, 256, 512], start=1):
        for j in range(2):
            pre = f"layer{i}.{j}"
            st[f"{pre}.conv1.weight"] = torch.randn(cout, cin if j == 0 else cout, 3, 3, generator=g)
            bn(f"{pre}.bn1", cout)
            st[f"{pre}.conv2.weight"] = torch.randn(cout, cout, 3, 3, generator=g)
            bn(f"{pre}.bn2", cout)
            if j == 0 and cin != cout:
                st[f"{pre}.downsample.0.weight"] = torch.randn(cout, cin, 1, 1, generator=g)
                bn(f"{pre}.downsample.1", cout)
        cin = cout
    st["fc.weight"] = torch.randn(1000, 512, generator=g)
    st["fc.bias"] = torch.randn(1000, generator=g)
    return st


def test_torchvision_state_dict_loads_into_the_2d_trunk(tmp_path):
    tv = _torchvision_resnet18_state()
    net = ResNet2d(width=64)
    loaded, skipped = load_torchvision_resnet(net, tv)
    assert sorted(skipped) == ["conv1.weight", "fc.bias", "fc.weight"]
    own = net.state_dict()
    assert set(own) - set(loaded) == {"conv1.weight"}  # every other tensor came from the state dict
    for name in loaded:
        torch.testing.assert_close(own[name], tv[name].to(own[name].dtype))
    # through the estimator option, from a weights-only file, into both 2D branches
    path = tmp_path / "resnet18.pth"
    torch.save(tv, path)
    clf = ProtoECGNetClassifier(pretrained_2d=path)
    model = ProtoECGNet([BranchSpec("rhythm", ["A"], "1d", "global", 1), BranchSpec("morphology", ["B"], "2d", "partial", 1),
                         BranchSpec("global", ["C"], "2d", "global", 1)], width=64)
    clf._load_pretrained_2d(model)
    for name in ("morphology", "global"):
        torch.testing.assert_close(model.branches[name].backbone.layer4[1].conv2.weight, tv["layer4.1.conv2.weight"])
    with pytest.raises(ValueError, match="no tensor"):
        load_torchvision_resnet(ResNet2d(width=8, blocks=(1, 1, 1, 1)), tv)


# -- estimator API ---------------------------------------------------------------------------
def test_presets_and_sklearn_params():
    from sklearn.base import clone

    clf = ProtoECGNetClassifier()
    assert clf.preset == "paper"
    st = clf.settings()
    assert (st["width"], st["blocks"], st["lr"], st["weight_decay"], st["dropout"], st["patience"]) == (
        64, (2, 2, 2, 2), 1e-4, 1.7e-4, 0.35, 10)
    assert st["prototypes_per_class"] == {"rhythm": 5, "morphology": 18, "global": 7}
    assert st["scheduler"] == "cosine" and st["joint_epochs"] == 200
    small = ProtoECGNetClassifier(preset="small", width=4)
    assert small.settings()["width"] == 4 and small.settings()["blocks"] == (1, 1, 1, 1)
    c = clone(small)
    assert c.get_params() == small.get_params() and "preset" in c.get_params()
    assert "get_params" not in ProtoECGNetClassifier.__dict__
    from interp_ecg.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown preset"):
        ProtoECGNetClassifier(preset="huge").settings()


def _toy(n=16, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=0.1, size=(n, 12, 1000)).astype(np.float32)
    y = pd.DataFrame({"A": [0, 1] * (n // 2), "B": [1, 0] * (n // 2)})
    x[y["A"].to_numpy() == 1, :, ::50] += 1.0
    return x, y


SMALL = dict(preset="small", width=2, prototypes_per_class=1, warmup_epochs=1, joint_epochs=1, last_layer_epochs=1,
             fusion_epochs=1, batch_size=8, label_groups={"rhythm": ["A"]}, random_state=0, n_threads=1)


def test_validation_early_stopping_and_explain_inputs(tmp_path):
    from interp_ecg.io import ArrayLoader, EcgDataset

    x, y = _toy()
    clf = ProtoECGNetClassifier(**dict(SMALL, patience=1, joint_epochs=3)).fit(x[:12], y.iloc[:12], X_val=x[12:],
                                                                              y_val=y.iloc[12:])
    assert "val_macro_auroc" in clf.history_.columns
    assert clf.history_["val_macro_auroc"].notna().any()
    # explain: an array, a one-record dataset, a Record
    ds = EcgDataset(pd.DataFrame(index=pd.Index(["r1"], name="record_id")), ArrayLoader(x[:1], fs=100), fs=100)
    a = clf.explain(x[0])
    b = clf.explain(ds)
    c = clf.explain(ds.load("r1"))
    assert b.record_id == c.record_id == "r1"
    pd.testing.assert_series_equal(a.probabilities, b.probabilities)
    from interp_ecg.errors import ConfigError

    two = EcgDataset(pd.DataFrame(index=pd.Index(["r1", "r2"], name="record_id")), ArrayLoader(x[:2], fs=100), fs=100)
    with pytest.raises(ConfigError, match="one record"):
        clf.explain(two)
    # save: tensors + JSON text only; load never unpickles and restores the same fitted attributes
    path = clf.save(tmp_path / "m.pt")
    raw = torch.load(path, weights_only=True)
    meta = json.loads(raw["meta_json"])
    assert meta["params"]["preset"] == "small" and meta["settings"]["width"] == 2
    loaded = ProtoECGNetClassifier.load(path, device="cpu", n_threads=1)
    np.testing.assert_allclose(loaded.predict_proba(x), clf.predict_proba(x), atol=1e-6)
    pd.testing.assert_frame_equal(loaded.prototype_sources_, clf.prototype_sources_, check_dtype=False)
    assert loaded.settings_ == clf.settings_
    assert set(vars(loaded)) == set(vars(clf))
    # a pickle-based file is refused, not executed
    bad = tmp_path / "bad.pt"
    torch.save({"model": {}, "meta_json": "{}", "x": pd.DataFrame()}, bad)
    from interp_ecg.errors import ModelError

    with pytest.raises(ModelError, match="weights-only"):
        ProtoECGNetClassifier.load(bad)

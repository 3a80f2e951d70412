"""End-to-end tests of the prototype network on tiny synthetic data (CPU, seconds)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from interp_ecg.io import ArrayLoader, EcgDataset
from interp_ecg.prototypes import PHASES, ProtoECGNetClassifier, ProtoTrainer, TrainConfig
from interp_ecg.prototypes.explain import (
    intra_class_distances,
    matched_windows,
    prototype_distances,
    prototype_gallery,
)
from interp_ecg.prototypes.model import BranchSpec, ProtoECGNet

FS = 100


def toy_cohort(n: int, seed: int = 0) -> tuple[np.ndarray, pd.DataFrame]:
    """Spiky 'beats' on noise. FAST: 108 bpm instead of 60; INV: beats inverted; NORM: neither."""
    rng = np.random.default_rng(seed)
    t = np.arange(1000) / FS
    fast = rng.random(n) < 0.5
    inv = rng.random(n) < 0.4
    x = rng.normal(scale=0.05, size=(n, 12, 1000)).astype(np.float32)
    for i in range(n):
        rate = 1.8 if fast[i] else 1.0
        beats = np.arange(rng.uniform(0.1, 0.6), 10, 1 / rate)
        wave = np.exp(-(((t[:, None] - beats[None]) / 0.03) ** 2)).sum(axis=1)
        gains = rng.uniform(0.6, 1.4, size=12)
        x[i] += ((-1.0 if inv[i] else 1.0) * gains[:, None] * wave[None]).astype(np.float32)
    ids = pd.Index([f"rec{i:03d}" for i in range(n)], name="record_id")
    y = pd.DataFrame({"FAST": fast, "INV": inv, "NORM": ~fast & ~inv}, index=ids).astype(int)
    return x, y


TINY = dict(preset="small", width=2, blocks=(1, 1, 1, 1), prototypes_per_class=2, warmup_epochs=1, joint_epochs=1,
            last_layer_epochs=1, fusion_epochs=2, batch_size=8,
            label_groups={"rhythm": ["FAST"], "morphology": ["INV"], "global": ["NORM"]}, random_state=0,
            n_threads=1)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """One torch thread for this module (tests/conftest.py)."""


@pytest.fixture(scope="module")
def toy():
    return toy_cohort(24, seed=1)


@pytest.fixture(scope="module")
def fitted(toy, tmp_path_factory):
    x, y = toy
    ckpt = tmp_path_factory.mktemp("ckpt")
    clf = ProtoECGNetClassifier(**TINY, checkpoint_dir=ckpt).fit(x, y)
    return clf, ckpt


def test_all_phases_run_and_branches_follow_label_groups(fitted):
    clf, ckpt = fitted
    assert set(clf.history_["phase"]) == {"warmup", "joint", "last_layer", "fusion"}
    assert clf.branches_.loc["rhythm", "backbone"] == "1d"
    assert clf.branches_.loc["morphology", "prototype"] == "partial"
    assert clf.branches_.loc["global", "prototype"] == "global"
    assert clf.classes_ == ["FAST", "INV", "NORM"]
    assert all((ckpt / f"{p}.pt").exists() for p in PHASES)


def test_push_every_prototype_is_a_real_training_patch(fitted, toy):
    """After push (and the later last-layer/fusion phases) each prototype equals the embedding of
    the training window that prototype_sources_ names, and that window matches it with cosine 1
    (times the branch's similarity scale)."""
    clf, _ = fitted
    x_raw, y = toy
    x, _, _ = clf.network_input(x_raw)
    ids = list(y.index)
    model = clf.model_.eval()
    names = clf.feature_names_out_
    src = clf.prototype_sources_
    assert list(src.index) == names
    assert src["record_id"].isin(ids).all()
    # every class has more positive records than prototypes: siblings come from distinct records
    assert (src.groupby("class")["record_id"].nunique() == 2).all()
    for name in names:
        row = src.loc[name]
        branch = model.branches[row["branch"]]
        j = [n for n in names if src.loc[n, "branch"] == row["branch"]].index(name)
        i = ids.index(row["record_id"])
        # a prototype of a class is pushed onto a record of that class
        assert y.loc[row["record_id"], row["class"]] == 1
        with torch.no_grad():
            z = branch.embed(torch.as_tensor(x[i:i + 1]))
        _, ph, pw = branch.prototype_shape
        stride = branch.backbone.time_stride
        col = (int(row["start_sample"]) + stride // 2) // stride  # windows are centred on the steps
        patch = z[0, :, 0:ph, col:col + pw]
        proto = branch.prototype_layer.prototypes.detach()[j]
        torch.testing.assert_close(patch, proto, atol=1e-5, rtol=1e-5)
        win = matched_windows(clf, x[i:i + 1]).loc[name]
        assert win["similarity"] == pytest.approx(branch.prototype_layer.scale, rel=1e-4)
        assert int(win["start_sample"]) == int(row["start_sample"])
        if row["branch"] == "morphology":  # partial prototypes: pw steps, wholly inside the record
            assert row["end_sample"] - row["start_sample"] == pw * stride
            assert 0 <= row["start_sample"] and row["end_sample"] <= 1000
        else:
            assert (row["start_sample"], row["end_sample"]) == (0, 1000)
        assert clf.prototype_segments_[name].shape == (len(row["leads"].split(",")),
                                                       row["end_sample"] - row["start_sample"])


def test_checkpoints_load_weights_only_and_resume(fitted, toy, tmp_path):
    clf, ckpt = fitted
    x, y = toy
    for phase in PHASES:
        state = torch.load(ckpt / f"{phase}.pt", weights_only=True)
        assert state["completed"][-1] == phase
    # a new estimator on the same folder resumes after 'fusion': nothing is retrained
    again = ProtoECGNetClassifier(**TINY, checkpoint_dir=ckpt).fit(x, y)
    np.testing.assert_array_equal(again.predict_proba(x), clf.predict_proba(x))
    pd.testing.assert_frame_equal(again.prototype_sources_, clf.prototype_sources_)
    # save / load round trip
    path = clf.save(tmp_path / "model.pt")
    loaded = ProtoECGNetClassifier.load(path, device="cpu")
    np.testing.assert_allclose(loaded.predict_proba(x[:5]), clf.predict_proba(x[:5]), rtol=0, atol=1e-6)
    assert list(loaded.prototype_sources_.index) == clf.feature_names_out_


def test_interrupted_training_resumes_to_the_same_model(toy, tmp_path):
    """Phases run in two sessions (stopped after push) give exactly the model of one session."""
    x, y = toy
    specs = [BranchSpec("rhythm", ["FAST"], "1d", "global", 1), BranchSpec("morphology", ["INV"], "2d", "partial", 1)]
    cfg = TrainConfig(warmup_epochs=1, joint_epochs=1, last_layer_epochs=1, fusion_epochs=1, batch_size=8)
    xt = torch.as_tensor(x[:16])
    yt = y[["FAST", "INV"]].to_numpy()[:16]

    def model():
        torch.manual_seed(3)
        return ProtoECGNet(specs, width=2, blocks=(1, 1, 1, 1), seed=3)

    full = ProtoTrainer(model(), xt, yt, list(range(16)), cfg, device="cpu", random_state=3).run()
    first = ProtoTrainer(model(), xt, yt, list(range(16)), cfg, device="cpu", random_state=3, checkpoint_dir=tmp_path)
    first.run(phases=PHASES[:3])
    second = ProtoTrainer(model(), xt, yt, list(range(16)), cfg, device="cpu", random_state=3, checkpoint_dir=tmp_path)
    second.run()
    assert second.completed == list(PHASES)
    for k, v in full.model.state_dict().items():
        torch.testing.assert_close(second.model.state_dict()[k], v, rtol=0, atol=0)
    # record ids went through a checkpoint: plain ints stay ints
    assert [s["record_id"] for s in second.push_result.sources] == [s["record_id"] for s in full.push_result.sources]


def test_transform_columns_and_index(fitted, toy):
    clf, _ = fitted
    x, y = toy
    sims = clf.transform(x[:3])
    expected = [f"proto_{c}_{k:02d}" for c in ["FAST", "INV", "NORM"] for k in range(2)]
    assert list(sims.columns) == expected == list(clf.get_feature_names_out())
    scale = max(b.prototype_layer.scale for b in clf.model_.branches.values())
    assert (np.abs(sims.to_numpy()) <= scale + 1e-6).all()
    # an EcgDataset at 500 Hz is resampled to 100 Hz and keeps its record ids
    up = np.repeat(x[:3], 5, axis=-1)
    ds = EcgDataset(pd.DataFrame(index=pd.Index(["a", "b", "c"], name="record_id")), ArrayLoader(up, fs=500), fs=500)
    sims_ds = clf.transform(ds)
    assert list(sims_ds.index) == ["a", "b", "c"]
    assert sims_ds.shape == (3, 6)
    # streamed in chunks: same values, same order; an unreadable record gives a NaN row
    pd.testing.assert_frame_equal(clf.transform(ds, chunk_size=2), sims_ds)
    bad = up.copy()
    bad[1, 0, 7:507] = np.nan  # 1 s: longer than the invalid-sample policy bridges (one sample would be bridged)
    ds_bad = EcgDataset(pd.DataFrame(index=pd.Index(["a", "b", "c"], name="record_id")), ArrayLoader(bad, fs=500),
                        fs=500)
    sims_bad = clf.transform(ds_bad, chunk_size=2)
    assert sims_bad.loc["b"].isna().all() and sims_bad.loc[["a", "c"]].notna().all().all()
    np.testing.assert_allclose(sims_bad.loc[["a", "c"]].to_numpy(), sims_ds.loc[["a", "c"]].to_numpy(), atol=1e-5)


def test_shapley_values_are_additive_and_centred(fitted, toy):
    clf, _ = fitted
    x, _ = toy
    expl = clf.shap_values(x)
    logits = clf.decision_function(x)
    assert expl.values.shape == (len(x), 6, 3)
    np.testing.assert_allclose(expl.base_values + expl.values.sum(axis=1), logits, atol=1e-4)
    # base value = fusion output at the mean training similarities: values average to 0 there
    np.testing.assert_allclose(expl.values.mean(axis=0), 0, atol=1e-5)
    one = clf.shap_values(x[:4], output="INV")
    np.testing.assert_allclose(one.base_values + one.values.sum(axis=1), logits[:4, 1], atol=1e-4)
    assert one.feature_names == clf.feature_names_out_
    # the Explanation works with shap's own plots, beside feature SHAP values
    import matplotlib.pyplot as plt
    import shap

    shap.plots.waterfall(one[0], show=False)
    assert plt.gcf().axes
    plt.close("all")


def test_seeded_training_is_deterministic(toy):
    x, y = toy
    kw = dict(TINY, fusion_epochs=1)
    a = ProtoECGNetClassifier(**kw).fit(x[:16], y.iloc[:16])
    b = ProtoECGNetClassifier(**kw).fit(x[:16], y.iloc[:16])
    np.testing.assert_array_equal(a.predict_proba(x[16:]), b.predict_proba(x[16:]))
    pd.testing.assert_frame_equal(a.prototype_sources_, b.prototype_sources_)
    c = ProtoECGNetClassifier(**dict(kw, random_state=1)).fit(x[:16], y.iloc[:16])
    assert not np.array_equal(a.predict_proba(x[16:]), c.predict_proba(x[16:]))


def test_explanation_renders_for_any_record(fitted, toy):
    import matplotlib.pyplot as plt

    clf, _ = fitted
    x, _ = toy
    for rec in (x[0], np.zeros((12, 1000), dtype=np.float32) + 0.01 * x[1]):
        expl = clf.explain(rec, threshold=0.5)
        assert expl.predicted and set(expl.contributions["statement"]) <= set(expl.predicted)
        assert expl.contributions["prototype"].isin(clf.feature_names_out_).all()
        fig = expl.plot()
        assert len(fig.axes) == 2 * min(len(expl.contributions), 6)
        assert expl.shap.values.shape == (6, 3)
        plt.close(fig)
    fig = prototype_gallery(clf, "INV")
    assert sum(ax.has_data() for ax in fig.axes) == 2
    plt.close(fig)
    # one public name per meaning: explain_record is the feature-model explanation (explain layer)
    import interp_ecg.prototypes as P

    from_fn = P.prototype_explanation(clf, x[0], threshold=0.5)
    assert from_fn.contributions.equals(clf.explain(x[0], threshold=0.5).contributions)
    assert not hasattr(P, "explain_record")


def test_prototype_distances(fitted):
    clf, _ = fitted
    d = prototype_distances(clf)
    assert d.shape == (6, 6)
    block = d.loc[["proto_INV_00", "proto_INV_01"], ["proto_INV_00", "proto_INV_01"]].to_numpy()
    np.testing.assert_allclose(np.diag(block), 0, atol=1e-6)
    np.testing.assert_allclose(block, block.T, atol=1e-9)
    assert np.isnan(d.loc["proto_FAST_00", "proto_INV_00"])  # different branches, different spaces
    spread = intra_class_distances(clf)
    assert list(spread.index) == ["FAST", "INV", "NORM"]
    assert (spread["max_distance"] >= spread["min_distance"]).all()


def test_fit_rejects_misaligned_labels(toy):
    from interp_ecg.errors import ConfigError

    x, y = toy
    with pytest.raises(ConfigError):
        ProtoECGNetClassifier(**TINY).fit(x, y.iloc[:5])


@pytest.mark.slow
def test_learns_toy_morphology_on_held_out_records():
    """Inverted beats are learned (held-out AUROC) by the partial-prototype branch."""
    from sklearn.metrics import roc_auc_score

    x, y = toy_cohort(120, seed=5)
    clf = ProtoECGNetClassifier(**dict(TINY, width=4, warmup_epochs=4, joint_epochs=4, last_layer_epochs=5,
                                       fusion_epochs=30)).fit(x[:80], y.iloc[:80])
    p = clf.predict_proba(x[80:])
    assert roc_auc_score(y["INV"].iloc[80:], p[:, clf.classes_.index("INV")]) > 0.9


def test_mixed_precision_path_runs_on_cpu_autocast(toy):
    """The AMP code path (autocast + float32 similarities and losses) runs end to end; on a CPU
    it is exercised with bfloat16 autocast (CUDA uses bfloat16 where supported, else float16 with
    loss scaling)."""
    x, y = toy
    specs = [BranchSpec("rhythm", ["FAST"], "1d", "global", 1), BranchSpec("morphology", ["INV"], "2d", "partial", 2)]
    cfg = TrainConfig(warmup_epochs=1, joint_epochs=1, last_layer_epochs=1, fusion_epochs=1, batch_size=8)
    tr = ProtoTrainer(ProtoECGNet(specs, width=2, blocks=(1, 1, 1, 1)), torch.as_tensor(x[:16]),
                      y[["FAST", "INV"]].to_numpy()[:16], list(range(16)), cfg, device="cpu", random_state=0)
    tr.use_amp, tr.amp_dtype = True, torch.bfloat16
    tr.run()
    assert all(np.isfinite(h["bce"]) for h in tr.history)
    assert tr.similarities(torch.as_tensor(x[:4])).dtype == torch.float32
    proto = tr.model.branches["morphology"].prototype_layer.prototypes
    assert proto.dtype == torch.float32 and torch.isfinite(proto).all()



def test_batch_norm_statistics_are_those_of_the_training_records(fitted, toy):
    """Before the push the running statistics are recomputed over the training records, so the
    eval-mode network (push, last layers, inference) is the trained one: the first batch norm of
    each backbone holds the per-channel mean and (unbiased) variance of its input over the 24
    training records (one recalibration batch)."""
    clf, _ = fitted
    x = torch.as_tensor(clf.network_input(toy[0])[0])
    for branch in clf.model_.branches.values():
        bb = branch.backbone
        with torch.no_grad():
            a = bb.conv1(x if branch.spec.kind == "1d" else x.unsqueeze(1))  # (N, C, T) or (N, C, 1, T)
        a = a.transpose(0, 1).flatten(1).double()
        torch.testing.assert_close(bb.bn1.running_mean.double(), a.mean(1), rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(bb.bn1.running_var.double(), a.var(1), rtol=1e-3, atol=1e-6)


def test_similarities_vary_across_training_records(fitted, toy):
    """Notebook 02's symptom: every prototype's similarity was the same for every record (spread
    1e-4 of its range) because eval mode ran on unconverged batch-norm statistics."""
    clf, _ = fitted
    spread = clf.transform(toy[0]).agg(lambda c: c.max() - c.min())
    scales = np.concatenate([np.full(b.n_prototypes, b.prototype_layer.scale) for b in clf.model_.branches.values()])
    assert (spread.to_numpy() / scales > 1e-3).all(), spread.to_dict()


def test_constant_similarities_are_flagged():
    """A prototype that scores every record alike (notebook 02 before the batch-norm fix: 4.3330 vs
    4.3329 at scale 13/3) is named; a varying one is not; one record cannot be judged."""
    from interp_ecg.prototypes import constant_similarity_prototypes

    sims = pd.DataFrame({"proto_A_00": [4.3330, 4.3329, 4.3330, np.nan], "proto_B_00": [0.2, 0.6, 0.4, np.nan],
                         "proto_C_00": [1.0, 1.0, 1.0, np.nan]})
    flat = constant_similarity_prototypes(sims, [13 / 3, 1.0, 1.0])
    assert list(flat.index) == ["proto_A_00", "proto_C_00"]
    assert flat["proto_A_00"] == pytest.approx(1e-4 * 3 / 13, rel=1e-3)
    assert flat["proto_C_00"] == 0.0
    assert constant_similarity_prototypes(sims.iloc[:1], [1.0, 1.0, 1.0]).empty


def test_transform_warns_when_a_prototype_scores_every_record_alike(fitted, toy, monkeypatch):
    clf, _ = fitted
    x = toy[0][:5]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.transform(x)  # the fitted toy model's similarities vary: no warning
    real = clf.logits_and_similarities

    def flat_proto(xin, batch_size=128):
        logits, sims = real(xin, batch_size)
        sims[:, 0] = 0.5
        return logits, sims

    monkeypatch.setattr(clf, "logits_and_similarities", flat_proto)
    with pytest.warns(UserWarning, match=clf.feature_names_out_[0]):
        clf.transform(x)


def test_black_box_comparison_uses_the_training_batch_norm_statistics(toy):
    """The comparison network is recalibrated too: before, its eval-mode outputs on notebook 02's
    cohort varied by < 0.01 in probability (statistics near their (0, 1) start)."""
    from interp_ecg.prototypes import BlackBoxECGClassifier

    x_raw, y = toy
    bb = BlackBoxECGClassifier(preset="small", width=2, blocks=(1, 1, 1, 1), epochs=1, batch_size=8,
                               label_groups={"rhythm": ["FAST"], "morphology": ["INV"], "global": ["NORM"]},
                               random_state=0, n_threads=1).fit(x_raw, y)
    x = torch.as_tensor(bb.network_input(x_raw)[0])
    for name, backbone in bb.model_.backbones.items():
        with torch.no_grad():
            a = backbone.conv1(x if isinstance(backbone.bn1, torch.nn.BatchNorm1d) else x.unsqueeze(1))
        a = a.transpose(0, 1).flatten(1).double()
        torch.testing.assert_close(backbone.bn1.running_mean.double(), a.mean(1), rtol=1e-4, atol=1e-6)

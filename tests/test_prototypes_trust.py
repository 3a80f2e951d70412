"""Trust of the prototype network's outputs: short (zero-padded) records, model-file integrity,
post-push source similarities, and clear errors for records without the 12 leads.

Tiny models on the synthetic toy cohort of tests/test_prototypes.py (CPU, seconds).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from test_prototypes import TINY, toy_cohort

from interp_ecg.errors import ConfigError, IntegrityError, ModelError
from interp_ecg.io import EcgDataset, Record
from interp_ecg.io.leads import STANDARD_LEADS
from interp_ecg.prototypes import ProtoECGNetClassifier
from interp_ecg.prototypes.explain import matched_windows

FS = 100
SHORT = 400  # a 4-s record in the network's 10-s input


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """One torch thread for this module (tests/conftest.py)."""


class _CutLoader:
    """Records of the toy cohort, the ones named in ``lengths`` cut to that many samples."""

    def __init__(self, x: np.ndarray, ids: pd.Index, lengths: dict) -> None:
        self.x, self.pos, self.lengths = x, {rid: i for i, rid in enumerate(ids)}, lengths

    def __call__(self, record_id, row) -> Record:
        sig = self.x[self.pos[record_id]][:, : self.lengths.get(record_id, self.x.shape[-1])]
        return Record(str(record_id), sig, float(FS), list(STANDARD_LEADS), source=f"toy/{record_id}")


@pytest.fixture(scope="module")
def toy():
    return toy_cohort(24, seed=1)


@pytest.fixture(scope="module")
def fitted(toy):
    x, y = toy
    return ProtoECGNetClassifier(**TINY).fit(x, y)


# -- 1. short records: no window, source or "match" in the zero padding --------------------------
def test_explain_short_record_keeps_windows_in_real_samples(fitted, toy):
    """A 4-s record: every matched window ends by sample 400, global prototypes (which compare the
    whole 10-s input) are reported as not matchable with the reason, and a warning names the length."""
    clf = fitted
    x, _ = toy
    with pytest.warns(UserWarning, match=r"4\.00 s, shorter than the network input of 10\.00 s"):
        expl = clf.explain(x[0][:, :SHORT], threshold=0.0, max_statements=3, prototypes_per_statement=6)
    c = expl.contributions
    ok = c[c["matchable"]]
    assert len(ok) and (ok["end_sample"] <= SHORT).all() and (ok["start_sample"] >= 0).all()
    glob = set(clf.prototype_sources_.index[clf.prototype_sources_["branch"].isin(["rhythm", "global"])])
    listed_glob = c[c["prototype"].isin(glob)]
    assert len(listed_glob) and not listed_glob["matchable"].any()
    assert listed_glob["start_sample"].isna().all()
    assert listed_glob["window_note"].str.contains("whole 10.00-s input and the record has 4.00 s").all()
    assert expl.signal.shape[-1] == SHORT and "zero-padded" in expl.note
    fig = expl.plot()  # draws a text panel for the rows without a window
    assert len(fig.axes) == 2 * min(len(c), 6)
    win = matched_windows(clf, clf.network_input(x[:1])[0], length=SHORT)
    assert (win.loc[win["matchable"], "end_sample"] <= SHORT).all()


def test_full_length_record_explanation_unchanged(fitted, toy):
    """A 10-s record: every prototype is matchable (nothing changes for full-length input)."""
    clf = fitted
    x, _ = toy
    win = matched_windows(clf, clf.network_input(x[:1])[0])
    assert win["matchable"].all() and (win["end_sample"] <= 1000).all()


def test_predict_proba_warns_about_padded_records(fitted, toy):
    x, _ = toy
    with pytest.warns(UserWarning, match=r"zero-padded at the end: 0 \(4\.00 s\)"):
        p = fitted.predict_proba(x[:1, :, :SHORT])
    assert np.isfinite(p).all()


def test_push_takes_sources_from_real_samples_only(toy):
    """Two thirds of the training records are 4 s long: every source window lies inside its
    record's real samples, and global prototypes come from records that fill the input."""
    x, y = toy
    short = {rid: SHORT for k, rid in enumerate(y.index) if k % 3 != 0}
    ds = EcgDataset(pd.DataFrame(index=y.index), _CutLoader(x, y.index, short), labels=y, fs=FS)
    with pytest.warns(UserWarning, match="16 record\\(s\\) shorter than the network input"):
        clf = ProtoECGNetClassifier(**TINY).fit(ds)
    src = clf.prototype_sources_
    real = src["record_id"].map(lambda r: short.get(r, 1000))
    assert (src["end_sample"] <= real).all() and (src["start_sample"] >= 0).all()
    glob = src["branch"].isin(["rhythm", "global"])
    assert (real[glob] == 1000).all()
    for name, seg in clf.prototype_segments_.items():  # no zero-padding in any source segment
        assert not (np.abs(seg) == 0).all(axis=0).any(), name


def test_push_refuses_when_no_record_fills_a_global_prototype(toy):
    """All training records 3 s long: the global prototypes cannot be real segments -> clear refusal."""
    x, y = toy
    with pytest.warns(UserWarning, match="shorter than the network input"):
        with pytest.raises(ModelError, match="cannot be pushed onto a real training segment.*set n_samples"):
            ProtoECGNetClassifier(**TINY).fit(x[:, :, :300], y)


# -- 2. model-file integrity: the feature models' manifest scheme ---------------------------------
def test_save_writes_manifest_and_load_checks_it(fitted, toy, tmp_path):
    """An altered weight or an edited source record id is refused, naming the file; the manifest's
    digest pins the model; a pickle is still refused without being unpickled."""
    x, _ = toy
    path = fitted.save(tmp_path / "m.pt")
    digest = fitted.manifest_digest_
    assert (tmp_path / "m.pt.manifest.json").is_file()
    assert ProtoECGNetClassifier.manifest_digest(path) == digest
    again = ProtoECGNetClassifier.load(path, device="cpu", n_threads=1, expected_digest=digest)
    np.testing.assert_array_equal(again.predict_proba(x[:2]), fitted.predict_proba(x[:2]))
    assert again.manifest_digest_ == digest
    with pytest.raises(IntegrityError, match="does not match the expected digest"):
        ProtoECGNetClassifier.load(path, device="cpu", expected_digest="0" * 64)

    state = torch.load(path, weights_only=True)
    key = next(k for k in state["model"] if k.endswith("fusion.weight"))
    state["model"][key] = -state["model"][key]
    torch.save(state, path)
    with pytest.raises(IntegrityError, match="checksum mismatch for m.pt") as info:
        ProtoECGNetClassifier.load(path, device="cpu")
    assert str(path) in str(info.value)

    fitted.save(path)
    state = torch.load(path, weights_only=True)
    meta = json.loads(state["meta_json"])
    meta["sources"][0]["record_id"] = "rec999"
    state["meta_json"] = json.dumps(meta)
    torch.save(state, path)
    with pytest.raises(IntegrityError, match="checksum mismatch for m.pt"):
        ProtoECGNetClassifier.load(path, device="cpu")


def test_file_without_manifest_warns_and_cannot_be_pinned(fitted, tmp_path):
    path = fitted.save(tmp_path / "m.pt")
    (tmp_path / "m.pt.manifest.json").unlink()
    with pytest.warns(UserWarning, match="integrity is not checked"):
        loaded = ProtoECGNetClassifier.load(path, device="cpu")
    assert loaded.manifest_digest_ is None
    with pytest.raises(IntegrityError, match="cannot check the expected digest"):
        ProtoECGNetClassifier.load(path, device="cpu", expected_digest=fitted.manifest_digest_)
    # the stored sources must still agree with the stored segments
    state = torch.load(path, weights_only=True)
    meta = json.loads(state["meta_json"])
    meta["sources"][0]["end_sample"] = int(meta["sources"][0]["end_sample"]) + 7
    state["meta_json"] = json.dumps(meta)
    torch.save(state, path)
    with pytest.warns(UserWarning), pytest.raises(IntegrityError, match="does not match its stored segment"):
        ProtoECGNetClassifier.load(path, device="cpu")


# -- 3. prototype_sources_["similarity"] is the pushed prototype's similarity to its source -------
def test_source_similarity_is_after_the_push(fitted, toy):
    """Each prototype scores its own source window at 1 x the branch's scale (an exact copy), not
    the pre-push value; the best-scoring training record is reported beside it."""
    clf = fitted
    x, y = toy
    src = clf.prototype_sources_
    scale = pd.Series(clf.similarity_scales(), index=clf.feature_names_out_)
    np.testing.assert_allclose(src["similarity"] / scale, 1.0, atol=1e-3)
    assert (np.abs(src["similarity_before_push"] / scale - 1.0) > 1e-3).any()  # what the column held before
    win = {}
    for name, row in src.iterrows():  # the matched window on the source record is the stored source
        xi = clf.network_input(x[[list(y.index).index(row["record_id"])]])[0]
        win[name] = matched_windows(clf, xi).loc[name, "similarity"]
    np.testing.assert_allclose(pd.Series(win), src["similarity"], atol=1e-4)
    best = pd.concat([matched_windows(clf, clf.network_input(x[[i]])[0])["similarity"] for i in range(len(x))],
                     axis=1).set_axis(y.index, axis=1)
    np.testing.assert_allclose(src["best_training_similarity"], best.max(axis=1)[src.index], atol=1e-4)
    assert (src["best_training_similarity"] >= src["similarity"] - 1e-5).all()
    named = [best.loc[name, rec] for name, rec in src["best_training_record"].items()]
    np.testing.assert_allclose(named, best.max(axis=1)[src.index], atol=1e-4)  # (ties: any of them)


# -- 4. a record without the 12 leads: the error names the record, its leads and the missing ones --
def test_explain_names_record_and_leads_when_leads_are_missing(fitted, toy, tmp_path):
    wfdb = pytest.importorskip("wfdb")
    from interp_ecg import io

    x, _ = toy
    wfdb.wrsamp("three", fs=FS, units=["mV"] * 3, sig_name=["I", "II", "V5"], p_signal=x[0][[0, 1, 10]].T.astype(float),
                fmt=["16"] * 3, adc_gain=[1000] * 3, baseline=[0] * 3, write_dir=str(tmp_path))
    ds = io.read_wfdb(tmp_path)
    for record in (ds.load(ds.meta.index[0]), ds):
        with pytest.raises(ConfigError) as info:
            fitted.explain(record)
        msg = str(info.value)
        assert "three.hea" in msg and "needs the 12 standard leads" in msg
        assert "3 channels (I, II, V5)" in msg and "missing III, aVR, aVL, aVF, V1, V2, V3, V4, V6" in msg
    with pytest.raises(ConfigError, match="it has 3 rows"):
        fitted.explain(x[0][[0, 1, 10]])


def test_cli_prototypes_describe_checks_the_expected_digest(fitted, tmp_path):
    """`prototypes describe --expected-digest` refuses a model whose manifest is not the pinned one,
    naming the file, before any dataset is read."""
    from typer.testing import CliRunner

    from interp_ecg.cli import app

    path = fitted.save(tmp_path / "m.pt")
    res = CliRunner().invoke(app, ["prototypes", "describe", str(path), str(tmp_path / "no-data"),
                                   "--expected-digest", "0" * 64, "--no-pdf"])
    assert res.exit_code != 0
    assert "does not match the expected digest" in res.output and "manifest" in res.output

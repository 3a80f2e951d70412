"""Resume refuses a folder written from other data or by other code (user 6, findings 1-2)."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import ConfigError
from interp_ecg.features import extract
from interp_ecg.features.synthetic import OffsetDelineator, gaussian_ecg
from interp_ecg.io import ArrayLoader, EcgDataset

FS = 500


def _dataset(hrs, name="synthetic", fs=FS) -> EcgDataset:
    sigs = np.stack([gaussian_ecg(hr_bpm=hr, fs=fs, noise_mV=0.01, random_state=i)[0] for i, hr in enumerate(hrs)])
    meta = pd.DataFrame({"patient_id": np.arange(len(hrs))},
                        index=pd.Index([f"r{i}" for i in range(len(hrs))], name="record_id"))
    return EcgDataset(meta, ArrayLoader(sigs, fs=fs), fs=fs, name=name)


def _run(ds, out, **kw):
    return extract(ds, out=out, progress=False, method=OffsetDelineator(), chunk_size=2, **kw)


def test_same_ids_other_signals_refuse_to_resume(tmp_path):
    """Two datasets with the same record ids: the second must not get the first's features."""
    first, second = _dataset([60, 60, 60]), _dataset([90, 90, 90])
    out = tmp_path / "feat"
    a = _run(first, out)
    np.testing.assert_allclose(a["heart_rate_bpm"], 60, atol=1)
    with pytest.raises(ConfigError, match=r"loader\.signals\.sha256"):
        _run(second, out)
    # the right values: a fresh folder, or overwrite=True
    b = _run(second, out, overwrite=True)
    np.testing.assert_allclose(b["heart_rate_bpm"], 90, atol=1)


def test_other_sampling_rate_refuses_to_resume_and_names_it(tmp_path):
    ds = _dataset([60, 70])
    out = tmp_path / "feat"
    _run(ds, out)
    with pytest.raises(ConfigError, match=r"dataset\.fs: 500\.0 in the folder, 250\.0 now"):
        _run(ds.resample(250), out)


def test_other_name_or_leads_refuse(tmp_path):
    ds = _dataset([60, 70])
    out = tmp_path / "feat"
    _run(ds, out)
    other = EcgDataset(ds.meta, ds.loader, fs=FS, name="ludb")
    with pytest.raises(ConfigError, match=r"dataset\.name: 'synthetic' in the folder, 'ludb' now"):
        _run(other, out)
    with pytest.raises(ConfigError, match=r"dataset\.leads"):
        _run(ds.select_leads(["I", "II", "V1", "V5"]), out)


def test_same_dataset_resumes(tmp_path):
    ds = _dataset([60, 70, 80])
    out = tmp_path / "feat"
    ref = _run(ds, out)
    (out / "chunk-000001.parquet").unlink()
    pd.testing.assert_frame_equal(_run(_dataset([60, 70, 80]), out), ref)


def test_wfdb_folders_with_the_same_record_names(tmp_path):
    """Two WFDB folders holding records of the same names (another database, another rate):
    the resume is refused naming the loader's root."""
    import wfdb

    from interp_ecg.io import read_wfdb

    for folder, hr in (("a", 60), ("b", 90)):
        (tmp_path / folder).mkdir()
        for i in range(2):
            sig = gaussian_ecg(hr_bpm=hr, noise_mV=0.01, random_state=i)[0]
            wfdb.wrsamp(f"rec{i}", fs=FS, units=["mV"] * sig.shape[0],
                        sig_name=["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"],
                        p_signal=sig.T.astype(float), fmt=["16"] * sig.shape[0], write_dir=str(tmp_path / folder))
    out = tmp_path / "feat"
    _run(read_wfdb(tmp_path / "a"), out)
    with pytest.raises(ConfigError, match=r"dataset\.loader\.root"):
        _run(read_wfdb(tmp_path / "b"), out)


def test_a_manifest_without_identity_is_refused(tmp_path):
    """A folder written before the manifest recorded the dataset: nothing says what it
    measured, so it is not resumed."""
    import json

    ds = _dataset([60, 70])
    out = tmp_path / "feat"
    _run(ds, out)
    path = out / "_manifest.json"
    manifest = json.loads(path.read_text())
    del manifest["extra"]["dataset"]
    path.write_text(json.dumps(manifest))
    with pytest.raises(ConfigError, match=r"; dataset: absent in the folder|: dataset: absent in the folder"):
        _run(ds, out)


# --------------------------------------------------------------------------- finding 2: code
def test_resume_refuses_chunks_of_other_code(tmp_path, monkeypatch):
    """A run interrupted, then resumed after the feature code changed, must not mix the two."""
    X = importlib.import_module("interp_ecg.features.extract")

    ds = _dataset([60, 70, 80])
    out = tmp_path / "feat"
    _run(ds, out)
    (out / "chunk-000001.parquet").unlink()  # = a killed run
    monkeypatch.setattr(X, "_sources_digest", lambda: ("0" * 64, 1))
    with pytest.raises(ConfigError, match=r"code\.sources_sha256 differ"):
        _run(ds, out)


def test_resume_refuses_other_delineation_params(tmp_path, monkeypatch):
    from interp_ecg.features.delineation import core
    from interp_ecg.features.delineation.params import Params

    ds = _dataset([60, 70])
    out = tmp_path / "feat"
    _run(ds, out)
    monkeypatch.setattr(core, "DEFAULT_PARAMS", Params(qrs_on=0.05))
    with pytest.raises(ConfigError, match=r"code\.delineation_params_sha256 differ"):
        _run(ds, out)


def test_code_fingerprint_is_hashed_once(monkeypatch):
    X = importlib.import_module("interp_ecg.features.extract")

    X.code_fingerprint()
    before = X._sources_digest.cache_info().hits
    X.code_fingerprint()
    assert X._sources_digest.cache_info().hits == before + 1


def test_extract_cached_remeasures_for_other_code_or_data(tmp_path, monkeypatch, caplog):
    import logging

    X = importlib.import_module("interp_ecg.features.extract")

    calls = []
    real = X.extract

    def counting(ds, **kw):
        calls.append(len(ds))
        return real(ds, method=OffsetDelineator(), **kw)

    monkeypatch.setattr(X, "extract", counting)
    cache = tmp_path / "features.parquet"
    first = X.extract_cached(_dataset([60, 60]), cache)
    np.testing.assert_allclose(first["heart_rate_bpm"], 60, atol=1)
    X.extract_cached(_dataset([60, 60]), cache)
    assert calls == [2]  # reused
    # same record ids, other signals: the right values, not the cached ones
    with caplog.at_level(logging.INFO, "interp_ecg.features.extract"):
        other = X.extract_cached(_dataset([90, 90]), cache)
    np.testing.assert_allclose(other["heart_rate_bpm"], 90, atol=1)
    assert calls == [2, 2] and "other code or from other data" in caplog.text
    # other code: measured again, with a log line naming what differs
    caplog.clear()
    monkeypatch.setattr(X, "_sources_digest", lambda: ("0" * 64, 1))
    with caplog.at_level(logging.INFO, "interp_ecg.features.extract"):
        X.extract_cached(_dataset([90, 90]), cache)
    assert calls == [2, 2, 2] and "code.sources_sha256 differ" in caplog.text
    # a cache without provenance (an older version's) is not trusted
    plain = pd.read_parquet(cache)
    plain.attrs = {}
    plain.to_parquet(cache)
    caplog.clear()
    with caplog.at_level(logging.INFO, "interp_ecg.features.extract"):
        X.extract_cached(_dataset([90, 90]), cache)
    assert calls == [2, 2, 2, 2] and "records no code fingerprint" in caplog.text


def test_resume_refuses_other_numerical_library_versions(tmp_path, monkeypatch):
    # the same interp-ecg sources on another numpy/scipy release may filter or round otherwise
    import importlib.metadata as md

    ds = _dataset([60, 70])
    out = tmp_path / "feat"
    _run(ds, out)
    real = md.version
    monkeypatch.setattr(md, "version", lambda name: "0.0.1" if name == "scipy" else real(name))
    with pytest.raises(ConfigError, match=r"code\.libraries"):
        _run(ds, out)

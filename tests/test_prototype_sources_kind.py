"""Prototype sources say whether they are record ids or array rows (user16 finding 10)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import ConfigError
from interp_ecg.io import ArrayLoader, EcgDataset
from interp_ecg.prototypes import ProtoECGNetClassifier
from tests.test_prototypes import TINY, toy_cohort


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """One torch thread for this module (tests/conftest.py)."""


@pytest.fixture(scope="module")
def toy():
    x, y = toy_cohort(24, seed=1)
    # record ids that are numbers but not the row numbers (as PTB-XL ecg_ids)
    y.index = pd.Index(np.arange(24) * 7 + 3, name="ecg_id")
    return x, y


@pytest.fixture(scope="module")
def array_fit(toy):
    x, y = toy
    return ProtoECGNetClassifier(**TINY).fit(x, y.to_numpy())


def test_array_labels_give_array_row_sources_and_survive_save_load(array_fit, toy, tmp_path):
    x, _ = toy
    src = array_fit.prototype_sources_
    assert set(src["source_kind"]) == {"array_row"}
    row = int(src["record_id"].iloc[0])
    name = src.index[0]
    seg = array_fit.prototype_segments_[name]
    s, e = int(src["start_sample"].iloc[0]), int(src["end_sample"].iloc[0])
    net, _, _ = array_fit.network_input(x[row:row + 1])
    from interp_ecg.io.leads import STANDARD_LEADS

    idx = [STANDARD_LEADS.index(ld) for ld in str(src["leads"].iloc[0]).split(",")]
    np.testing.assert_array_equal(seg, net[0, idx, s:e])  # the source is that ROW of the array
    loaded = ProtoECGNetClassifier.load(array_fit.save(tmp_path / "m.pt"), device="cpu")
    assert list(loaded.prototype_sources_["source_kind"]) == list(src["source_kind"])


def test_dataframe_labels_give_record_id_sources(toy):
    x, y = toy
    clf = ProtoECGNetClassifier(**TINY).fit(x, y)
    assert set(clf.prototype_sources_["source_kind"]) == {"record_id"}
    assert set(clf.prototype_sources_["record_id"].astype(int)) <= set(y.index)


def test_cards_refuse_array_row_sources_naming_the_prototype(array_fit, toy):
    """Row 3 exists as ecg_id 3 in the dataset: it must not be described as that record."""
    from interp_ecg.explain import prototype_cards

    x, y = toy
    ds = EcgDataset(pd.DataFrame(index=pd.Index(range(24), name="ecg_id")), ArrayLoader(x, fs=100), fs=100)
    name = array_fit.prototype_sources_.index[0]
    with pytest.raises(ConfigError, match=rf"{name}: its source is array row \d+ of the array the model was fitted on"):
        prototype_cards(array_fit, ds, pd.DataFrame(index=ds.meta.index))


def test_cards_without_features_say_what_to_pass(array_fit, toy):
    from interp_ecg.explain import prototype_cards

    x, _ = toy
    ds = EcgDataset(pd.DataFrame(index=pd.Index(range(24), name="ecg_id")), ArrayLoader(x, fs=100), fs=100)
    with pytest.raises(ConfigError, match=r"features=interp_ecg.features.extract\(dataset\)"):
        prototype_cards(array_fit, ds, None)


def test_explanations_name_array_rows_as_rows(array_fit, toy):
    x, _ = toy
    ex = array_fit.explain(x[:1])
    assert set(ex.contributions["source_kind"]) == {"array_row"}


def test_explanations_give_pooled_and_window_similarity(array_fit, toy):
    """user16 F7: the similarity column is the record mean; the matched window's own is beside it."""
    from interp_ecg.prototypes.explain import matched_windows

    x, _ = toy
    ex = array_fit.explain(x[:1])
    c = ex.contributions.iloc[0]
    sims = array_fit.transform(x[:1])
    assert c["similarity"] == pytest.approx(float(sims.iloc[0][c["prototype"]]), abs=1e-6)
    net, _, _ = array_fit.network_input(x[:1])
    win = matched_windows(array_fit, net)
    assert c["window_similarity"] == pytest.approx(float(win.loc[c["prototype"], "similarity"]), abs=1e-6)
    assert c["window_similarity"] >= c["similarity"] - 1e-6  # the best window is at least the mean

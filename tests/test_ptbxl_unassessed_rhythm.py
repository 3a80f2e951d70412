"""PTB-XL records without any rhythm statement: rhythm labels unknown (NaN), masked in training
and left out of scores (user16 finding 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from interp_ecg.io import read_ptbxl
from interp_ecg.prototypes import ProtoECGNetClassifier
from interp_ecg.prototypes.losses import bce_loss, positive_weights, separation_loss
from interp_ecg.prototypes.training import macro_auroc
from tests.test_prototypes import TINY, toy_cohort

RHYTHM = ["SR", "AFIB", "STACH", "SBRAD", "SARRH", "PACE", "SVARR", "BIGU", "AFLT", "SVTAC", "PSVT", "TRIGU"]


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """One torch thread for this module (tests/conftest.py)."""


def test_shared_ptbxl_records_without_rhythm_statement_are_unknown(ptbxl_root):
    ds = read_ptbxl(ptbxl_root, sampling_rate=100)
    lab = ds.labels
    assert lab.attrs["n_without_rhythm"] == 29
    assert lab.attrs["without_rhythm"][:5] == [128, 135, 151, 164, 181]
    assert lab.loc[128, RHYTHM].isna().all()
    assert int(lab["SR"].isna().sum()) == 29
    assert lab[RHYTHM].notna().sum(axis=1).isin([0, 12]).all()  # a record's rhythm is all known or all unknown
    assert lab["NORM"].dtype == np.uint8 and lab["SR"].dtype == np.float64
    old = read_ptbxl(ptbxl_root, sampling_rate=100, unassessed_rhythm="negative").labels
    assert int(old.loc[128, "SR"]) == 0 and old["SR"].dtype == np.uint8
    pd.testing.assert_series_equal(old["SR"].astype(float)[lab["SR"].notna()], lab["SR"].dropna())


def test_bce_masks_unknown_labels():
    logits = torch.tensor([[2.0, -1.0], [0.5, 3.0], [-1.0, 0.0]])
    y = torch.tensor([[1.0, float("nan")], [0.0, 1.0], [float("nan"), 0.0]])
    known = ~torch.isnan(y)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(logits[known], y[known])
    torch.testing.assert_close(bce_loss(logits, y), expected)
    # separation: a record is not pushed from prototypes of a class it was not assessed for
    sims = torch.tensor([[1.0, 5.0], [2.0, 0.5]])
    ident = torch.eye(2)
    y2 = torch.tensor([[0.0, float("nan")], [1.0, 0.0]])
    # known entries: (0,0): max(S0 * (1-[1*0, 0])) = 5; (1,0): max(2*0, 0.5*1) = 0.5; (1,1): max(2, 0.5*1) = 2
    assert float(separation_loss(sims, y2, ident)) == pytest.approx((5 + 0.5 + 2) / 3)


def test_positive_weights_and_auroc_count_known_labels_only():
    y = np.array([[1, np.nan], [0, 1], [0, 0], [np.nan, 0]])
    assert positive_weights(y).tolist() == [2.0, 2.0]
    scores = np.array([[0.9, 0.99], [0.1, 0.8], [0.2, 0.1], [0.95, 0.05]])
    assert macro_auroc(y, scores) == 1.0  # the NaN rows (which would rank wrongly) are left out


def test_fit_with_unknown_labels_masks_them(tmp_path):
    x, y = toy_cohort(24, seed=1)
    y = y.astype(float)
    y.iloc[:6, y.columns.get_loc("FAST")] = np.nan
    clf = ProtoECGNetClassifier(**TINY).fit(x, y)
    known = y["FAST"].dropna()
    pos, neg = int(known.sum()), int((known == 0).sum())
    assert clf.positive_weights_["FAST"] == pytest.approx(max(neg / pos, 1.0))
    src = clf.prototype_sources_
    for name, row in src[src["class"] == "FAST"].iterrows():
        assert y.loc[row["record_id"], "FAST"] == 1  # sources only from known positives
    clf.calibrate(x, y)
    assert clf.calibration_.loc["FAST", "n_records"] == 18


def test_statement_metrics_leave_unknown_labels_out():
    from sklearn.metrics import roc_auc_score

    from interp_ecg.studies.ptbxl_prototypes import statement_metrics

    y = pd.DataFrame({"SR": [1, 0, 1, 0, np.nan, np.nan]})
    s = pd.DataFrame({"SR": [0.9, 0.2, 0.6, 0.4, 0.1, 0.3]})
    t = statement_metrics(y, s, [1, 2, 3, 4, 5, 6], model="net", n_boot=0)
    auc = t[(t.label == "SR") & (t.metric == "roc_auc")]
    assert float(auc["estimate"].iloc[0]) == 1.0 == roc_auc_score([1, 0, 1, 0], [0.9, 0.2, 0.6, 0.4])
    assert int(auc["n"].iloc[0]) == 4

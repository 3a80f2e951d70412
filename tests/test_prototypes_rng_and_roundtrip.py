"""fit leaves the caller's torch RNG alone (user16 F14); save/load keeps similarities exactly (F9);
the card title names the source record without a pseudonym key (F8)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from interp_ecg.prototypes import ProtoECGNetClassifier
from tests.test_prototypes import TINY, toy_cohort


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """One torch thread for this module (tests/conftest.py)."""


def test_fit_does_not_reseed_the_global_torch_rng(tmp_path):
    x, y = toy_cohort(24, seed=1)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = ProtoECGNetClassifier(**TINY).fit(x, y)
    after = torch.rand(3)
    torch.testing.assert_close(after, expected, rtol=0, atol=0)
    # still seeded: the same model under another user seed
    torch.manual_seed(999)
    b = ProtoECGNetClassifier(**TINY).fit(x, y)
    np.testing.assert_array_equal(a.predict_proba(x), b.predict_proba(x))
    # save/load: the source table round-trips exactly (similarities were rounded to 10 digits)
    loaded = ProtoECGNetClassifier.load(a.save(tmp_path / "m.pt"), device="cpu")
    pd.testing.assert_frame_equal(loaded.prototype_sources_, a.prototype_sources_, check_exact=True)

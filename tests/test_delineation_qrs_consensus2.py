"""Two-lead global QRS end: a later lead counts only as far as its slope is visible above its
noise (helper qcons2, issue 10; measured, off by default -- docs/results_features.md, round of
2026-12-01 tenth)."""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg.features.delineation import delineate
from interp_ecg.features.delineation.consensus import visible_ends, visible_later_end
from interp_ecg.features.delineation.params import Params
from interp_ecg.simulate import simulate_record


def _slope():
    # lead 0: steep until sample 104, then a tail at the noise level until 119
    s = np.zeros((2, 200))
    s[0, 60:105] = 1.0
    s[0, 105:120] = 0.1
    s[1, 60:100] = 1.0
    return s


def test_later_lead_pushes_the_end_only_over_its_visible_stretch():
    v = np.array([[120.0, 90.0, np.nan], [100.0, 100.0, 100.0]])
    use = np.ones(2, bool)
    noise = np.array([0.1, 0.1])
    out = visible_later_end(v, use, _slope(), noise, 3.0)
    # beat 0: lead 0 later, visible up to sample 104 -> 105; beat 1: lead 1 later, its
    # stretch 91..100 is flat (slope 0 from 100 on, 1.0 before) -> one after sample 99;
    # beat 2: one lead only -> its own end
    assert out.tolist() == [105.0, 100.0, 100.0]
    # a lower multiple makes the tail visible: the later lead's own end
    assert visible_later_end(v, use, _slope(), noise, 0.5).tolist() == [120.0, 100.0, 100.0]
    # off: the latest end
    assert visible_later_end(v, use, _slope(), noise, 0.0).tolist() == [120.0, 100.0, 100.0]


def test_nothing_visible_gives_the_earlier_end_and_unknown_noise_keeps_the_latest():
    s = np.zeros((2, 200))
    v = np.array([[120.0], [100.0]])
    use = np.ones(2, bool)
    assert visible_later_end(v, use, s, np.array([0.1, 0.1]), 3.0).tolist() == [100.0]
    assert visible_later_end(v, use, s, np.array([np.nan, 0.1]), 3.0).tolist() == [120.0]


def test_not_applied_unless_exactly_two_usable_leads():
    v = np.array([[120.0], [100.0], [110.0]])
    s = np.zeros((3, 200))
    assert visible_later_end(v, np.ones(3, bool), s, np.full(3, 0.1), 3.0).tolist() == [120.0]
    one = np.array([True, False, False])
    assert visible_later_end(v, one, s, np.full(3, 0.1), 3.0).tolist() == [120.0]


def test_visible_ends_per_lead():
    v = np.array([[120.0, np.nan], [100.0, 99.0]])
    st = np.array([[80.0, 80.0], [80.0, np.nan]])
    out = visible_ends(v, st, _slope(), np.array([0.1, 0.1]), 3.0)
    # lead 0 beat 0 trimmed to 105; lead 1 beat 0 ends where its slope does (100, its own
    # end); missing offset or start: unchanged
    assert out[0, 0] == 105.0 and out[1, 0] == 100.0
    assert np.isnan(out[0, 1]) and out[1, 1] == 99.0


@pytest.mark.parametrize("each", [False, True])
def test_a_clean_later_lead_still_sets_the_global_end(each):
    # lead II and a copy 10 samples later, noise-free: the later lead's stretch is its
    # complex, so the global QRS is exactly 10 samples longer than lead II's own, with the
    # rule on as without it
    s = simulate_record("normal", noise=0, random_state=3)
    names = [str(c) for c in s.fiducials["lead"].cat.categories if str(c) != "global"]
    ii = np.asarray(s.signal)[names.index("II")]
    late = np.concatenate([np.full(10, ii[0]), ii[:-10]])
    p = Params(qrs_cons2_visible_k=4.0, qrs_cons2_visible_each=each)
    one = delineate(ii[None], 500.0, ["II"])
    two = delineate(np.stack([ii, late]), 500.0, ["II", "II_late"], params=p)
    g1 = one[one["lead"] == "global"]["QRS_off"].to_numpy(float)
    g2 = two[two["lead"] == "global"]["QRS_off"].to_numpy(float)
    assert np.isfinite(g2).sum() >= 8
    np.testing.assert_array_equal(g2, g1 + 10)


def test_a_later_lead_below_the_visibility_limit_does_not_set_the_end():
    # the same pair with an absurd multiple of the noise: no sample of the later lead's
    # stretch is "visible", so the global end is lead II's own (the rule does run here)
    s = simulate_record("normal", noise=0, random_state=3)
    names = [str(c) for c in s.fiducials["lead"].cat.categories if str(c) != "global"]
    ii = np.asarray(s.signal)[names.index("II")]
    late = np.concatenate([np.full(10, ii[0]), ii[:-10]])
    one = delineate(ii[None], 500.0, ["II"])
    two = delineate(np.stack([ii, late]), 500.0, ["II", "II_late"],
                    params=Params(qrs_cons2_visible_k=1e6))
    g1 = one[one["lead"] == "global"]["QRS_off"].to_numpy(float)
    g2 = two[two["lead"] == "global"]["QRS_off"].to_numpy(float)
    assert np.isfinite(g2).sum() >= 8
    np.testing.assert_array_equal(g2, g1)

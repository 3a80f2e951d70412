"""Where a prototype points: pushed and matched windows lie inside the record with the stated length.

Notebook 02 showed a partial prototype whose source window was 0.72 s instead of 0.96 s: the
push had picked the last feature step, whose footprint ran past the end of the record and was
clipped. These tests pin the window arithmetic (the receptive-field centre of each feature
step) and check, over several record lengths and backbone depths, that every pushed window
lies wholly inside its record, spans ``width * time_stride`` samples and is the patch the
prototype now equals.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from interp_ecg.errors import ModelError
from interp_ecg.prototypes.backbones import ResNet1d, ResNet2d
from interp_ecg.prototypes.model import BranchSpec, ProtoECGNet
from interp_ecg.prototypes.push import inside_columns, push_prototypes, window_span


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """One torch thread for this module (tests/conftest.py)."""


@pytest.mark.parametrize("cls", [ResNet1d, ResNet2d])
@pytest.mark.parametrize("blocks", [(1, 1, 1), (1, 1, 1, 1)])
def test_feature_step_j_is_centred_on_input_sample_j_times_stride(cls, blocks):
    """The offset the windows use: the receptive field of step ``j`` is centred on ``j * stride``
    (not ``(j + 0.5) * stride``), measured as the centre of mass of |d z_j / d x|."""
    torch.manual_seed(0)
    net = cls(12, 4, blocks).eval()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d)):
                m.weight.abs_()  # positive weights: no cancellation in the gradient
    n = 800
    x = torch.randn(1, 12, n, generator=torch.Generator().manual_seed(1)).requires_grad_(True)
    z = net(x)
    stride = net.time_stride
    for j in (3, 8, 12):
        (g,) = torch.autograd.grad(z[0, :, 0, j].sum(), x, retain_graph=True)
        w = g.abs().sum(0)
        centre = float((w * torch.arange(n)).sum() / w.sum())
        # the window convention is off by stride / 2 if the centre were (j + 0.5) * stride
        assert abs(centre - j * stride) <= 0.2 * stride, (j, centre, j * stride)


@settings(max_examples=200, deadline=None)
@given(n_samples=st.integers(40, 5000), stride_exp=st.integers(2, 6), width=st.integers(1, 12))
def test_inside_columns_are_exactly_the_windows_inside_the_record(n_samples, stride_exp, width):
    stride = 2 ** stride_exp
    n_cols = -(-n_samples // stride)  # about the backbone's map width
    width = min(width, n_cols)
    mask = inside_columns(n_cols, width, stride, n_samples)
    assert mask.shape == (n_cols - width + 1,)
    for col, ok in enumerate(mask):
        s0, s1 = window_span(col, width, stride, n_cols, n_samples)
        if width == n_cols:
            assert (s0, s1) == (0, n_samples) and ok
            continue
        assert s1 - s0 == width * stride  # the stated length, always
        assert ok == (s0 >= 0 and s1 <= n_samples)
        # the window is centred on the receptive-field centres of its steps
        assert (s0 + s1) / 2 == pytest.approx((col + (width - 1) / 2) * stride)


@pytest.mark.parametrize("n_samples,blocks,window_s", [
    (1000, (1, 1, 1, 1), 0.9),   # notebook 02's setting: 3 steps of 32 samples = 0.96 s
    (1000, (1, 1, 1), 0.9),      # stride 16: 6 steps
    (730, (1, 1, 1, 1), 0.9),    # a length that is not a multiple of the stride
    (500, (1, 1, 1, 1), 0.5),
    (2500, (1, 1, 1, 1), 1.5),
])
def test_pushed_windows_lie_inside_the_record_with_the_stated_length(n_samples, blocks, window_s):
    """Prototypes are first set to the patch at the record's very end (which a push would pick,
    being an exact match); after the push every window is inside the record, ``width * stride``
    long, its segment is the record's samples there, and the prototype is that window's patch."""
    torch.manual_seed(0)
    specs = [BranchSpec("morphology", ["A", "B"], "2d", "partial", 2),
             BranchSpec("beat", ["C"], "1d", "partial", 2)]
    net = ProtoECGNet(specs, width=4, blocks=blocks, n_samples=n_samples, fs=100, partial_window_s=window_s)
    rng = np.random.default_rng(0)
    x = torch.as_tensor(rng.normal(size=(6, 12, n_samples)).astype(np.float32))
    y = torch.tensor([[1, 0, 1], [0, 1, 1], [1, 0, 0], [0, 1, 0], [1, 1, 1], [0, 0, 1]], dtype=torch.float32)
    net.eval()
    with torch.no_grad():
        for b in net.branches.values():
            z = b.embed(x)
            _, ph, pw = b.prototype_shape
            b.prototype_layer.prototypes.data[:] = z[:1, :, :ph, -pw:]  # the edge patch of record 0
    result = push_prototypes(net, x, y, [f"r{i}" for i in range(6)])
    assert len(result.sources) == 6
    for src in result.sources:
        b = net.branches[src["branch"]]
        _, ph, pw = b.prototype_shape
        stride = b.time_stride
        s0, s1 = src["start_sample"], src["end_sample"]
        assert 0 <= s0 < s1 <= n_samples, src
        assert s1 - s0 == pw * stride, src
        seg = result.segments[src["prototype"]]
        np.testing.assert_array_equal(seg, x[src["record_index"]][:, s0:s1].numpy())
        col = (s0 + stride // 2) // stride
        with torch.no_grad():
            patch = b.embed(x[src["record_index"]:src["record_index"] + 1])[0, :, :ph, col:col + pw]
        j = [s["prototype"] for s in result.sources if s["branch"] == src["branch"]].index(src["prototype"])
        torch.testing.assert_close(b.prototype_layer.prototypes.detach()[j], patch, atol=1e-5, rtol=1e-5)


def test_records_too_short_for_a_partial_window_are_an_error():
    net = ProtoECGNet([BranchSpec("morphology", ["A"], "2d", "partial", 1)], width=4, blocks=(1, 1, 1, 1),
                      n_samples=100, fs=100, partial_window_s=0.9)
    x = torch.randn(3, 12, 100)
    with pytest.raises(ModelError, match="no prototype window"):
        push_prototypes(net, x, torch.ones(3, 1), ["a", "b", "c"])

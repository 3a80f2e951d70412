"""The shipped PTB-XL prototype study runs on a CPU; the GPU-sized preset warns when it does not.

user14 F-protostudy: ``studies/ptbxl_prototypes/study.yaml`` shipped ``preset: paper`` (ProtoECGNet
as published, up to 200 epochs per phase, ~45 s per epoch for 240 ECGs on the project's 2-core
CPU) and nothing said so at start.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from interp_ecg.studies.config import load_config
from interp_ecg.studies.ptbxl_prototypes import paper_preset_cpu_warning

REPO = Path(__file__).resolve().parents[1]


def test_shipped_study_uses_the_cpu_sized_preset():
    cfg = load_config(REPO / "studies" / "ptbxl_prototypes" / "study.yaml")
    assert cfg.params.preset == "small"


def test_no_warning_for_the_small_preset_or_a_gpu():
    assert paper_preset_cpu_warning("small", "cpu", 240) is None
    assert paper_preset_cpu_warning("paper", "cuda", 240) is None
    assert paper_preset_cpu_warning("paper", "cuda:1", 240) is None


def test_paper_preset_on_cpu_names_device_epochs_and_time():
    msg = paper_preset_cpu_warning("paper", "cpu", 240)
    assert "on the CPU" in msg and "up to 200 epochs each" in msg and "early stopping after 10" in msg
    # 45 s per epoch for 240 ECGs; 2 phases x 11 epochs at the least (patience 10), 2 x 200 at most
    assert "roughly 45 s per epoch" in msg and "about 16 min to 5.0 h" in msg and "240 training ECGs" in msg
    assert "params.preset: small" in msg
    capped = paper_preset_cpu_warning("paper", "cpu", 480, epochs=2, black_box=True)
    # 480 ECGs: 90 s per epoch and network, x2 for the black box; 2 phases x 2 epochs -> 720 s
    assert "up to 2 epochs each (params.epochs caps them)" in capped
    assert "roughly 180 s per epoch for the two networks" in capped and "about 12 min " in capped


class _Stop(Exception):
    pass


def test_study_logs_the_warning_before_training(tmp_path, monkeypatch, caplog):
    from interp_ecg.prototypes import ProtoECGNetClassifier
    from interp_ecg.studies import ptbxl_prototypes

    def stop(self, *args, **kwargs):
        raise _Stop

    monkeypatch.setattr(ProtoECGNetClassifier, "fit", stop)
    monkeypatch.setattr("interp_ecg.device.resolve_device", lambda device="auto", **kw: "cpu")
    cfg = load_config(REPO / "studies" / "ptbxl_prototypes" / "study.yaml",
                      {"data.n_records": 40, "params.preset": "paper", "params.min_positives": 1})
    with caplog.at_level(logging.WARNING, logger=ptbxl_prototypes.__name__), pytest.raises(_Stop):
        ptbxl_prototypes.run(cfg, tmp_path)
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and "preset 'paper'" in r.getMessage()]
    assert len(warned) == 1 and "on the CPU" in warned[0].getMessage()

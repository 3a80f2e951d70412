"""The demo's SHAP section on the demo's own inputs (120 synthetic records, seed 0).

Before the fix the section failed on every run: the LightGBM member's probability
explanation missed the model by 4.5e-5 on a held-out ECG, because shap's interventional
algorithm compares float32 thresholds and grid-valued amplitudes (0.1037 mV) sat between
LightGBM's float64 threshold and its float32 rounding.
"""

from __future__ import annotations

import pandas as pd
import pytest

from interp_ecg.studies.runner import run_study


@pytest.mark.slow
def test_demo_shap_section_runs_on_the_demo_cohort(tmp_path):
    cfg = {"study": "demo", "kind": "demo", "seed": 0, "n_jobs": 1, "output_dir": str(tmp_path),
           "data": {"source": "synthetic", "n_records": 120},
           "report": {"n_patients": 0},
           "params": {"sections": ["wct"], "n_boot": 5}}
    result = run_study(cfg)
    sections = pd.read_csv(result.out_dir / "tables" / "sections.csv").set_index("section")["status"]
    assert sections.get("SHAP") == "done", sections.to_dict()
    # the section's table: one mean |SHAP| per feature, in probability units
    assert (result.out_dir / "tables" / "shap_importance.csv").exists()

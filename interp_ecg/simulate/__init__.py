"""Realistic synthetic 12-lead ECG cohorts with exact ground truth.

One cardiac model (a time-varying dipole, :mod:`~interp_ecg.simulate.waves`) projected through
a lead field (:mod:`~interp_ecg.simulate.leadfield`) gives twelve consistent leads; RR processes
(:mod:`~interp_ecg.simulate.rhythm`), conditions (:mod:`~interp_ecg.simulate.conditions`),
electrode noise (:mod:`~interp_ecg.simulate.noise`) and ICD-10-CM diagnoses
(:mod:`~interp_ecg.simulate.diagnoses`) make a cohort that
:func:`~interp_ecg.simulate.cohort.cohort` writes in the PTB-XL layout.
"""

from interp_ecg.simulate.conditions import DEFAULT_MIX, PRESETS, parse_condition, scp_codes
from interp_ecg.simulate.record import SimulatedECG, simulate_batch, simulate_record

__all__ = [
    "DEFAULT_MIX",
    "PRESETS",
    "SimulatedECG",
    "parse_condition",
    "scp_codes",
    "simulate_batch",
    "simulate_record",
]

from interp_ecg.simulate.cohort import cohort, load_diagnoses, load_ground_truth  # noqa: E402

__all__ += ["cohort", "load_diagnoses", "load_ground_truth"]

"""Realistic synthetic 12-lead ECG cohorts with exact ground truth.

One cardiac model, a time-varying dipole made of asymmetric Gaussian waves
(:mod:`~interp_ecg.simulate.waves`), projected through a lead field
(:mod:`~interp_ecg.simulate.leadfield`) gives twelve consistent leads (Einthoven's and
Goldberger's relations hold exactly). RR processes with respiratory and Mayer-wave HRV, AF
and regular tachycardias (:mod:`~interp_ecg.simulate.rhythm`), conditions with their defining
measurements and PTB-XL SCP codes (:mod:`~interp_ecg.simulate.conditions`), electrode-level
noise (:mod:`~interp_ecg.simulate.noise`) and imperfect ICD-10-CM diagnoses
(:mod:`~interp_ecg.simulate.diagnoses`) make a cohort that :func:`cohort` writes in the PTB-XL
layout, readable by :func:`interp_ecg.io.read_ptbxl`, with the ground-truth fiducials of
every beat in every lead (definition in :mod:`~interp_ecg.simulate.waves`).

Examples
--------
>>> from interp_ecg.simulate import simulate_record
>>> signal, fiducials, info = simulate_record("lbbb", random_state=0)
>>> signal.shape, info["scp_codes"], bool(info["qrs_ms"] >= 120)
((12, 5000), {'CLBBB': 100.0, 'SR': 0.0}, True)
>>> fiducials.columns.tolist()[3:6]
['P_on', 'P_peak', 'P_off']
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

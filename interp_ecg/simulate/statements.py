"""The SCP-ECG statements the simulator uses, in the column layout of PTB-XL's
``scp_statements.csv`` (authored here from the PTB-XL documentation; only these 17 rows).

Examples
--------
>>> from interp_ecg.simulate.statements import scp_statements
>>> df = scp_statements()
>>> df.loc["CLBBB", "diagnostic_class"], float(df.loc["AFIB", "rhythm"])
('CD', 1.0)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = [
    "description", "diagnostic", "form", "rhythm", "diagnostic_class", "diagnostic_subclass",
    "Statement Category", "SCP-ECG Statement Description", "AHA code", "aECG REFID", "CDISC Code",
    "DICOM Code",
]

_CAT_NORMAL = "Normal/abnormal"
_CAT_RHYTHM = "Statements related to impulse formation (abnormalities)"
_CAT_CONDUCTION = "Intraventricular and intra-atrial Conduction disturbances"
_CAT_AV = "Sinus node dysfunction, atrial and AV-conduction defects"

# code: (description, diagnostic, form, rhythm, class, subclass, category, long description, AHA)
_ROWS = {
    "NORM": ("normal ECG", 1, None, None, "NORM", "NORM", _CAT_NORMAL, "normal ECG", 1),
    "IMI": ("inferior myocardial infarction", 1, None, None, "MI", "IMI", "Myocardial Infarction",
            "inferior myocardial infarction", 161),
    "LVH": ("left ventricular hypertrophy", 1, None, None, "HYP", "LVH", "Ventricular Hypertrophy",
            "left ventricular hypertrophy", 142),
    "LNGQT": ("long QT-interval", 1, 1, None, "STTC", "STTC", "other ST-T descriptive statements",
              "long QT-interval", 148),
    "1AVB": ("first degree AV block", 1, None, None, "CD", "_AVB", _CAT_AV, "first degree AV block", None),
    "CLBBB": ("complete left bundle branch block", 1, None, None, "CD", "CLBBB", _CAT_CONDUCTION,
              "(complete) left bundle branch block", 104),
    "CRBBB": ("complete right bundle branch block", 1, None, None, "CD", "CRBBB", _CAT_CONDUCTION,
              "(complete) right bundle branch block", 106),
    "ABQRS": ("abnormal QRS", None, 1, None, None, None, _CAT_NORMAL, "abnormal QRS", None),
    "PVC": ("ventricular premature complex", None, 1, None, None, None,
            "Statements related to ectopic rhythm abnormalities", "ventricular premature complex (beat)", 60),
    "VCLVH": ("voltage criteria (QRS) for left ventricular hypertrophy", None, 1, None, None, None,
              "Ventricular Hypertrophy", "voltage criteria (QRS) for left ventricular hypertrophy", None),
    "QWAVE": ("Q waves present", None, 1, None, None, None, "Other QRS morphology descriptive statements",
              "Q waves present", None),
    "BIGU": ("bigeminal pattern (unknown origin, SV or Ventricular)", None, None, 1, None, None, _CAT_RHYTHM,
             "bigeminal pattern (unknown origin, SV or Ventricular)", None),
    "SR": ("sinus rhythm", None, None, 1, None, None, _CAT_RHYTHM, "sinus rhythm", 20),
    "AFIB": ("atrial fibrillation", None, None, 1, None, None, _CAT_RHYTHM, "atrial fibrillation", 50),
    "STACH": ("sinus tachycardia", None, None, 1, None, None, _CAT_RHYTHM, "sinus tachycardia", 21),
    "SBRAD": ("sinus bradycardia", None, None, 1, None, None, _CAT_RHYTHM, "sinus bradycardia", 22),
    "SVTAC": ("supraventricular tachycardia", None, None, 1, None, None, _CAT_RHYTHM,
              "supraventricular tachycardia", 55),
}


def scp_statements() -> pd.DataFrame:
    """The statements table, indexed by SCP code (written as ``scp_statements.csv``)."""
    rows = []
    for code, (desc, dg, fm, rh, cls, sub, cat, long, aha) in _ROWS.items():
        rows.append({
            "description": desc,
            "diagnostic": np.nan if dg is None else float(dg),
            "form": np.nan if fm is None else float(fm),
            "rhythm": np.nan if rh is None else float(rh),
            "diagnostic_class": cls, "diagnostic_subclass": sub, "Statement Category": cat,
            "SCP-ECG Statement Description": long, "AHA code": aha,
            "aECG REFID": None, "CDISC Code": None, "DICOM Code": None,
        })
    df = pd.DataFrame(rows, index=pd.Index(list(_ROWS), name=None), columns=COLUMNS)
    return df

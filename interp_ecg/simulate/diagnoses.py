"""ICD-10-CM diagnoses of simulated patients, with the imperfections of real coding.

Each ECG condition maps to the codes a hospital would record for it, but only with a
*coding sensitivity* below one (conduction defects are often not coded at all), with
*false positives* at a low rate, with *comorbidities* whose probability depends on the
condition, age and sex (hypertension with LVH, heart failure with LBBB/AF/MI/VT, coronary
disease and hyperlipidaemia with MI, anticoagulation with AF, syncope with long QT/VT,
sepsis with sinus tachycardia) and with *background* codes everybody collects. A phenotyping
study should therefore recover the planted associations, attenuated, as on real data.

Rows: ``patient_id, icd_code, icd_version (10), date``, one row per recorded occurrence (a
chronic code recurs at several encounters, so many patients have a code count >= 2, while
rule-out false positives are mostly recorded once, as in real claims data), plus ``planted``
(True when the code reflects a simulated ECG condition, False for comorbidities, background
codes and false positives).

Examples
--------
>>> import numpy as np
>>> from interp_ecg.simulate.diagnoses import patient_diagnoses, CONDITION_CODES
>>> rows = patient_diagnoses(7, {"afib"}, 70, 0, np.datetime64("2020-01-01"), np.random.default_rng(0))
>>> sorted(rows[0])
['date', 'icd_code', 'icd_version', 'patient_id', 'planted']
>>> CONDITION_CODES["lbbb"]
([('I44.7', 1.0)], 0.55)
"""

from __future__ import annotations

import numpy as np

#: condition token -> ([(code, weight among the condition's codes)], coding sensitivity)
CONDITION_CODES: dict[str, tuple[list[tuple[str, float]], float]] = {
    "afib": ([("I48.91", 0.55), ("I48.0", 0.3), ("I48.19", 0.15)], 0.85),
    "lbbb": ([("I44.7", 1.0)], 0.55),
    "rbbb": ([("I45.10", 1.0)], 0.45),
    "1avb": ([("I44.0", 1.0)], 0.3),
    "vt": ([("I47.2", 1.0)], 0.9),
    "svt": ([("I47.1", 1.0)], 0.8),
    "lvh": ([("I51.7", 1.0)], 0.4),
    "lqt": ([("I45.81", 1.0)], 0.5),
    "imi": ([("I25.2", 0.85), ("I21.19", 0.15)], 0.7),
    "pvc": ([("I49.3", 1.0)], 0.4),
    "stach": ([("R00.0", 1.0)], 0.3),
    "sbrad": ([("R00.1", 1.0)], 0.25),
}

#: Rate at which a condition's code appears in a patient who does not have it.
FALSE_POSITIVE_RATE = 0.01

#: comorbidity code -> (base probability, {condition: probability when present})
COMORBIDITIES: dict[str, tuple[float, dict[str, float]]] = {
    "I10": (0.15, {"lvh": 0.75, "imi": 0.5, "afib": 0.45, "lbbb": 0.4}),
    "I50.9": (0.03, {"lbbb": 0.45, "vt": 0.4, "imi": 0.35, "afib": 0.3, "lvh": 0.2}),
    "E11.9": (0.10, {"imi": 0.3, "lvh": 0.18}),
    "E78.5": (0.18, {"imi": 0.6}),
    "I25.10": (0.05, {"imi": 0.8, "vt": 0.4}),
    "N18.9": (0.05, {"lvh": 0.15, "afib": 0.1}),
    "A41.9": (0.03, {"stach": 0.2, "afib": 0.08}),
    "Z79.01": (0.02, {"afib": 0.6}),
    "E87.6": (0.02, {"lqt": 0.25, "vt": 0.1}),
    "R55": (0.02, {"lqt": 0.25, "vt": 0.3, "sbrad": 0.08}),
}

#: Background codes with their prevalence in everybody.
BACKGROUND: dict[str, float] = {
    "K21.9": 0.15, "F41.9": 0.1, "J45.909": 0.08, "E66.9": 0.12, "G47.33": 0.07, "N39.0": 0.06,
    "D64.9": 0.1, "R07.9": 0.12, "J44.9": 0.07, "F32.9": 0.1, "K59.00": 0.06, "Z87.891": 0.15,
    "M54.9": 0.1,
}


def patient_diagnoses(
    patient_id: int,
    conditions: set[str],
    age: float,
    sex: int,
    first_date: np.datetime64,
    rng: np.random.Generator,
) -> list[dict]:
    """The ICD-10-CM rows of one patient.

    Parameters
    ----------
    conditions : set of str
        Condition tokens shown by any of the patient's ECGs (``{"afib", "lbbb"}``).
    age, sex : patient covariates (sex 0 male / 1 female)
    first_date : numpy.datetime64 (days)
        The date of the patient's first ECG; codes are dated around it.
    """
    codes: dict[str, str] = {}  # code -> "planted" | "false" (positive) | "other"
    u = rng.random(len(CONDITION_CODES) + len(COMORBIDITIES) + len(BACKGROUND))
    i = 0
    for tok, (choices, sens) in CONDITION_CODES.items():
        if tok in conditions:
            if u[i] < sens:
                code = choices[0][0]
                if len(choices) > 1:  # which of the condition's codes, by weight
                    w = np.cumsum([c[1] for c in choices])
                    code = choices[int(np.searchsorted(w, (u[i] / sens) * w[-1], side="right"))][0]
                codes[code] = "planted"
        elif u[i] < FALSE_POSITIVE_RATE:
            codes.setdefault(choices[0][0], "false")
        i += 1
    age_f = float(min(max(0.4 + (age - 40) / 40, 0.3), 1.8))
    for code, (base, by_cond) in COMORBIDITIES.items():
        p = base * age_f
        if code == "I10" and sex == 0:
            p *= 1.15
        for c in conditions:
            p = max(p, by_cond.get(c, 0.0))
        if u[i] < min(p, 0.95):
            codes.setdefault(code, "other")
        i += 1
    for code, p in BACKGROUND.items():
        if u[i] < p:
            codes.setdefault(code, "other")
        i += 1
    if not codes:  # everybody was seen for something
        codes[list(BACKGROUND)[int(rng.integers(len(BACKGROUND)))]] = "other"
    rows = []
    for code, kind in codes.items():
        # how often the code is recorded: chronic planted and comorbid codes recur at several
        # encounters (PheWAS' "two codes" rule keeps them); rule-out false positives rarely do
        if kind == "planted":
            n_occ, lo, hi = 1 + rng.poisson(1.8), -200, 900
        elif kind == "false":
            n_occ, lo, hi = 1 + int(rng.random() < 0.15), -300, 300
        else:
            n_occ, lo, hi = 1 + rng.poisson(1.2), -1500, 1500
        for d in np.unique(rng.integers(lo, hi, n_occ)):
            rows.append({
                "patient_id": int(patient_id), "icd_code": code, "icd_version": 10,
                "date": first_date + np.timedelta64(int(d), "D"), "planted": kind == "planted",
            })
    return rows

"""Lead field: project a cardiac dipole (vectorcardiogram) onto the twelve standard leads.

Coordinates of the heart vector are ``x`` (towards the patient's left), ``y`` (towards the
feet, i.e. inferior) and ``z`` (anterior, towards the chest wall). The limb leads follow the
hexaxial reference system (lead I at 0 degrees, II at +60, III at +120, aVF at +90,
aVL at -30, aVR at -150 in the frontal plane). The precordial leads look at the heart from the
horizontal plane with the angles below and larger gains, because their electrodes sit close
to the heart.

Only eight leads are independent (I, II, V1..V6). :func:`limb_and_augmented` derives III,
aVR, aVL and aVF from I and II by Einthoven's and Goldberger's relations, so those relations
hold exactly (to float32 rounding) in every signal the simulator writes, noise included.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.simulate.leadfield import project, LEAD_FIELD_8
>>> vcg = np.array([[1.0], [0.0], [0.0]])      # a 1 mV dipole pointing left
>>> sig = project(vcg)
>>> sig.shape, float(sig[0, 0]), float(sig[1, 0]), float(sig[3, 0])  # I, II, aVR = -(I+II)/2
((12, 1), 1.0, 0.5, -0.75)
"""

from __future__ import annotations

import numpy as np

from interp_ecg.io.leads import STANDARD_LEADS

#: Horizontal-plane angle (degrees, from the patient's left towards anterior) of V1..V6.
PRECORDIAL_ANGLES_DEG = np.array([115.0, 92.0, 72.0, 52.0, 28.0, 5.0])
#: Gains of V1..V6 relative to the limb leads (proximity of the chest electrodes).
PRECORDIAL_GAINS = np.array([1.15, 1.75, 1.85, 1.7, 1.4, 1.1])
#: Small inferior component of the precordial lead vectors.
PRECORDIAL_Y = 0.12

#: Independent leads, in the order of :data:`LEAD_FIELD_8`'s rows.
INDEPENDENT_LEADS = ("I", "II", "V1", "V2", "V3", "V4", "V5", "V6")


def _lead_field_8() -> np.ndarray:
    rows = [
        [1.0, 0.0, 0.0],  # I: 0 deg
        [0.5, np.sqrt(3.0) / 2.0, 0.0],  # II: +60 deg
    ]
    ang = np.deg2rad(PRECORDIAL_ANGLES_DEG)
    for a, g in zip(ang, PRECORDIAL_GAINS):
        rows.append([g * np.cos(a), g * PRECORDIAL_Y, g * np.sin(a)])
    return np.asarray(rows, dtype=np.float64)


#: ``(8, 3)`` lead-field matrix of the independent leads I, II, V1..V6.
LEAD_FIELD_8 = _lead_field_8()

#: ``(12, 8)`` matrix deriving the standard twelve leads from the independent eight.
DERIVE_12 = np.zeros((12, 8))
DERIVE_12[0, 0] = 1.0  # I
DERIVE_12[1, 1] = 1.0  # II
DERIVE_12[2, :2] = [-1.0, 1.0]  # III = II - I
DERIVE_12[3, :2] = [-0.5, -0.5]  # aVR = -(I + II) / 2
DERIVE_12[4, :2] = [1.0, -0.5]  # aVL = I - II / 2
DERIVE_12[5, :2] = [-0.5, 1.0]  # aVF = II - I / 2
DERIVE_12[6:, 2:] = np.eye(6)

#: ``(12, 3)`` lead field of all twelve leads (for analytic use, e.g. fiducials).
LEAD_FIELD_12 = DERIVE_12 @ LEAD_FIELD_8

LEADS = STANDARD_LEADS


def limb_and_augmented(ind: np.ndarray) -> np.ndarray:
    """Expand the eight independent leads ``(8, n)`` to the standard twelve ``(12, n)``.

    III, aVR, aVL and aVF are computed from I and II in the array's own dtype, so
    ``III == II - I`` and ``aVR == -(I + II) / 2`` hold to the last bit of float rounding.
    """
    ind = np.asarray(ind)
    out = np.empty((12,) + ind.shape[1:], dtype=ind.dtype)
    lead_i, lead_ii = ind[0], ind[1]
    out[0] = lead_i
    out[1] = lead_ii
    out[2] = lead_ii - lead_i
    out[3] = -(lead_i + lead_ii) / 2
    out[4] = lead_i - lead_ii / 2
    out[5] = lead_ii - lead_i / 2
    out[6:] = ind[2:]
    return out


def project(vcg: np.ndarray) -> np.ndarray:
    """Project a dipole time course ``(3, n)`` (mV) onto the twelve leads ``(12, n)``."""
    return limb_and_augmented(LEAD_FIELD_8 @ np.asarray(vcg, dtype=np.float64))


def electrodes_to_leads(elec: np.ndarray) -> np.ndarray:
    """Electrode potentials ``(9, n)`` (RA, LA, LL, V1..V6) to the eight independent leads.

    Limb leads are bipolar (I = LA - RA, II = LL - RA); chest leads are referred to Wilson's
    central terminal (RA + LA + LL) / 3. Used to add electrode-level noise consistently.
    """
    ra, la, ll = elec[0], elec[1], elec[2]
    wct = (ra + la + ll) / 3.0
    out = np.empty((8,) + elec.shape[1:], dtype=elec.dtype)
    out[0] = la - ra
    out[1] = ll - ra
    out[2:] = elec[3:] - wct
    return out

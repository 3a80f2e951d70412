"""Multi-lead ECG delineation: P, QRS and T onsets, peaks and offsets beat by beat.

The entry point is :func:`delineate`. Methods: ``"martinez_zhang"`` (default; this
package's vectorised multi-lead delineator after Martinez et al. 2004, Zhang et al. 2006 and
the ECGdeli/12SL consensus) and ``"neurokit_dwt"`` (NeuroKit2's DWT delineator, lead by
lead, for comparison). :mod:`.scoring` matches detections to reference annotations with
the Martinez tolerances, as used by the LUDB benchmark.
"""

from interp_ecg.features.delineation.core import COLUMNS, FIDUCIALS, METHODS, delineate
from interp_ecg.features.delineation.params import Params

__all__ = ["delineate", "Params", "COLUMNS", "FIDUCIALS", "METHODS"]

"""The fiducial column schema: the one definition of the delineation table's columns.

Every table of fiducial points in the package (``delineate``'s output, the beat table of
``extract_beats``, median-beat fiducials, the simulator's ground truth) uses these names, in
this order. Values are sample indices at the record's own sampling rate; ``NaN`` when a wave
is absent or its boundary was not found.

Examples
--------
>>> from interp_ecg.features.delineation.schema import BOUNDARIES, COLUMNS, FIDUCIALS
>>> COLUMNS[:5]
['lead', 'beat', 'P_on', 'P_peak', 'P_off']
>>> set(BOUNDARIES) <= set(FIDUCIALS)
True
"""

from __future__ import annotations

#: The nine fiducial points of a beat (onset, peak, offset of P, QRS and T), in order.
FIDUCIALS: list[str] = ["P_on", "P_peak", "P_off", "QRS_on", "R_peak", "QRS_off",
                        "T_on", "T_peak", "T_off"]

#: Columns of a delineation table: lead (``"global"`` for the multi-lead consensus), beat, fiducials.
COLUMNS: list[str] = ["lead", "beat", *FIDUCIALS]

#: The six wave boundaries (onsets and offsets) that annotators mark and delineators are scored on.
BOUNDARIES: tuple[str, ...] = ("P_on", "P_off", "QRS_on", "QRS_off", "T_on", "T_off")

__all__ = ["BOUNDARIES", "COLUMNS", "FIDUCIALS"]

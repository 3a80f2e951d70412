"""Data layer: lazy datasets and readers for WFDB, PTB-XL, LUDB, CinC 2021 and MIMIC-IV.

Every reader returns an :class:`EcgDataset` whose metadata is read at once and whose signals
are read on demand (``float32``, ``(n_leads, n_samples)``, millivolts, standard lead names).
"""

from interp_ecg.io.dataset import ArrayLoader, EcgDataset, Record
from interp_ecg.io.leads import STANDARD_LEADS, normalise_lead_name, normalise_leads
from interp_ecg.io.ludb import ludb_annotated_span, read_ludb, read_ludb_annotations
from interp_ecg.io.ptbxl import (
    SUPERCLASSES,
    protoecgnet_groups,
    ptbxl_group_labels,
    ptbxl_split,
    ptbxl_subclass_labels,
    ptbxl_superclass_labels,
    read_ptbxl,
)
from interp_ecg.io.wfdb_reader import WfdbLoader, read_wfdb, read_wfdb_record

__all__ = [
    "ArrayLoader",
    "EcgDataset",
    "Record",
    "STANDARD_LEADS",
    "SUPERCLASSES",
    "WfdbLoader",
    "ludb_annotated_span",
    "normalise_lead_name",
    "normalise_leads",
    "protoecgnet_groups",
    "ptbxl_group_labels",
    "ptbxl_split",
    "ptbxl_subclass_labels",
    "ptbxl_superclass_labels",
    "read_ludb",
    "read_ludb_annotations",
    "read_ptbxl",
    "read_wfdb",
    "read_wfdb_record",
]

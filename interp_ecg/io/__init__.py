"""Data layer: lazy datasets and readers for WFDB, PTB-XL, LUDB, CinC 2021 and MIMIC-IV.

Every reader returns an :class:`EcgDataset` whose metadata is read at once and whose signals
are read on demand (``float32``, ``(n_leads, n_samples)``, millivolts, standard lead names).
"""

from interp_ecg.io.cinc import cinc_to_ptbxl_labels, read_cinc, read_dx_mapping, snomed_to_ptbxl_map
from interp_ecg.io.dataset import ArrayLoader, EcgDataset, Record
from interp_ecg.io.leads import (MODIFIED_LIMB_LEADS, STANDARD_LEADS, modified_leads, normalise_lead_name,
                                 normalise_leads, standardise_leads)
from interp_ecg.io.ludb import ludb_annotated_span, read_ludb, read_ludb_annotations
from interp_ecg.io.ids import as_id_strings
from interp_ecg.io.mimic import clean_machine_measurements, read_mimic_diagnoses, read_mimic_ecg
from interp_ecg.io.ptbxl import (
    SUPERCLASSES,
    protoecgnet_groups,
    ptbxl_group_labels,
    ptbxl_subclass_labels,
    ptbxl_superclass_labels,
    read_protoecgnet_groups,
    read_ptbxl,
)
from interp_ecg.io.wfdb_reader import WfdbLoader, patient_of_record, read_wfdb, read_wfdb_record

__all__ = [
    "patient_of_record",
    "ArrayLoader",
    "EcgDataset",
    "Record",
    "STANDARD_LEADS",
    "SUPERCLASSES",
    "WfdbLoader",
    "cinc_to_ptbxl_labels",
    "clean_machine_measurements",
    "ludb_annotated_span",
    "normalise_lead_name",
    "normalise_leads",
    "modified_leads",
    "MODIFIED_LIMB_LEADS",
    "standardise_leads",
    "protoecgnet_groups",
    "ptbxl_group_labels",
    "ptbxl_subclass_labels",
    "ptbxl_superclass_labels",
    "read_cinc",
    "read_dx_mapping",
    "read_ludb",
    "read_ludb_annotations",
    "as_id_strings",
    "read_mimic_diagnoses",
    "read_mimic_ecg",
    "read_protoecgnet_groups",
    "read_ptbxl",
    "read_wfdb",
    "read_wfdb_record",
    "snomed_to_ptbxl_map",
]

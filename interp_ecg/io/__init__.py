"""Data layer: lazy datasets and readers for WFDB, PTB-XL, LUDB, CinC 2021 and MIMIC-IV."""

from interp_ecg.io.dataset import ArrayLoader, EcgDataset, Record
from interp_ecg.io.leads import STANDARD_LEADS, normalise_lead_name, normalise_leads

__all__ = [
    "ArrayLoader",
    "EcgDataset",
    "Record",
    "STANDARD_LEADS",
    "normalise_lead_name",
    "normalise_leads",
]

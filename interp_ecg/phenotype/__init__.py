"""Phenotyping: ICD -> phecodes, PheWAS of ECG exposures, and the prototype-phenotype analyses.

Entry points: :func:`load_phecode_map`, :func:`icd_to_phecodes`, :func:`phewas`.
"""

from interp_ecg.phenotype.mapping import icd_to_phecodes, map_icd, mapping_report
from interp_ecg.phenotype.phecodes import PhecodeMap, load_phecode_map, normalize_icd
from interp_ecg.phenotype.phewas import PheWAS, benjamini_hochberg, phewas
from interp_ecg.phenotype.synthetic import simulate_phewas_data

__all__ = [
    "PheWAS",
    "benjamini_hochberg",
    "phewas",
    "simulate_phewas_data",
    "PhecodeMap",
    "icd_to_phecodes",
    "load_phecode_map",
    "map_icd",
    "mapping_report",
    "normalize_icd",
]

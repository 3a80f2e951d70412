"""Phenotyping: ICD -> phecodes, PheWAS of ECG exposures, and the prototype-phenotype analyses.

Entry points: :func:`load_phecode_map`, :func:`icd_to_phecodes`, :func:`phewas`.
"""

from interp_ecg.phenotype.analyses import (
    compare_prototypes_classes,
    exposure_phecode_auc,
    parse_prototype_columns,
    prototype_distance_vs_mixing,
)
from interp_ecg.phenotype.linkage import diagnoses_for_ecgs, select_ecgs
from interp_ecg.phenotype.mapping import icd_to_phecodes, map_icd, mapping_report
from interp_ecg.phenotype.phecodes import PhecodeMap, load_phecode_map, normalize_icd
from interp_ecg.phenotype.phewas import CI_METHODS, PheWAS, benjamini_hochberg, describe_method, phewas
from interp_ecg.phenotype.plots import category_matrix, plot_category_heatmap, plot_manhattan, plot_volcano
from interp_ecg.phenotype.synthetic import planted_recovery, simulate_phewas_data

__all__ = [
    "CI_METHODS",
    "describe_method",
    "category_matrix",
    "plot_category_heatmap",
    "plot_manhattan",
    "plot_volcano",
    "compare_prototypes_classes",
    "diagnoses_for_ecgs",
    "exposure_phecode_auc",
    "parse_prototype_columns",
    "planted_recovery",
    "prototype_distance_vs_mixing",
    "select_ecgs",
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

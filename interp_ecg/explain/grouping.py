"""Group SHAP values by lead (``*_V1``) or by wave (``P_*``, ``QRS_*``, ``T_*``...).

Which lead and wave a column belongs to is read from the data dictionary
(:func:`interp_ecg.features.dictionary.feature_spec`), not parsed from its name.

SHAP values are additive, so the attribution of a group of features is the sum of its
members' values; the grouped explanation keeps the base values and therefore the
additivity.

Examples
--------
>>> from interp_ecg.explain.grouping import lead_of, wave_of
>>> lead_of("R_amp_mV_V5"), lead_of("QRS_duration_ms"), lead_of("S_amp_mV_II")
('V5', 'global', 'II')
>>> wave_of("R_amp_mV_V5"), wave_of("PR_interval_ms"), wave_of("QTc_Bazett_ms"), wave_of("heart_rate_bpm")
('QRS', 'PR', 'QT', 'rhythm')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from interp_ecg.features.dictionary import feature_spec


def lead_of(feature: str) -> str:
    """The lead a feature is measured in (``"R_amp_mV_V5"`` -> ``"V5"``), else ``"global"``.

    From :func:`~interp_ecg.features.dictionary.feature_spec` (``"global"`` for a name the
    data dictionary does not list).
    """
    return feature_spec(feature).lead


def wave_of(feature: str) -> str:
    """The wave/segment a feature describes: P, PR, QRS, ST, T, QT, rhythm or other.

    From :func:`~interp_ecg.features.dictionary.feature_spec` (``"other"`` for a name the
    data dictionary does not list).
    """
    return feature_spec(feature).wave


def group_explanation(explanation, by: str | Mapping[str, str] | Callable[[str], str] = "lead"):
    """Sum an explanation's columns into groups.

    Parameters
    ----------
    explanation : shap.Explanation with ``feature_names``
    by : {"lead", "wave"}, mapping feature -> group, or callable
        Features without a group in a mapping keep their own name.

    Returns
    -------
    shap.Explanation
        One column per group (in order of first appearance); ``data`` is NaN (a group has
        no single value); base values, output space, label and any output axis (one column
        per class of a multi-class explanation) unchanged, so the grouped values add up as
        the original ones did.
    """
    import shap

    names = list(explanation.feature_names)
    if by == "lead":
        fn = lead_of
    elif by == "wave":
        fn = wave_of
    elif callable(by):
        fn = by
    else:
        mapping = dict(by)
        fn = lambda f: mapping.get(f, f)  # noqa: E731
    keys = [fn(n) for n in names]
    groups = list(dict.fromkeys(keys))
    vals = np.asarray(explanation.values)
    # features are the first axis of one row's values, else the second: (n, p) or (n, p, classes)
    axis = 0 if vals.ndim == 1 else 1
    out = np.stack([np.take(vals, [j for j, k in enumerate(keys) if k == g], axis=axis).sum(axis=axis)
                    for g in groups], axis=axis)
    data_shape = out.shape[:axis + 1]
    ex = shap.Explanation(values=out, base_values=explanation.base_values,
                          data=np.full(data_shape, np.nan), feature_names=groups,
                          output_names=getattr(explanation, "output_names", None))
    ex.output_space = getattr(explanation, "output_space", None)
    ex.label = getattr(explanation, "label", None)
    for attr in ("background_size", "base_meaning", "scale"):  # the base value is unchanged, so is its meaning
        if hasattr(explanation, attr):
            setattr(ex, attr, getattr(explanation, attr))
    return ex


__all__ = ["lead_of", "wave_of", "group_explanation"]

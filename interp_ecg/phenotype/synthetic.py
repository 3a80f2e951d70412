"""Synthetic PheWAS cohorts with planted exposure-phecode associations (known ground truth)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["planted_recovery", "simulate_phewas_data"]


def simulate_phewas_data(
    n: int,
    n_exposures: int,
    n_phecodes: int,
    planted=10,
    random_state=None,
    *,
    effect: float = 0.3,
    prevalence: tuple[float, float] = (0.02, 0.15),
    excluded_rate: float = 0.03,
    exposure_missing_rate: float = 0.0,
    confounding: float = 0.3,
) -> dict:
    """Simulate exposures, phecode outcomes and covariates with planted associations.

    Covariates: ``age`` (years, N(60, 12)) and ``sex`` ("F"/"M"). Exposures ``x0..`` are
    correlated with age and sex (``confounding``), so unadjusted analyses find spurious
    associations and adjusted ones should not. Outcome ``P###`` for subject i is drawn from
    ``logit P = a_o + 0.4 * age_z + 0.3 * male + sum_e beta_eo * x_ie`` with ``a_o`` set from a
    prevalence drawn uniformly in ``prevalence``; ``beta_eo`` is ``effect`` (log-OR per unit
    exposure, exposures have SD ~1) for planted pairs, 0 otherwise. A fraction
    ``excluded_rate`` of outcome values is set to NA (excluded subjects).

    Parameters
    ----------
    planted : int or list of (exposure, phecode, beta)
        Number of random planted pairs (each with ``effect``), or the pairs themselves.

    Returns
    -------
    dict with ``exposures``, ``outcomes`` (boolean with NA), ``covariates`` (DataFrames indexed
    by ``subject``) and ``truth`` (one row per exposure x phecode: ``exposure, phecode, beta,
    planted``).

    Examples
    --------
    >>> from interp_ecg.phenotype import simulate_phewas_data
    >>> d = simulate_phewas_data(100, 2, 3, planted=1, random_state=0)
    >>> d["exposures"].shape, d["outcomes"].shape, int(d["truth"]["planted"].sum())
    ((100, 2), (100, 3), 1)
    """
    rng = np.random.default_rng(random_state)
    idx = pd.Index(np.arange(1, n + 1), name="subject")
    age = rng.normal(60, 12, n)
    male = rng.random(n) < 0.5
    age_z = (age - 60) / 12
    exp_names = [f"x{e}" for e in range(n_exposures)]
    phe_names = [f"P{o:03d}" for o in range(n_phecodes)]
    X = rng.normal(size=(n, n_exposures)) + confounding * (age_z[:, None] + (male[:, None] - 0.5))
    X = X / np.sqrt(1 + confounding**2 * 1.25)
    beta = np.zeros((n_exposures, n_phecodes))
    if isinstance(planted, (int, np.integer)):
        k = min(int(planted), n_exposures * n_phecodes)
        flat = rng.choice(n_exposures * n_phecodes, size=k, replace=False)
        beta.ravel()[flat] = effect
    else:
        for e, o, b in planted:
            beta[exp_names.index(e), phe_names.index(o)] = b
    prev = rng.uniform(prevalence[0], prevalence[1], n_phecodes)
    lin = np.log(prev / (1 - prev))[None, :] + 0.4 * age_z[:, None] + 0.3 * male[:, None] + X @ beta
    Y = (rng.random((n, n_phecodes)) < 1.0 / (1.0 + np.exp(-lin))).astype(float)
    if excluded_rate > 0:
        Y[rng.random(Y.shape) < excluded_rate] = np.nan
    if exposure_missing_rate > 0:
        X[rng.random(X.shape) < exposure_missing_rate] = np.nan
    exposures = pd.DataFrame(X, index=idx, columns=exp_names)
    outcomes = pd.DataFrame(Y, index=idx, columns=phe_names).astype("boolean")
    covariates = pd.DataFrame({"age": age, "sex": np.where(male, "M", "F")}, index=idx)
    truth = pd.DataFrame(
        {
            "exposure": np.repeat(exp_names, n_phecodes),
            "phecode": np.tile(phe_names, n_exposures),
            "beta": beta.ravel(),
        }
    )
    truth["planted"] = truth["beta"] != 0
    return {"exposures": exposures, "outcomes": outcomes, "covariates": covariates, "truth": truth}


def planted_recovery(
    n: int = 5000,
    n_exposures: int = 20,
    n_phecodes: int = 50,
    planted: int = 20,
    n_replicates: int = 5,
    alpha: float = 0.05,
    random_state=None,
    **kwargs,
) -> pd.DataFrame:
    """Run PheWAS on ``n_replicates`` simulated cohorts; per replicate report power and errors.

    Columns: ``replicate``, ``power_fdr`` (planted pairs with q < alpha), ``power_bonferroni``,
    ``fdp`` (false discovery proportion: null pairs among q < alpha discoveries, 0 when there
    are none), ``null_rate_p05`` (null pairs with p < 0.05, the per-test type-I error),
    ``n_discoveries``. Extra keyword arguments go to :func:`simulate_phewas_data`.

    Examples
    --------
    >>> from interp_ecg.phenotype import planted_recovery
    >>> r = planted_recovery(1000, 3, 5, planted=2, n_replicates=1, random_state=0, effect=1.0)
    >>> float(r["power_fdr"].iloc[0])
    1.0
    """
    from interp_ecg.phenotype.phewas import phewas

    seeds = np.random.SeedSequence(random_state).spawn(n_replicates)
    rows = []
    for k, seed in enumerate(seeds):
        d = simulate_phewas_data(
            n, n_exposures, n_phecodes, planted=planted,
            random_state=np.random.default_rng(seed), **kwargs,
        )
        res = phewas(d["exposures"], d["outcomes"], d["covariates"], min_cases=1, alpha=alpha)
        res = res.merge(d["truth"], on=["exposure", "phecode"], how="left")
        disc = res["q"] < alpha
        planted_mask = res["planted"].astype(bool)
        n_disc = int(disc.sum())
        rows.append(
            {
                "replicate": k,
                "power_fdr": float(disc[planted_mask].mean()),
                "power_bonferroni": float(res.loc[planted_mask, "bonferroni"].mean()),
                "fdp": float((disc & ~planted_mask).sum() / n_disc) if n_disc else 0.0,
                "null_rate_p05": float((res.loc[~planted_mask, "p"] < 0.05).mean()),
                "n_discoveries": n_disc,
            }
        )
    return pd.DataFrame(rows)

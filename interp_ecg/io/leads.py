"""Standard lead names and their spellings.

Examples
--------
>>> from interp_ecg.io import standardise_leads
>>> from interp_ecg.io.leads import normalise_lead_name, normalise_leads
>>> normalise_lead_name("avr"), normalise_lead_name("V1"), normalise_lead_name("ml2")
('aVR', 'V1', 'MLII')
>>> normalise_leads(["i", "ii", "vx"])
['I', 'II', 'vx']
>>> normalise_lead_name("-aVR"), normalise_lead_name("lead_v2")
('-aVR', 'V2')

A Cabrera-format record stores ``-aVR`` (aVR with its sign turned); with the samples at
hand it is aVR, exactly (:func:`standardise_leads`):

>>> import numpy as np
>>> sig, names = standardise_leads(np.array([[1.0, -2.0], [0.5, 0.5]]), ["-aVR", "II"])
>>> names, sig[0].tolist()
(['aVR', 'II'], [-1.0, 2.0])
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from interp_ecg.errors import LeadError

logger = logging.getLogger(__name__)

STANDARD_LEADS: tuple[str, ...] = (
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
)
LIMB_LEADS = STANDARD_LEADS[:6]
PRECORDIAL_LEADS = STANDARD_LEADS[6:]

_ALIASES = {
    "LEADI": "I", "LEADII": "II", "LEADIII": "III",
    "D1": "I", "D2": "II", "D3": "III", "DI": "I", "DII": "II", "DIII": "III",
}

#: Modified limb leads and the standard lead each stands in for. They are kept under their
#: own names, not renamed to the standard lead: the electrodes sit on the torso (Mason &
#: Likar, Am Heart J 1966;71:196-205, for exercise testing; the Holter placement of the
#: MIT-BIH Arrhythmia Database, whose documentation calls its upper signal "a modified limb
#: lead II (MLII), obtained by placing the electrodes on the chest"), which shifts the frontal
#: axis to the right and changes limb-lead amplitudes (Papouchado et al., Eur Heart J
#: 1987;8:725-33), so a feature of MLII is not a feature of standard lead II and does not
#: belong in the ``..._II`` column beside 12-lead records. Records that hold one say so in
#: ``Record.meta["modified_leads"]`` (see :func:`modified_leads`). Modified chest leads cannot be
#: told by name (MIT-BIH 100's ``V5`` is read as the standard V5; see :func:`normalise_lead_name`).
MODIFIED_LIMB_LEADS: dict[str, str] = {"MLI": "I", "MLII": "II", "MLIII": "III"}
_MODIFIED_SPELLINGS = {"MLI": "MLI", "ML1": "MLI", "MLII": "MLII", "ML2": "MLII", "MLIII": "MLIII", "ML3": "MLIII"}
_CANONICAL = {name.upper(): name for name in STANDARD_LEADS}
#: the electrode differences that define the bipolar limb leads (Einthoven): I = LA - RA,
#: II = LL - RA, III = LL - LA
_BIPOLAR = {"LA-RA": "I", "LL-RA": "II", "LL-LA": "III"}
#: standard leads a file may store with their sign turned, as the Cabrera (orderly) display
#: does: aVL, I, -aVR, II, aVF, III (Kligfield et al., Circulation 2007;115:1306-24, which
#: recommends the display; -aVR is its only inverted lead)
INVERTIBLE_LEADS: tuple[str, ...] = ("aVR",)


def normalise_lead_name(name: str) -> str:
    """Map one lead label to its standard spelling; non-standard labels are returned stripped.

    Parameters
    ----------
    name : str
        A lead label as written in a file (``"avr"``, ``"AVR"``, ``"ML2"``, ``"V1 "``).

    Returns
    -------
    str
        The standard spelling of the twelve leads (``"aVR"``, ``"II"`` for ``"DII"`` or
        ``"lead_ii"``); the modified limb leads as ``"MLI"``, ``"MLII"``, ``"MLIII"`` (not the
        standard leads, see :data:`MODIFIED_LIMB_LEADS`); any other label stripped.

    Notes
    -----
    Case, spaces and a ``Lead`` prefix (with one ``-`` or ``_`` after it) are ignored alike
    for the standard leads, their aliases (``D2``) and the modified limb leads: ``"Lead MLII"``
    and ``"lead_ml2"`` are ``"MLII"`` as ``"Lead II"`` is ``"II"``. Anywhere else a ``-`` or
    ``_`` is part of the label: ``"I-II"`` (lead I minus lead II, which is -III), ``"aVR-"``
    and ``"II-I"`` are not standard leads and are returned as written, so they are never
    measured as a standard lead with the wrong sign. The electrode differences that define
    the limb leads are read as those leads, exactly (Einthoven): ``LA-RA`` is I, ``LL-RA`` is
    II, ``LL-LA`` is III. A leading ``-`` marks an inverted lead (``"-aVR"``, the Cabrera
    display), returned as written; :func:`standardise_leads` negates it back into aVR.

    Only the modified *limb* leads can be told by their names. Modified *chest* leads carry
    the standard names: the second channel of MIT-BIH Arrhythmia record 100 is named ``V5``
    in its header, a chest lead of the Holter placement, and is read as the standard ``V5``
    (its amplitudes fill the ``..._V5`` columns, e.g. the Sokolow-Lyon input). A record
    holding a modified limb lead (``Record.meta["modified_leads"]``) very likely has modified
    chest leads too; its ``V1``-``V6`` features are not 12-lead values.

    Examples
    --------
    >>> from interp_ecg.io import normalise_lead_name
    >>> normalise_lead_name("Lead MLII"), normalise_lead_name("lead_ml2"), normalise_lead_name("Lead I")
    ('MLII', 'MLII', 'I')
    >>> normalise_lead_name("LEAD D2"), normalise_lead_name("leadx")
    ('II', 'leadx')
    >>> normalise_lead_name("I-II"), normalise_lead_name("aVR-"), normalise_lead_name("LA-RA")
    ('I-II', 'aVR-', 'I')
    """
    text = str(name).strip()
    if text.startswith("-"):
        return text  # an inverted lead (Cabrera -aVR) is not the standard lead
    key = text.replace(" ", "").upper()
    if key in _BIPOLAR:
        return _BIPOLAR[key]
    if key.startswith("LEAD"):               # "Lead II", "lead_v2", "Lead MLII", "LEAD-D2"
        bare = key[4:]
        bare = bare[1:] if bare[:1] in ("-", "_") else bare
        if bare in _CANONICAL or bare in _ALIASES or bare in _MODIFIED_SPELLINGS:
            key = bare
    # a "-" or "_" anywhere else is part of the label: "I-II" (lead I minus lead II, = -III),
    # "aVR-", "V1-" are not standard leads and are kept as written
    if key in _CANONICAL:
        return _CANONICAL[key]
    if key in _ALIASES:
        return _ALIASES[key]
    if key in _MODIFIED_SPELLINGS:
        return _MODIFIED_SPELLINGS[key]
    return str(name).strip()


def modified_leads(names: Sequence[str], source: str | None = None) -> dict[str, str]:
    """The modified limb leads among ``names`` and the standard lead each stands in for.

    ``MLI``, ``MLII``, ``MLIII`` (also spelled ``ML1``, ``ML2``, ``ML3``) are limb leads
    recorded with the electrodes on the torso (Mason-Likar placement, Holter recordings such as
    the MIT-BIH Arrhythmia Database); they are kept under their own names
    (:data:`MODIFIED_LIMB_LEADS` says why) and listed here, with a log line, so the record's
    meta says what they are. A recording with a modified limb lead usually has modified chest
    leads too (MIT-BIH's second channel is "usually a modified lead V1", per its
    documentation), which the files name ``V1``, ``V5``...: that cannot be told from the name.

    Parameters
    ----------
    names : sequence of str
        Lead names (as written or normalised).
    source : str, optional
        File or record, for the log line.

    Returns
    -------
    dict of str to str
        ``{modified lead name: standard lead}``, empty when none.

    Examples
    --------
    >>> from interp_ecg.io import modified_leads
    >>> modified_leads(["MLII", "V5"]), modified_leads(["II", "V5"])
    ({'MLII': 'II'}, {})
    """
    out = {normalise_lead_name(n): MODIFIED_LIMB_LEADS[normalise_lead_name(n)] for n in names
           if normalise_lead_name(n) in MODIFIED_LIMB_LEADS}
    if out:
        logger.info("%s: modified limb lead(s) %s kept under their own names (torso electrodes; not the "
                    "standard %s)", source or "record", list(out), list(out.values()))
    return out


def inverted_lead(name: str) -> str | None:
    """The standard lead whose negative ``name`` is (``"-aVR"`` -> ``"aVR"``), or ``None``.

    Only the leads of :data:`INVERTIBLE_LEADS` (the Cabrera ``-aVR``) are recognised; any
    other label starting with ``-`` is not a standard lead.

    Examples
    --------
    >>> from interp_ecg.io.leads import inverted_lead
    >>> inverted_lead("-aVR"), inverted_lead("-avr"), inverted_lead("aVR"), inverted_lead("-II")
    ('aVR', 'aVR', None, None)
    """
    text = str(name).strip()
    if not text.startswith("-"):
        return None
    lead = normalise_lead_name(text[1:])
    return lead if lead in INVERTIBLE_LEADS else None


def standardise_leads(signal: np.ndarray, names: Sequence[str], source: str | None = None
                      ) -> tuple[np.ndarray, list[str]]:
    """Standard lead names for a record's channels, with inverted leads turned back.

    Every name goes through :func:`normalise_lead_name`; a channel stored as the negative
    of a standard lead (the Cabrera ``-aVR``, see :func:`inverted_lead`) is negated and
    named by that lead (aVR = -(-aVR), exactly), with a log line. Nothing else is derived.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)``; not modified (a copy is returned when a row is negated).
    names : sequence of str
        The channel labels as written in the file.
    source : str, optional
        File or record, for the log line and errors.

    Returns
    -------
    signal : numpy.ndarray
        The signal, inverted rows negated.
    names : list of str
        Standard names.

    Raises
    ------
    LeadError
        When two channels map to the same lead (``aVR`` and ``-aVR`` both stored).
    """
    flips = [i for i, n in enumerate(names) if inverted_lead(n)]
    out = [inverted_lead(n) or n for n in names]
    out = normalise_leads(out, source=source)
    if not flips:
        return signal, out
    sig = np.array(signal, copy=True)
    if sig.ndim != 2 or sig.shape[0] != len(out):
        raise LeadError(f"signal shape {sig.shape} does not match {len(out)} leads {out}", source=source)
    sig[flips] = -sig[flips]
    for i in flips:
        logger.info("%s: channel %r read as %s = -(%s)", source or "record", str(names[i]).strip(),
                    out[i], str(names[i]).strip())
    return sig, out


def normalise_leads(names: Sequence[str], source: str | None = None) -> list[str]:
    """Normalise a list of lead labels and reject duplicates.

    Raises
    ------
    LeadError
        When two channels map to the same lead.
    """
    out = [normalise_lead_name(n) for n in names]
    seen: set[str] = set()
    dups = sorted({n for n in out if n in seen or seen.add(n)})
    if dups:
        raise LeadError(f"duplicate leads {dups}", source=source)
    return out


def is_standard(name: str) -> bool:
    """True when ``name`` is one of the standard twelve leads (after normalisation)."""
    return normalise_lead_name(name) in STANDARD_LEADS

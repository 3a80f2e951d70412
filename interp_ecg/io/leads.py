"""Standard lead names and their spellings.

Examples
--------
>>> from interp_ecg.io.leads import normalise_lead_name, normalise_leads
>>> normalise_lead_name("avr"), normalise_lead_name("V1"), normalise_lead_name("MLII")
('aVR', 'V1', 'II')
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
    "MLII": "II", "MLI": "I", "MLIII": "III", "ML2": "II",
    "LEADI": "I", "LEADII": "II", "LEADIII": "III",
    "D1": "I", "D2": "II", "D3": "III", "DI": "I", "DII": "II", "DIII": "III",
}
_CANONICAL = {name.upper(): name for name in STANDARD_LEADS}
#: standard leads a file may store with their sign turned, as the Cabrera (orderly) display
#: does: aVL, I, -aVR, II, aVF, III (Kligfield et al., Circulation 2007;115:1306-24, which
#: recommends the display; -aVR is its only inverted lead)
INVERTIBLE_LEADS: tuple[str, ...] = ("aVR",)


def normalise_lead_name(name: str) -> str:
    """Map one lead label to its standard spelling; non-standard labels are returned stripped.

    Parameters
    ----------
    name : str
        A lead label as written in a file (``"avr"``, ``"AVR"``, ``"MLII"``, ``"V1 "``).
    """
    text = str(name).strip()
    if text.startswith("-"):
        return text  # an inverted lead (Cabrera -aVR) is not the standard lead
    key = text.replace(" ", "").replace("-", "").replace("_", "").upper()
    key = key.removeprefix("LEAD") if key.removeprefix("LEAD") in _CANONICAL else key
    if key in _CANONICAL:
        return _CANONICAL[key]
    if key in _ALIASES:
        return _ALIASES[key]
    return str(name).strip()


def inverted_lead(name: str) -> str | None:
    """The standard lead whose negative ``name`` is (``"-aVR"`` -> ``"aVR"``), or ``None``.

    Only the leads of :data:`INVERTIBLE_LEADS` (the Cabrera ``-aVR``) are recognised; any
    other label starting with ``-`` is not a standard lead.

    Examples
    --------
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

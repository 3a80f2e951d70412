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
"""

from __future__ import annotations

from collections.abc import Sequence

from interp_ecg.errors import LeadError

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

"""Exception hierarchy of interp-ecg.

Every error the package raises on purpose derives from :class:`InterpEcgError`, so a
caller can catch the whole family with one clause. Errors about one record or file carry
its path (or record id) in ``.source`` and name it in the message.

Examples
--------
>>> from interp_ecg.errors import RecordReadError, InterpEcgError
>>> err = RecordReadError("truncated .dat: 4000 of 5000 samples", source="data/1.hea")
>>> isinstance(err, InterpEcgError)
True
>>> str(err)
'data/1.hea: truncated .dat: 4000 of 5000 samples'
"""

from __future__ import annotations

from os import PathLike


class InterpEcgError(Exception):
    """Base class of every error raised by interp-ecg.

    Parameters
    ----------
    message : str
        What went wrong, in words a user can act on.
    source : str or path-like, optional
        The file or record the problem belongs to; prefixed to the message.
    """

    def __init__(self, message: str, source: str | PathLike | None = None) -> None:
        self.source = None if source is None else str(source)
        self.reason = message
        super().__init__(f"{self.source}: {message}" if self.source else message)


class DataNotFoundError(InterpEcgError, FileNotFoundError):
    """A data folder or file that was asked for does not exist."""


class RecordReadError(InterpEcgError, OSError):
    """A record could not be read: missing, truncated, malformed or unknown format."""


class SignalQualityError(InterpEcgError, ValueError):
    """A signal was read but is unusable: NaN/inf samples, flat or clipped leads, too short."""


class SamplingRateError(InterpEcgError, ValueError):
    """The sampling rate is missing, non-positive or not the one required."""


class LeadError(InterpEcgError, ValueError):
    """Leads are missing, duplicated or cannot be mapped to the standard twelve."""


class DelineationError(InterpEcgError, RuntimeError):
    """Fiducial points could not be found (too few beats, no QRS detected)."""


class ConfigError(InterpEcgError, ValueError):
    """A study configuration is invalid: unknown keys, wrong types, missing files."""


class ArgumentError(InterpEcgError, ValueError):
    """A function was called with an invalid argument: an unknown choice (``method=``,
    ``engine=``...), a wrong shape, or an input that lacks what the call needs (a dataset
    without the labels or annotations it must have). A ``ValueError``, so ``except
    ValueError`` and scikit-learn's estimator checks still catch it."""


class ModelError(InterpEcgError, RuntimeError):
    """A model was used wrongly (not fitted, wrong input shape) or failed to train."""


class IntegrityError(InterpEcgError, ValueError):
    """A saved artefact failed its checksum or manifest check on loading."""


__all__ = [
    "InterpEcgError",
    "DataNotFoundError",
    "RecordReadError",
    "SignalQualityError",
    "SamplingRateError",
    "LeadError",
    "DelineationError",
    "ConfigError",
    "ArgumentError",
    "ModelError",
    "IntegrityError",
]

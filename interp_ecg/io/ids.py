"""Identifiers as text: record, patient, subject, admission and study ids are strings.

An id column that arrives numeric (a CSV read without ``dtype``, a Parquet file written with
integers, PTB-XL's ``patient_id`` stored as ``15709.0``) is turned into the text a person
would write (``"15709"``), never a float; missing ids stay missing (``<NA>``).

Examples
--------
>>> import pandas as pd
>>> as_id_strings(pd.Series([10000032, 10000033])).tolist()
['10000032', '10000033']
>>> as_id_strings(pd.Series([15709.0, None])).tolist()
['15709', <NA>]
>>> as_id_strings(pd.Series(["007", " 12 "])).tolist()
['007', '12']
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def as_id_strings(values: Any) -> pd.Series:
    """Identifiers as a pandas ``string`` Series: integers without ``.0``, text stripped.

    Parameters
    ----------
    values : Series or array-like
        Ids as numbers or text.

    Returns
    -------
    pandas.Series
        dtype ``string``, same index as ``values`` when it is a Series; leading zeros of text
        ids are kept (a number has none left to keep).
    """
    s = pd.Series(values)
    if pd.api.types.is_float_dtype(s) and (s.dropna() % 1 == 0).all():
        s = s.astype("Int64")
    return s.astype("string").str.strip().str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)


__all__ = ["as_id_strings"]

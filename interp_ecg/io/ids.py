"""Identifiers as text: record, patient, subject, admission and study ids are strings.

An id column that arrives numeric (a CSV read without ``dtype``, a Parquet file written with
integers, PTB-XL's ``patient_id`` stored as ``15709.0``) is turned into the text a person
would write (``"15709"``), never a float; missing ids stay missing (``<NA>``).

Examples
--------
>>> from interp_ecg.io import as_id_strings
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

from interp_ecg.errors import ArgumentError


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


def ids_only_on_one_side(a: pd.Index, b: pd.Index, name_a: str, name_b: str, limit: int = 5) -> str:
    """Words naming the first ids found in one index only (for an error message).

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.io.ids import ids_only_on_one_side
    >>> ids_only_on_one_side(pd.Index([1, 2, 3]), pd.Index([2, 3, 4]), "X", "y")
    'in X only: [1]; in y only: [4]'
    """
    in_a, in_b = set(a), set(b)
    only_a = [x for x in a if x not in in_b][:limit]
    only_b = [x for x in b if x not in in_a][:limit]
    parts = []
    if only_a:
        parts.append(f"in {name_a} only: {only_a}")
    if only_b:
        parts.append(f"in {name_b} only: {only_b}")
    if not parts:
        parts.append("the same ids, but an index repeats some of them or their counts differ")
    return "; ".join(parts)


def align_to_index(values: Any, index: pd.Index, name: str = "y", reference: str = "X") -> Any:
    """Put a Series/DataFrame in the order of ``index`` by record id; arrays pass unchanged.

    Features, labels and patient ids that arrive as pandas objects carry their record ids on
    the index; pairing them by position silently mixes records up when one of them was sorted
    or merged. This pairs them by id instead, and refuses when the ids differ.

    Parameters
    ----------
    values : Series, DataFrame or array-like
        What to line up (labels, patient ids, weights). Anything without an index (ndarray,
        list) is returned as given and stays paired by position.
    index : pandas.Index
        The record ids in the order wanted (usually the feature table's index).
    name, reference : str
        Names of ``values`` and of the index's owner, used in the error message.

    Returns
    -------
    Same type as ``values``, its rows in the order of ``index``.

    Raises
    ------
    ArgumentError
        When ``values`` is a pandas object whose index does not hold the same ids as ``index``
        (the message names the first ids found on one side only), or holds them with repeats
        in another order.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.io.ids import align_to_index
    >>> y = pd.Series([1, 0, 0], index=["c", "a", "b"])
    >>> align_to_index(y, pd.Index(["a", "b", "c"])).tolist()
    [0, 0, 1]
    >>> align_to_index([1, 0, 0], pd.Index(["a", "b", "c"]))
    [1, 0, 0]
    """
    if not isinstance(values, (pd.Series, pd.DataFrame)) or values.index.equals(index):
        return values
    same = (values.index.is_unique and index.is_unique and len(values.index) == len(index)
            and values.index.isin(index).all())
    if not same:
        raise ArgumentError(
            f"{name}'s index does not hold the same record ids as {reference}'s "
            f"({ids_only_on_one_side(index, values.index, reference, name)}); "
            f"pass an array to pair {name} with {reference} by position")
    return values.loc[index]


def align_xy_groups(X, y, groups=None):
    """Labels and patient ids in the row order of ``X``, paired by record id.

    ``y`` (Series/DataFrame) and ``groups`` (Series) are reordered to ``X``'s index when ``X``
    is a DataFrame; when ``X`` is an array, ``groups`` is reordered to a pandas ``y``'s index.
    Arrays stay paired by position.

    Parameters
    ----------
    X : DataFrame or array ``(n, n_features)``
    y : Series, DataFrame or array-like ``(n,)`` / ``(n, n_labels)``
    groups : Series or array-like ``(n,)``, optional

    Returns
    -------
    tuple
        ``(y, groups)`` in the order of ``X``.

    Raises
    ------
    ArgumentError
        When a pandas ``y`` or ``groups`` does not hold the same record ids as ``X`` (the
        message names the first ids found on one side only).

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.io.ids import align_xy_groups
    >>> X = pd.DataFrame({"a": [0.1, 0.2]}, index=["r1", "r2"])
    >>> y, g = align_xy_groups(X, pd.Series([1, 0], index=["r2", "r1"]), pd.Series(["p2", "p1"], index=["r2", "r1"]))
    >>> y.tolist(), g.tolist()
    ([0, 1], ['p1', 'p2'])
    """
    if isinstance(X, pd.DataFrame):
        return align_to_index(y, X.index, "y", "X"), align_to_index(groups, X.index, "groups", "X")
    if isinstance(y, (pd.Series, pd.DataFrame)):
        return y, align_to_index(groups, y.index, "groups", "y")
    return y, groups


__all__ = ["align_to_index", "align_xy_groups", "as_id_strings", "ids_only_on_one_side"]

"""The base of every block: :class:`Block`, the render context, number formatting, pseudonyms
and the HTML of tables and figures.

Examples
--------
>>> from interp_ecg.report.blocks.base import format_number
>>> format_number(1234.5), format_number(0.000012), format_number(float("nan")), format_number(2.5e15)
('1234.500', '1.2e-05', 'NA', '2.5e+15')
"""

from __future__ import annotations

import html
import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.io.pseudonym import IDENTIFIER_COLUMNS as _IO_IDENTIFIER_COLUMNS
from interp_ecg.io.pseudonym import PREFIXES as _KEYED_PREFIXES
from interp_ecg.io.pseudonym import identifier_kind, scrub_free_text
from interp_ecg.io.pseudonym import pseudonym as keyed_pseudonym
from interp_ecg.report.layout import FIGURE_RC, Flowable, Region

logger = logging.getLogger(__name__)

#: columns treated as personal identifiers and pseudonymised in every table, with the kind of
#: identifier each holds (its alias prefix, :data:`ALIAS_PREFIXES`)
IDENTIFIER_COLUMNS: dict[str, str] = {
    "patient_id": "patient", "subject_id": "patient", "record_id": "record", "ecg_id": "record",
    "study_id": "record", "hadm_id": "admission", "record": "record", "source_record": "record",
    "stay_id": "admission",
}

#: columns holding a record's file path or file name (PTB-XL ``filename_hr``, MIMIC-IV-ECG
#: ``path``...): in a pseudonymised table they show the alias of the row's record, as a path
#: inside a message does (:func:`interp_ecg.io.pseudonym.scrub_free_text`)
PATH_COLUMNS: tuple[str, ...] = tuple(c for c, kind in _IO_IDENTIFIER_COLUMNS.items()
                                      if kind == "record" and c not in IDENTIFIER_COLUMNS)


def report_identifier_kind(name: Any) -> str | None:
    """The kind of identifier a report table's column of this name holds (None for none, and for
    the file-path columns of :data:`PATH_COLUMNS`): :data:`IDENTIFIER_COLUMNS`, else a name ending
    as an identifier does (``best_training_record``, :func:`interp_ecg.io.pseudonym.identifier_kind`).

    Examples
    --------
    >>> from interp_ecg.report.blocks.base import report_identifier_kind
    >>> report_identifier_kind("best_training_record"), report_identifier_kind("path"), report_identifier_kind("age")
    ('record', None, None)
    """
    if name is None:
        return None
    low = str(name).lower()
    if low in IDENTIFIER_COLUMNS:
        return IDENTIFIER_COLUMNS[low]
    if low in PATH_COLUMNS:
        return None
    return identifier_kind(low)


#: colour of warning paragraphs (e.g. a model at chance beside its explanations)
WARNING_COLOR = "#8b0000"


def significant_digits(value, digits: int = 3) -> str:
    """``value`` with ``digits`` significant digits, for odds ratios, p and q values and SHAP sizes (``"192"``, ``"0.0088"``, ``"6.2e-10"``), ``"NA"`` for NaN.

    Examples
    --------
    >>> from interp_ecg.report.blocks.base import significant_digits
    >>> [significant_digits(v, 2) for v in (191.869, 0.00877, 6.24e-10, float("nan"))]
    ['190', '0.0088', '6.2e-10', 'NA']
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not np.isfinite(v):
        return "NA"
    if v == 0:
        return "0"
    if abs(v) < 1e-4 or abs(v) >= 10 ** (digits + 2):
        return f"{v:.{digits - 1}e}"
    decimals = max(digits - 1 - int(np.floor(np.log10(abs(v)))), 0)
    return f"{float(f'{v:.{digits}g}'):.{decimals}f}"


def format_number(value: Any, digits: int = 3) -> str:
    """Format a number the way every report table and results CSV shows it.

    Fixed ``digits`` decimals; scientific notation for tiny non-zero values; ``NA`` for NaN.
    """
    if value is None:
        return "NA"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not np.isfinite(v):
        return "NA"
    if v != 0 and abs(v) < 10 ** (-digits):
        return f"{v:.2g}"
    if abs(v) >= 1e5:
        return f"{v:.3g}"
    return f"{v:.{digits}f}"


def format_frame(frame: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """A copy of ``frame`` with every cell formatted as report text."""
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_float_dtype(s) or pd.api.types.is_integer_dtype(s):
            out[col] = [format_number(v, digits) for v in s]
        else:
            out[col] = ["NA" if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v)
                        for v in s]
    return out


#: a keyed pseudonym of a run folder's tables (``RC-`` + 16 hex digits)
_KEYED_RX = re.compile(r"^(?:" + "|".join(re.escape(p) for p in _KEYED_PREFIXES.values()) + r")[0-9a-f]{16}$")

#: a sentence for reports whose identifiers are aliased with a key (run folders)
ALIAS_NOTE = ("Identifiers: in this PDF, ECGs are numbered E001, E002 ... and patients P001, P002 ... in order of "
              "appearance. The run folder's tables hold keyed pseudonyms instead (RC-... for ECGs, PT-... for "
              "patients; the same in every table and in every run made with the same key, so tables join), and "
              "tables/report_aliases.csv gives the pseudonym behind each number of this PDF. Only the holder of "
              "the key can map a pseudonym back to the source record.")

#: prefix of each kind of identifier's report alias: an ECG (record) ``E001``, a patient
#: ``P001``, an admission ``A001``, so that "ECG E001, patient P001" cannot read as two patients
ALIAS_PREFIXES: dict[str, str] = {"record": "E", "patient": "P", "admission": "A"}


class Pseudonymiser:
    """Replace identifiers by stable aliases, numbered per kind in order of appearance.

    ECGs (records) become ``E001``, ``E002`` ..., patients ``P001`` ..., admissions ``A001``
    (:data:`ALIAS_PREFIXES`); the kind of a table's column is given by
    :data:`IDENTIFIER_COLUMNS`. The mapping lives only in memory
    (``mapping``); it is never written to the report.

    Parameters
    ----------
    enabled : bool
        With ``False`` identifiers are shown as they are.
    prefix : str, optional
        One prefix for every kind (one numbering), instead of :data:`ALIAS_PREFIXES`.

    Examples
    --------
    >>> from interp_ecg.report import Pseudonymiser
    >>> p = Pseudonymiser()
    >>> p("10000032", "patient"), p("42"), p("10000032", "patient"), p("43")
    ('P001', 'E001', 'P001', 'E002')
    >>> Pseudonymiser(enabled=False)("10000032")
    '10000032'
    """

    def __init__(self, enabled: bool = True, prefix: str | None = None, key: bytes | None = None) -> None:
        self.enabled = enabled
        self.prefix = prefix
        self.key = key
        self.mapping: dict[tuple[str, str], str] = {}
        self._counts: dict[str, int] = {}
        self._kinds: dict[tuple[str, str], str] = {}

    def __call__(self, identifier: Any, kind: str = "record") -> str:
        """The alias of ``identifier``, an identifier of ``kind`` (``record``, ``patient``, ``admission``).

        With a ``key``, an identifier and its keyed pseudonym (:func:`interp_ecg.io.pseudonym.pseudonym`,
        as the run folder's tables hold it) get the same alias, and :meth:`aliases` lists each
        alias with that pseudonym, so a PDF's ``E001`` joins to the tables.
        """
        key = str(identifier)
        if not self.enabled:
            return key
        if self.key is not None and kind in _KEYED_PREFIXES and not _KEYED_RX.match(key):
            key = keyed_pseudonym(key, self.key, kind)
        prefix = self.prefix if self.prefix is not None else ALIAS_PREFIXES.get(kind, "X")
        slot = (prefix, key)
        if slot not in self.mapping:
            self._counts[prefix] = self._counts.get(prefix, 0) + 1
            self.mapping[slot] = f"{prefix}{self._counts[prefix]:03d}"
            self._kinds[slot] = kind
        return self.mapping[slot]

    def aliases(self) -> pd.DataFrame:
        """``alias, kind, pseudonym``: each alias given out with the keyed pseudonym it stands for
        (empty without a ``key``: the aliases then join to nothing outside the report).

        Examples
        --------
        >>> from interp_ecg.report import Pseudonymiser
        >>> from interp_ecg.report.blocks.base import keyed_pseudonym
        >>> p = Pseudonymiser(key=bytes(32))
        >>> p(42) == p(keyed_pseudonym(42, bytes(32), "record")), p.aliases()["alias"].tolist()
        (True, ['E001'])
        """
        rows = [] if self.key is None else [
            {"alias": alias, "kind": self._kinds.get(slot, ""), "pseudonym": slot[1]}
            for slot, alias in self.mapping.items() if _KEYED_RX.match(slot[1])]
        return pd.DataFrame(rows, columns=["alias", "kind", "pseudonym"])

    def frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Pseudonymise a table: identifier columns, an identifier-named index, file-path
        columns and the file paths and identifiers inside message columns.

        Message columns (``quality_reason``, ``error``, ``note``...: see
        :func:`interp_ecg.io.pseudonym.free_text_columns`) are scrubbed as a run folder's are
        (:func:`interp_ecg.io.pseudonym.scrub_free_text`), with this report's aliases: a file
        path becomes the alias of the row's record (``E001``), the row's identifiers their
        aliases. A file-path column (:data:`PATH_COLUMNS`) shows the alias of the row's record,
        or of the path itself when the row names no record.

        Examples
        --------
        >>> import pandas as pd
        >>> from interp_ecg.report import Pseudonymiser
        >>> f = pd.DataFrame({"patient_id": ["10000084"], "quality_reason": [
        ...     "/data/files/p1000/p10000084/s41000002/41000002.hea: header file not found"]},
        ...     index=pd.Index([41000002], name="study_id"))
        >>> out = Pseudonymiser().frame(f)
        >>> out.index.tolist(), out["patient_id"].tolist(), out["quality_reason"].tolist()
        (['E001'], ['P001'], ['E001: header file not found'])
        """
        if not self.enabled:
            return frame
        out = scrub_free_text(frame, self)
        record_of_row = self._row_records(out)
        for col in out.columns:
            name = str(col).lower()
            kind = report_identifier_kind(name)
            if kind is not None:
                out[col] = [v if _missing(v) else self(v, kind) for v in out[col]]
            elif name in PATH_COLUMNS:
                out[col] = [v if _missing(v) else self(rec if rec is not None else v, "record")
                            for v, rec in zip(out[col], record_of_row)]
        if report_identifier_kind(out.index.name) is not None:
            kind = report_identifier_kind(out.index.name)
            out.index = pd.Index([self(v, kind) for v in out.index], name=out.index.name)
        return out

    @staticmethod
    def _row_records(frame: pd.DataFrame) -> list[Any]:
        """Each row's record identifier (an identifier-named index or column of kind record), or None."""
        sources = []
        if report_identifier_kind(frame.index.name) == "record":
            sources.append(list(frame.index))
        sources += [list(frame[c]) for c in frame.columns if report_identifier_kind(c) == "record"]
        rows = []
        for i in range(len(frame)):
            rows.append(next((src[i] for src in sources if not _missing(src[i])), None))
        return rows


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


@dataclass
class RenderContext:
    """State shared by the blocks of one report while rendering."""

    pseudonymise: Pseudonymiser = field(default_factory=Pseudonymiser)
    paper: str = "a4"
    figure_no: int = 0
    table_no: int = 0

    def next_figure(self) -> int:
        self.figure_no += 1
        return self.figure_no

    def next_table(self) -> int:
        self.table_no += 1
        return self.table_no


def figure_html(draw_fn: Callable[[Region], None], width: float, height: float,
                 caption: str = "") -> str:
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(FIGURE_RC):
        fig = Figure(figsize=(width, height))
        draw_fn(Region(fig, 0.0, 0.0, width, height))
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
    svg = buf.getvalue()
    svg = svg[svg.find("<svg"):]
    cap = f"<figcaption><i>{html.escape(caption)}</i></figcaption>" if caption else ""
    return f"<figure style='margin:0.5em 0'>{svg}{cap}</figure>"


def table_html(frame: pd.DataFrame, caption: str = "") -> str:
    cap = f"<caption style='caption-side:top;text-align:left'><b>{html.escape(caption)}</b></caption>" if caption else ""
    body = frame.to_html(index=False, escape=True, border=0)
    return body.replace("<table", "<table style='font-size:85%'", 1).replace(">", ">" + cap, 1) if cap else body


class Block:
    """Base class: a heading and content that renders to PDF flowables and to HTML."""

    heading: str = ""

    def flowables(self, ctx: RenderContext) -> list[Flowable]:  # pragma: no cover - interface
        raise NotImplementedError

    def html(self, ctx: RenderContext) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def tables(self) -> dict[str, pd.DataFrame]:
        """Result tables shown by this block (name -> DataFrame), for saving beside the PDF."""
        return {}

    def _repr_html_(self) -> str:
        return self.html(RenderContext())

    def _heading_html(self, level: int = 2) -> str:
        return f"<h{level}>{html.escape(self.heading)}</h{level}>" if self.heading else ""


#: earlier names of the HTML helpers (kept for blocks written against them)
_figure_html = figure_html
_table_html = table_html

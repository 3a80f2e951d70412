"""Text and table blocks: title page, text sections, result tables and the cohort's Table 1."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from interp_ecg.report.blocks.base import WARNING_COLOR, Block, RenderContext, format_frame, table_html
from interp_ecg.report.layout import Flowable, Heading, PageBreak, Paragraph, Spacer, Table

class TitleBlock(Block):
    """Title page content: title, subtitle, date, seed, package versions and the config."""

    def __init__(self, title: str, subtitle: str = "", summary: str = "",
                 config: Mapping | None = None, seed: int | None = None,
                 versions: Mapping[str, str] | None = None, date: str | None = None) -> None:
        from interp_ecg.report.layout import today

        self.heading = title
        self.subtitle = subtitle
        self.summary = summary
        self.config = dict(config) if config else None
        self.seed = seed
        self.versions = dict(versions) if versions else None
        self.date = date or today()

    def _config_text(self) -> str:
        import yaml

        return yaml.safe_dump(self.config, sort_keys=False, default_flow_style=None, width=100).strip()

    def _facts(self) -> str:
        facts = [f"Date: {self.date}"]
        if self.seed is not None:
            facts.append(f"Seed: {self.seed}")
        if self.versions:
            facts.append("Versions: " + ", ".join(f"{k} {v}" for k, v in self.versions.items()))
        return "\n".join(facts)

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        out: list[Flowable] = [Heading(self.heading, level=0)]
        if self.subtitle:
            out.append(Paragraph(self.subtitle, size=12, color="#1a2a44"))
        out += [Spacer(0.1), Paragraph(self._facts(), size=8, color="#444444")]
        if self.summary:
            out += [Spacer(0.1), Paragraph(self.summary, size=9.5)]
        if self.config:
            out += [Spacer(0.15), Heading("Study configuration", level=2),
                    Paragraph(self._config_text(), size=7, mono=True)]
        return out

    def html(self, ctx: RenderContext) -> str:
        parts = [f"<h1>{html.escape(self.heading)}</h1>"]
        if self.subtitle:
            parts.append(f"<p><b>{html.escape(self.subtitle)}</b></p>")
        parts.append(f"<pre>{html.escape(self._facts())}</pre>")
        if self.summary:
            parts.append(f"<p>{html.escape(self.summary)}</p>")
        if self.config:
            parts.append(f"<details><summary>Study configuration</summary><pre>{html.escape(self._config_text())}</pre></details>")
        return "".join(parts)


class TextBlock(Block):
    """A heading with paragraphs of text (``\\n\\n`` separates paragraphs).

    ``warning``: a paragraph shown after the text in dark red, prefixed ``"Warning: "``
    (e.g. that the model explained next does not discriminate).
    """

    def __init__(self, heading: str, text: str = "", level: int = 1, page_break: bool = False,
                 warning: str = "") -> None:
        self.heading = heading
        self.text = text
        self.level = level
        self.page_break = page_break
        self.warning = warning

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        out: list[Flowable] = [PageBreak()] if self.page_break else []
        if self.heading:
            out.append(Heading(self.heading, level=self.level))
        out += [Paragraph(p.strip()) for p in self.text.split("\n\n") if p.strip()]
        if self.warning:
            out.append(Paragraph(f"Warning: {self.warning}", color=WARNING_COLOR))
        return out

    def html(self, ctx: RenderContext) -> str:
        paras = "".join(f"<p>{html.escape(p.strip())}</p>" for p in self.text.split("\n\n") if p.strip())
        if self.warning:
            paras += f'<p style="color:{WARNING_COLOR}"><strong>Warning:</strong> {html.escape(self.warning)}</p>'
        return self._heading_html(min(self.level + 1, 4)) + paras


class RecordTextBlock(Block):
    """Sentences grouped by record: one paragraph per record, headed by the record's report alias.

    Each record's paragraph starts with its alias in this report (``E001`` ..., the same
    numbering as every other block, listed in ``tables/report_aliases.csv`` of a run folder)
    and its ``head`` text (e.g. its score and the explanation's baseline), then its
    sentences, one per line, in the frame's row order.

    Parameters
    ----------
    heading : str
    frame : DataFrame
        One row per sentence, with columns ``record_col``, ``head_col`` (the same on every row
        of a record) and ``text_col``.
    text : str
        An introductory paragraph (what the sentences are), shown before the records.
    record_col, head_col, text_col : str
    max_records : int
        Records shown (the first ones in row order).

    Examples
    --------
    >>> from interp_ecg.report.blocks import RecordTextBlock
    >>> import pandas as pd
    >>> from interp_ecg.report.blocks.base import RenderContext, Pseudonymiser
    >>> f = pd.DataFrame({"record": [17, 17, 9], "head": ["score 0.8", "score 0.8", "score 0.1"],
    ...                   "sentence": ["QRS 150 ms raised it", "HR 130 bpm raised it", "HR 70 bpm lowered it"]})
    >>> b = RecordTextBlock("Grounded explanations", f, head_col="head")
    >>> b._paragraphs(RenderContext(pseudonymise=Pseudonymiser()))[1]
    'E002: score 0.1\\n- HR 70 bpm lowered it'
    """

    def __init__(self, heading: str, frame: pd.DataFrame, text: str = "", record_col: str = "record",
                 head_col: str = "head", text_col: str = "sentence", max_records: int = 12) -> None:
        self.heading = heading
        self.frame = frame
        self.text = text
        self.record_col = record_col
        self.head_col = head_col
        self.text_col = text_col
        self.max_records = max_records

    def _paragraphs(self, ctx: RenderContext) -> list[str]:
        out = []
        f = self.frame
        for rid in list(pd.unique(f[self.record_col]))[: self.max_records]:
            rows = f[f[self.record_col] == rid]
            head = str(rows[self.head_col].iloc[0]) if self.head_col in rows.columns else ""
            alias = ctx.pseudonymise(rid, "record")
            lines = [f"{alias}: {head}" if head else str(alias)]
            lines += [f"- {s}" for s in rows[self.text_col].astype(str)]
            out.append("\n".join(lines))
        return out

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        out: list[Flowable] = [Heading(self.heading, level=1)] if self.heading else []
        if self.text:
            out.append(Paragraph(self.text))
        return out + [Paragraph(p) for p in self._paragraphs(ctx)]

    def html(self, ctx: RenderContext) -> str:
        paras = [self.text] if self.text else []
        paras += self._paragraphs(ctx)
        body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paras)
        return self._heading_html(2) + body


class LeadBlock(Block):
    """``block`` with ``lead`` blocks shown right after its first heading, before its content.

    A section's warning (say, that the model whose output the section shows does not
    discriminate) belongs under the section's own heading; a block placed before the section
    would put its heading, in the page and in the PDF outline, at the end of the section
    before.

    Examples
    --------
    >>> from interp_ecg.report.blocks import Heading, RenderContext
    >>> from interp_ecg.report import LeadBlock, Report, TextBlock
    >>> section = LeadBlock(TextBlock("PheWAS", "Results."), TextBlock("Warning: x", "Why.", level=2))
    >>> [f.text for f in section.flowables(RenderContext()) if isinstance(f, Heading)]
    ['PheWAS', 'Warning: x']
    """

    def __init__(self, block: Block, *lead: Block) -> None:
        self.block = block
        self.lead = list(lead)

    @property
    def heading(self) -> str:  # type: ignore[override]
        return self.block.heading

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        # the lead first: figure and table numbers follow the order of the pages
        lead = [f for b in self.lead for f in b.flowables(ctx)]
        main = self.block.flowables(ctx)
        at = next((i + 1 for i, f in enumerate(main) if isinstance(f, Heading)), 0)
        return main[:at] + lead + main[at:]

    def html(self, ctx: RenderContext) -> str:
        lead = "".join(b.html(ctx) for b in self.lead)
        main = self.block.html(ctx)
        end = main.find("</h")
        at = main.find(">", end) + 1 if end >= 0 else 0
        return main[:at] + lead + main[at:]

    def tables(self) -> dict[str, pd.DataFrame]:
        return {**self.block.tables(), **{k: v for b in self.lead for k, v in b.tables().items()}}


class TableBlock(Block):
    """A results table, numbers formatted with :func:`format_number`, identifiers pseudonymised."""

    def __init__(self, frame: pd.DataFrame, heading: str = "", caption: str = "", digits: int = 3,
                 index: bool = False, note: str = "", name: str | None = None, level: int = 1,
                 max_rows: int | None = None) -> None:
        self.frame = frame
        self.heading = heading
        self.caption = caption
        self.digits = digits
        self.index = index
        self.note = note
        self.name = name
        self.level = level
        self.max_rows = max_rows

    def display_frame(self, ctx: RenderContext) -> pd.DataFrame:
        frame = self.frame.head(self.max_rows) if self.max_rows else self.frame
        frame = ctx.pseudonymise.frame(frame)
        if self.index:
            frame = frame.reset_index()
        return format_frame(frame, self.digits)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {self.name: self.frame} if self.name else {}

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        out: list[Flowable] = []
        if self.heading:
            out.append(Heading(self.heading, level=self.level))
        shown = self.display_frame(ctx)
        if len(shown) == 0 or len(shown.columns) == 0:
            # an empty table is a sentence, not a crash of the whole PDF
            out.append(Paragraph(f"{self.caption or self.heading or 'This table'}: no rows to show.", size=8))
        else:
            out.append(Table(shown, self.caption, number=ctx.next_table()))
        if self.note:
            out.append(Paragraph(self.note, size=8, style="italic"))
        return out

    def html(self, ctx: RenderContext) -> str:
        note = f"<p><i>{html.escape(self.note)}</i></p>" if self.note else ""
        return self._heading_html() + table_html(self.display_frame(ctx), self.caption) + note


#: columns that date an ECG, in the order they are looked for (the first ECG of a patient is the earliest)
DATE_COLUMNS = ("recording_date", "ecg_time")


def cohort_table(meta: pd.DataFrame, by: pd.Series | str | None = None,
                 categorical: Sequence[str] = ("sex",), continuous: Sequence[str] = ("age",),
                 digits: int = 1) -> pd.DataFrame:
    """A "Table 1": counts, continuous variables as mean (SD), categories as n (%).

    A cohort Table 1 describes each participant once (STROBE item 14a): with a ``patient_id``
    column, the characteristics (``continuous``, ``categorical``) come from one ECG per patient,
    the patient's first (the earliest by ``recording_date`` or ``ecg_time`` when the table has
    one, else the first in table order), and the number of ECGs is a row of its own. In a
    grouped table (``by``) a patient with ECGs in two groups is described in each, from the
    first ECG in that group. An ECG without a patient id is taken as a patient of its own, and
    a row says how many there are. Without a ``patient_id`` column the rows are ECGs. The
    returned frame's ``attrs["note"]`` says which.

    Parameters
    ----------
    meta : pandas.DataFrame
        One row per ECG (``patient_id`` identifies the patients when present).
    by : Series or column name, optional
        Grouping (e.g. the label); one column per group plus ``Overall``.
    categorical, continuous : sequence of str
        Columns described as n (%) per level and as mean (SD).
    digits : int
        Decimals of means, SDs and percentages.

    Examples
    --------
    >>> from interp_ecg.report import cohort_table
    >>> import pandas as pd
    >>> meta = pd.DataFrame({"age": [50, 70, 60, 80], "sex": ["F", "M", "F", "F"],
    ...                      "patient_id": [1, 2, 3, 3]})
    >>> t = cohort_table(meta, by=pd.Series(["no", "yes", "no", "yes"]))
    >>> t.loc[0].tolist()
    ['ECGs, n', '2', '2', '4']
    >>> t.loc[1].tolist()
    ['Patients, n', '2', '2', '3']
    >>> t.loc[2].tolist()  # overall: patient 3 once, from the first ECG (age 60)
    ['age, mean (SD)', '55.0 (7.1)', '75.0 (7.1)', '60.0 (10.0)']
    """
    meta = meta.reset_index(drop=True)
    if isinstance(by, str):
        groups = meta[by].astype(str)
    elif by is not None:
        groups = pd.Series(np.asarray(by), index=meta.index).astype(str)
    else:
        groups = None
    date_col = next((c for c in DATE_COLUMNS if c in meta.columns), None)
    per_patient = "patient_id" in meta.columns
    unknown = meta["patient_id"].isna() if per_patient else pd.Series(False, index=meta.index)
    if per_patient:
        key = meta["patient_id"].astype(object).where(~unknown, None)
        key = pd.Series([f"record:{i}" if u else str(k) for i, (k, u) in enumerate(zip(key, unknown))],
                        index=meta.index)
        order = (pd.to_datetime(meta[date_col], errors="coerce").sort_values(kind="stable", na_position="last").index
                 if date_col else meta.index)

    def patients(d: pd.DataFrame) -> pd.DataFrame:
        """One row per patient: the first ECG (by date, else table order)."""
        if not per_patient:
            return d
        ordered = d.loc[[i for i in order if i in d.index]]
        return ordered[~key[ordered.index].duplicated().to_numpy()]

    columns: list[tuple[str, pd.DataFrame]] = []
    if groups is not None:
        for g in sorted(groups.unique()):
            columns.append((str(g), meta[groups == g]))
    columns.append(("Overall", meta))
    firsts = {name: patients(part) for name, part in columns}
    rows: list[list[str]] = []

    def add(label: str, fn: Callable[[pd.DataFrame], str], of_patients: bool = True) -> None:
        rows.append([label, *[fn(firsts[name] if of_patients else part) for name, part in columns]])

    add("ECGs, n", lambda d: str(len(d)), of_patients=False)
    if per_patient:
        add("Patients, n", lambda d: str(len(d)))
        if unknown.any():
            add("ECGs without a patient id (each taken as a patient), n",
                lambda d: str(int(unknown[d.index].sum())), of_patients=False)
    for col in continuous:
        if col in meta.columns:
            def _mean_sd(d: pd.DataFrame, col: str = col) -> str:
                v = pd.to_numeric(d[col], errors="coerce").dropna()
                return f"{v.mean():.{digits}f} ({v.std(ddof=1):.{digits}f})" if len(v) > 1 else "NA"
            add(f"{col}, mean (SD)", _mean_sd)
    for col in categorical:
        if col not in meta.columns:
            continue
        levels = sorted(meta[col].dropna().astype(str).unique())
        for level in levels:
            def _pct(d: pd.DataFrame, col: str = col, level: str = level) -> str:
                n = int((d[col].astype(str) == level).sum())
                return f"{n} ({100.0 * n / max(len(d), 1):.{digits}f}%)"
            add(f"{col} = {level}, n (%)", _pct)
    out = pd.DataFrame(rows, columns=["Characteristic", *[name for name, _ in columns]])
    if per_patient:
        first = f"the earliest by {date_col}" if date_col else "the first in table order"
        out.attrs["note"] = (f"Characteristics per patient, from one ECG each ({first}); ECGs, n counts every "
                             "ECG. Percentages are of patients.")
    else:
        out.attrs["note"] = "No patient ids: every row counts ECGs."
    return out


class CohortTableBlock(TableBlock):
    """Table 1 of the cohort (see :func:`cohort_table`)."""

    def __init__(self, meta: pd.DataFrame, by: pd.Series | str | None = None,
                 heading: str = "Cohort (Table 1)", caption: str = "Characteristics of the cohort.",
                 categorical: Sequence[str] = ("sex",), continuous: Sequence[str] = ("age",),
                 note: str = "") -> None:
        frame = cohort_table(meta, by, categorical, continuous)
        super().__init__(frame, heading=heading, caption=caption, note=note or frame.attrs.get("note", ""),
                         name="table1")

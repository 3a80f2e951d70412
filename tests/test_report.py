"""Report blocks, the PDF they make, and the ECG plot at clinical scale."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from interp_ecg.io.leads import STANDARD_LEADS
from interp_ecg.report import (
    CohortTableBlock, CurvesBlock, MetricsBlock, PatientBlock, PhewasBlock, PrototypeGalleryBlock,
    PrototypeMatch, Pseudonymiser, Report, ShapSummaryBlock, TableBlock, TextBlock, TitleBlock,
    cohort_table, format_metrics, format_number, plot_ecg,
)
from interp_ecg.report.ecg_plot import CAL_MM, GAIN_MM_MV, MM_PER_INCH, PAPER_SPEED_MM_S, ecg_size_mm

PT_PER_MM = 72.0 / 25.4


def _explanation(n: int = 80, p: int = 8, seed: int = 0):
    rng = np.random.default_rng(seed)
    names = [f"feature_{i}_ms" for i in range(p)]
    values = rng.normal(size=(n, p)) * np.linspace(1, 0.1, p)
    return SimpleNamespace(values=values, base_values=np.full(n, 0.2), data=rng.normal(size=(n, p)),
                           feature_names=names)


@pytest.fixture(scope="module")
def record():
    from interp_ecg.simulate import simulate_record

    sig, fid, info = simulate_record("stach+lbbb", noise=0.2, random_state=3)
    return sig, fid, info


@pytest.fixture(scope="module")
def metrics():
    rows = []
    for k, model in enumerate(["ensemble", "rule (QRS>=120 & HR>=100)"]):
        for j, metric in enumerate(["roc_auc", "pr_auc", "brier"]):
            est = 0.61 + 0.1 * k + 0.07 * j + 0.000123
            rows.append({"model": model, "metric": metric, "estimate": est, "ci_low": est - 0.1,
                         "ci_high": est + 0.05})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def full_report(record, metrics):
    sig, fid, _ = record
    rng = np.random.default_rng(1)
    meta = pd.DataFrame({"age": rng.normal(60, 10, 50), "sex": rng.choice(["female", "male"], 50),
                         "patient_id": np.arange(50) // 2})
    y = rng.integers(0, 2, 50)
    expl = _explanation()
    one = SimpleNamespace(values=expl.values[0], base_values=expl.base_values[0], data=expl.data[0],
                          feature_names=expl.feature_names)
    phewas = pd.DataFrame({"exposure": "proto_AFIB_00", "phecode": [f"CV_{i}" for i in range(30)],
                           "description": [f"condition {i}" for i in range(30)],
                           "category": np.repeat(["circulatory", "renal", "endocrine"], 10),
                           "OR": np.linspace(0.5, 3, 30), "p": np.logspace(-9, -0.1, 30)})
    phewas["q"] = np.minimum(1, phewas["p"] * 30)
    seg = sig[[1, 6], 1000:1450]
    match = PrototypeMatch("CLBBB", "proto_CLBBB_01", 0.87, sig[[1, 6], :1500], seg, 500.0, ["II", "V1"],
                           (0.5, 1.4), "4711 2.0-2.9 s", 0.12)
    return Report("Test report", [
        TitleBlock("Test report", "A subtitle", summary="Summary text.", config={"seed": 0, "data": {"n": 3}},
                   seed=0, versions={"numpy": np.__version__}),
        CohortTableBlock(meta, by=pd.Series(np.where(y, "case", "control"))),
        MetricsBlock(metrics, note="Circular label: defined from the model's inputs."),
        CurvesBlock(y, {"model": rng.uniform(size=50) * 0.5 + y * 0.5}),
        ShapSummaryBlock(expl, dependence=2),
        PatientBlock("ECG-SECRET-123", sig, 500.0, fiducials=fid,
                     marks=[{"lead": "V1", "start": 1000, "end": 1080, "label": "QRS 160 ms"}],
                     explanation=one, sentences=["QRS duration 160 ms (lead V1, marked on the trace) "
                                                 "raised the WCT probability by 0.21"],
                     summary={"WCT probability": 0.91}, matches=[match], patient_id="PATIENT-SECRET-9"),
        PrototypeGalleryBlock([{"name": "proto_CLBBB_01", "label": "CLBBB", "segment": seg, "fs": 500.0,
                                "leads": ["II", "V1"], "source": "4711", "window": "2.0-2.9 s"}]),
        PhewasBlock(phewas),
        TableBlock(pd.DataFrame({"record_id": ["ECG-SECRET-123"], "value": [1.5]}), heading="Identifiers"),
    ])


@pytest.fixture(scope="module")
def pdf_a4(full_report, tmp_path_factory):
    path = tmp_path_factory.mktemp("rep") / "report.pdf"
    full_report.save_pdf(path, paper="a4")
    return PdfReader(str(path))


def _text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_has_sections_page_numbers_and_captions(pdf_a4):
    text = _text(pdf_a4)
    n = len(pdf_a4.pages)
    for heading in ("Test report", "Study configuration", "Cohort (Table 1)", "Model performance",
                    "ROC, precision-recall and calibration", "What drives the model (SHAP)",
                    "Why the model decided this", "This looks like that", "Prototype gallery",
                    "Phenome-wide association study"):
        assert heading in text, heading
    for i in range(1, n + 1):
        assert f"Page {i} of {n}" in pdf_a4.pages[i - 1].extract_text()
    figures = sorted({int(m) for m in re.findall(r"Figure (\d+)\.", text)})
    assert figures == list(range(1, len(figures) + 1)) and len(figures) >= 6
    assert "Table 1." in text and "Circular label" in text


def test_pdf_numbers_equal_the_tables(pdf_a4, metrics):
    text = _text(pdf_a4)
    for _, r in metrics.iterrows():
        cell = f"{format_number(r.estimate)} ({format_number(r.ci_low)}-{format_number(r.ci_high)})"
        assert cell in text
    # Table 1 counts
    assert "ECGs, n" in text and " 50" in text


def test_identifiers_are_pseudonymised_unless_asked(full_report, pdf_a4, tmp_path):
    text = _text(pdf_a4)
    assert "SECRET" not in text
    assert "P001" in text
    full_report.pseudonymise = False
    try:
        full_report.save_pdf(tmp_path / "ids.pdf")
        assert "ECG-SECRET-123" in _text(PdfReader(str(tmp_path / "ids.pdf")))
    finally:
        full_report.pseudonymise = True


def test_paper_sizes_and_landscape_patient_pages(full_report, pdf_a4, tmp_path):
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in pdf_a4.pages}
    assert sizes == {(595, 842), (842, 595)}  # A4 portrait and landscape (patient pages)
    full_report.save_pdf(tmp_path / "letter.pdf", paper="letter")
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height)))
             for p in PdfReader(str(tmp_path / "letter.pdf")).pages}
    assert sizes == {(612, 792), (792, 612)}


def test_pdf_is_vector(pdf_a4):
    assert all(len(page.images) == 0 for page in pdf_a4.pages)


def test_every_block_renders_html(full_report):
    for block in full_report.blocks:
        html = block._repr_html_()
        assert isinstance(html, str) and len(html) > 20
    html = full_report._repr_html_()
    assert "<svg" in html and "SECRET" not in html


def test_ecg_plot_is_at_clinical_scale(tmp_path):
    fs = 500.0
    sig = np.zeros((12, 5000), dtype=np.float32)
    sig[1, 1000:1500] = 1.0  # a 1 mV, 1 s step in lead II
    ax = plot_ecg(sig, fs)
    fig = ax.figure
    w_mm, h_mm = ecg_size_mm()
    assert fig.get_size_inches()[0] * MM_PER_INCH == pytest.approx(w_mm)
    assert w_mm == pytest.approx(CAL_MM + 10 * PAPER_SPEED_MM_S)
    assert ax is fig.axes[0]
    # data units are millimetres on paper: the axes span exactly the figure
    assert ax.get_xlim() == (0, w_mm) and ax.get_ylim() == (0, h_mm)
    traces = [line for line in ax.get_lines() if len(line.get_xdata()) > 100]
    rhythm = [t for t in traces if len(t.get_xdata()) == 5000]
    assert len(rhythm) == 1
    x, y = rhythm[0].get_xdata(), rhythm[0].get_ydata()
    assert np.ptp(y) == pytest.approx(GAIN_MM_MV, rel=1e-3)  # 1 mV -> 10 mm
    step = x[np.flatnonzero(np.diff(y) > 0)[0] + 1] - x[0]
    assert step == pytest.approx(2.0 * PAPER_SPEED_MM_S, abs=0.1)  # 2 s -> 50 mm
    # 3x4 layout: 12 short traces of 2.5 s each + the rhythm strip
    assert sum(len(t.get_xdata()) == 1250 for t in traces) == 12


def test_ecg_plot_marks_every_visible_fiducial(record):
    sig, fid, _ = record
    glob = fid[fid["lead"] == "global"]
    ax = plot_ecg(sig, 500.0, fiducials=fid)
    ticks = [line for line in ax.get_lines() if len(line.get_xdata()) == 2
             and line.get_xdata()[0] == line.get_xdata()[1] and line.get_color() != "black"]
    cols = ["P_on", "P_off", "QRS_on", "QRS_off", "T_off"]
    pts = pd.concat([pd.to_numeric(glob[c], errors="coerce") for c in cols if c in glob]).dropna().to_numpy()
    pts = pts[pts < 5000]
    # each fiducial time falls in one 2.5 s column, drawn there on that column's three leads, and
    # once more on the rhythm strip; plus one legend tick per fiducial kind
    legend = sum(c in glob.columns for c in cols)
    assert len(ticks) == 4 * len(pts) + legend


def test_cohort_table_counts():
    meta = pd.DataFrame({"age": [40, 50, 60, 70], "sex": ["F", "M", "F", "F"], "patient_id": [1, 1, 2, 3]})
    t = cohort_table(meta, by=pd.Series(["a", "a", "b", "b"]))
    assert t.columns.tolist() == ["Characteristic", "a", "b", "Overall"]
    row = t.set_index("Characteristic")
    assert row.loc["Patients, n"].tolist() == ["1", "2", "3"]
    # one ECG per patient (patient 1's first, age 40): 40, 60, 70 (the mean over ECGs was 55.0 (12.9))
    assert row.loc["age, mean (SD)", "Overall"] == "56.7 (15.3)"
    assert row.loc["sex = F, n (%)", "b"] == "2 (100.0%)"


def test_format_metrics_wide_and_order(metrics):
    wide = format_metrics(metrics)
    assert wide["model"].tolist() == ["ensemble", "rule (QRS>=120 & HR>=100)"]
    assert wide.columns.tolist() == ["model", "roc_auc", "pr_auc", "brier"]


def test_pseudonymiser_is_stable_and_hides_identifier_columns():
    p = Pseudonymiser()
    frame = pd.DataFrame({"patient_id": [7, 8, 7], "x": [1, 2, 3]})
    out = p.frame(frame)
    assert out["patient_id"].tolist() == ["P001", "P002", "P001"]
    assert out["x"].tolist() == [1, 2, 3]


def test_a_failing_block_does_not_kill_the_report(tmp_path):
    class Broken(TextBlock):
        def flowables(self, ctx):
            raise RuntimeError("boom")

    rep = Report("r", [TextBlock("Fine", "ok"), Broken("Broken", "x")])
    rep.save_pdf(tmp_path / "r.pdf")
    text = _text(PdfReader(str(tmp_path / "r.pdf")))
    assert "Fine" in text and "could not be rendered" in text


# -- table headers are never cut (issue 17, "Reports that can be read") --------------------------

LEADS = list(STANDARD_LEADS)


def _per_lead_table(columns, n_rows=8):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(0.8, 0.4, (n_rows, len(columns))), columns=columns)
    frame.insert(0, "record_id", [f"{i:05d}_hr" for i in range(n_rows)])
    return frame


def _pdf_text(frame, tmp_path, paper="a4"):
    rep = Report("Per-lead table", pseudonymise=False)
    rep.add(TableBlock(frame, heading="Per-lead amplitudes", caption="Amplitudes per lead (mV)."))
    path = tmp_path / f"table_{paper}.pdf"
    rep.save_pdf(path, paper=paper)
    return [page.extract_text() for page in PdfReader(path).pages]


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_fifteen_column_table_keeps_every_header(tmp_path, paper):
    """Before: record_id + 14 per-lead columns showed 9 distinguishable headers ('R_amp_m…')."""
    cols = [f"R_amp_mV_{lead}" for lead in LEADS] + ["S_amp_mV_V1", "S_amp_mV_V5"]
    frame = _per_lead_table(cols)
    pages = _pdf_text(frame, tmp_path, paper)
    text = "".join(pages)
    assert "…" not in text
    # headers wrap onto lines; joined back they give every full name, in order, once
    joined = re.sub(r"\s+", "", text)
    assert "".join(frame.columns) in joined
    assert len(pages) == 1  # fits the page without splitting


def test_table_too_wide_for_the_page_is_split_into_column_parts(tmp_path):
    cols = [f"{wave}_amp_mV_{lead}" for wave in ("Q", "R", "S") for lead in LEADS]
    frame = _per_lead_table(cols, n_rows=6)
    text = "".join(_pdf_text(frame, tmp_path))
    joined = re.sub(r"\s+", "", text)
    assert "…" not in text
    assert "(continued: columns" in text
    for name in cols:  # every header appears whole (in one of the parts)
        assert name in joined
    # the identifier column is repeated in each part, so every row can be read across parts
    n_parts = text.count("(continued: columns") + 1
    assert n_parts >= 2
    assert joined.count("record_id") == n_parts
    assert joined.count("00003_hr") == n_parts


def test_wrap_header_keeps_every_character():
    from interp_ecg.report.layout import text_width, wrap_header

    for name in ["R_amp_mV_V1", "QTc_Bazett_ms", "a_very_long_feature_name_without_much_sense", "x"]:
        for width in (0.05, 0.2, 0.5, 3.0):
            lines = wrap_header(name, width, 7.5)
            assert "".join(lines) == name
            assert all(text_width(line, 7.5, True) <= width + 1e-9 or len(line) == 1 for line in lines)


# -- typesetting by reportlab (issue 14) ----------------------------------------------------------


def test_pdf_has_an_outline_of_its_headings(pdf_a4):
    def titles(items):
        out = []
        for item in items:
            out.extend(titles(item) if isinstance(item, list) else [item.title])
        return out

    outline = titles(pdf_a4.outline)
    for heading in ("Test report", "Cohort (Table 1)", "Model performance", "What drives the model (SHAP)",
                    "Prototype gallery", "Phenome-wide association study"):
        assert heading in outline, heading
    # every bookmark points at the page its heading is printed on
    for item in pdf_a4.outline:
        if isinstance(item, list):
            continue
        page = pdf_a4.get_destination_page_number(item)
        assert item.title.split(":")[0] in pdf_a4.pages[page].extract_text()


def test_pdf_metadata(pdf_a4):
    meta = pdf_a4.metadata
    assert meta.title == "Test report" and meta.subject == "Test report"
    assert meta.author == "interp-ecg" and meta.creator == "interp-ecg"


def test_figures_are_vector_with_text(pdf_a4):
    """Figures are matplotlib's vector PDF stamped on the page: their text can be extracted and no
    page holds a raster image (the ECG traces are vector too)."""
    text = _text(pdf_a4)
    for label in ("False positive rate", "Precision-recall", "aVR", "V6"):
        assert label in text, label
    for page in pdf_a4.pages:
        xobjects = page["/Resources"].get("/XObject", {})
        assert all(x.get_object()["/Subtype"] != "/Image" for x in xobjects.values())


def test_no_blank_pages(pdf_a4):
    for page in pdf_a4.pages:
        lines = [ln for ln in page.extract_text().splitlines() if ln.strip()]
        assert len(lines) > 2  # more than the footer


def test_long_table_splits_across_pages_with_its_header_repeated(tmp_path):
    n = 150
    frame = pd.DataFrame({"record_id": [f"rec{i:04d}" for i in range(n)],
                          "QRS_duration_ms": np.linspace(80, 160, n),
                          "comment": ["a long free-text comment that wraps inside its cell " * (1 + i % 3)
                                      for i in range(n)]})
    rep = Report("Long", [TextBlock("Intro", "Some text."),
                          TableBlock(frame, heading="Durations", caption="All records.")], pseudonymise=False)
    rep.save_pdf(tmp_path / "long.pdf")
    pages = [p.extract_text() for p in PdfReader(str(tmp_path / "long.pdf")).pages]
    with_rows = [p for p in pages if "rec0" in p]
    assert len(with_rows) >= 3
    for k, page in enumerate(with_rows):
        assert "QRS_duration_ms" in page and "comment" in page  # header on every page
        assert ("Table 1. All records. (continued)" in page) == (k > 0)
    text = "\n".join(pages)
    assert all(f"rec{i:04d}" in text for i in range(n))  # no row lost
    assert "…" not in text  # long cells wrap, nothing is cut


def test_heading_keeps_with_its_table(tmp_path):
    """A heading never ends a page: when its table does not fit below it, both move on."""
    frame = pd.DataFrame({"a": np.arange(20), "b": np.arange(20) * 2.0})
    for n_filler in range(30, 70, 4):
        filler = "\n\n".join(f"Filler paragraph {i} with a few words." for i in range(n_filler))
        rep = Report("Keep", [TextBlock("Filler", filler), TableBlock(frame, heading="Section X", caption="Cap.")])
        rep.save_pdf(tmp_path / "keep.pdf")
        for page in PdfReader(str(tmp_path / "keep.pdf")).pages:
            text = page.extract_text()
            if "Section X" in text:
                assert "Table 1. Cap." in text and "38.000" in text  # heading, caption and whole table


def test_consecutive_orientation_changes_make_no_blank_page(tmp_path, record):
    sig, fid, _ = record
    rep = Report("Two patients", [PatientBlock("a", sig, 500.0, fiducials=fid),
                                  PatientBlock("b", sig, 500.0, fiducials=fid),
                                  TextBlock("After", "Back to portrait.")])
    rep.save_pdf(tmp_path / "two.pdf")
    pages = PdfReader(str(tmp_path / "two.pdf")).pages
    sizes = [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in pages]
    assert sizes == [(842, 595), (842, 595), (595, 842)]
    assert rep.n_pages_ == 3


def test_block_written_against_the_flowable_api_renders(tmp_path):
    """The contract of interp_ecg.report.blocks: a block built from the layout constructors."""
    from interp_ecg.report.blocks import Block
    from interp_ecg.report.layout import FigureFlowable, Heading, PageBreak, Paragraph, Spacer, Table

    class Card(Block):
        heading = "Card"

        def flowables(self, ctx):
            note = Paragraph("A note that stays with its figure.", size=8)
            note.keep_with_next = True
            return [PageBreak("landscape"), Heading(self.heading, level=1), Heading("Sub", level=3), note,
                    FigureFlowable(lambda r: r.add_axes(0.1, 0.1, 0.8, 0.8).plot([0, 1], [1, 0]), 2.0,
                                   "A line.", ctx.next_figure(), fig_width=4.0),
                    Spacer(0.2), Table(pd.DataFrame({"x": ["1"]}), "T", number=ctx.next_table()),
                    PageBreak("portrait")]

        def html(self, ctx):
            return "<p>card</p>"

    rep = Report("Cards", [Card(), TextBlock("End", "done")])
    rep.save_pdf(tmp_path / "card.pdf")
    reader = PdfReader(str(tmp_path / "card.pdf"))
    assert [round(float(p.mediabox.width)) for p in reader.pages] == [842, 595]
    text = _text(reader)
    assert "Figure 1. A line." in text and "Table 1. T" in text and "A note" in text


def test_a_failing_figure_does_not_kill_the_report(tmp_path):
    from interp_ecg.report import FigureBlock

    def broken(ax):
        raise RuntimeError("boom")

    rep = Report("r", [FigureBlock(broken, caption="Broken figure."), TextBlock("After", "still here")])
    rep.save_pdf(tmp_path / "r.pdf")
    text = _text(PdfReader(str(tmp_path / "r.pdf")))
    assert "figure could not be drawn" in text and "still here" in text and "Figure 1. Broken figure." in text


def test_text_just_outside_a_figure_is_not_clipped(tmp_path):
    """A label matplotlib draws past the figure's right edge (a bar's value) stays visible."""
    import shutil
    import subprocess

    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    from PIL import Image

    from interp_ecg.report import FigureBlock

    def draw(ax):
        ax.set_axis_off()
        ax.text(1.02, 0.5, "WWWWWWWW", transform=ax.transAxes, fontsize=20, va="center")

    # axes 0.12-0.92 of a 4 in wide figure: the label starts 0.35 in before the figure's right edge
    Report("c", [FigureBlock(draw, height_in=1.0, width_in=4.0)]).save_pdf(tmp_path / "c.pdf")
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(tmp_path / "c.pdf"),
                    str(tmp_path / "c")], check=True)
    img = np.asarray(Image.open(next(tmp_path.glob("c*.png"))).convert("L"))
    page_w_in = 8.27
    right_edge = (page_w_in / 2 + 2.0) / page_w_in * img.shape[1]  # centred 4 in figure
    beyond = img[:, int(right_edge) + 3:int(right_edge) + 40]
    assert (beyond < 128).any()


def test_runs_of_spaces_separate_facts(tmp_path):
    """Facts joined by three spaces (patient summaries) keep their separation in the PDF."""
    rep = Report("s", [TextBlock("Facts", "WCT probability: 0.972   Rule: positive")])
    rep.save_pdf(tmp_path / "s.pdf")
    assert re.search(r"0\.972\s{2,}Rule", _text(PdfReader(str(tmp_path / "s.pdf"))))


def test_every_plot_takes_ax_none_and_returns_its_axes():
    """One convention for every public plot of the package (report, explain, phenotype)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure
    from sklearn.metrics import average_precision_score, roc_auc_score

    from interp_ecg.explain import plots as explain_plots
    from interp_ecg.phenotype import plots as phenotype_plots
    from interp_ecg.report import plots

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    s = np.clip(0.35 * y + rng.uniform(0, 0.65, 200), 0, 1)
    expl = SimpleNamespace(values=rng.normal(size=(30, 3)), base_values=np.zeros(30),
                           data=rng.normal(size=(30, 3)), feature_names=["a", "b", "c"])
    summary = pd.DataFrame({"exposure": ["x", "x", "z"], "phecode": ["401", "427.2", "401"],
                            "p": [1e-4, 0.3, 0.02], "q": [3e-4, 0.3, 0.03], "beta": [0.4, -0.2, 0.1],
                            "category": ["circ", "circ", "circ"]})
    calls = {
        "plot_roc": lambda ax: plots.plot_roc(y, {"m": s}, ax=ax),
        "plot_pr": lambda ax: plots.plot_pr(y, {"m": s}, ax=ax),
        "plot_calibration": lambda ax: plots.plot_calibration(y, {"m": s}, n_bins=5, ax=ax),
        "plot_segment": lambda ax: plots.plot_segment(rng.normal(size=(2, 100)), 500.0, ["I", "II"], ax=ax),
        "plot_bar": lambda ax: explain_plots.plot_bar(expl, ax=ax),
        "plot_beeswarm": lambda ax: explain_plots.plot_beeswarm(expl, ax=ax),
        "plot_dependence": lambda ax: explain_plots.plot_dependence(expl, "b", color="c", ax=ax),
        "plot_waterfall": lambda ax: explain_plots.plot_waterfall(SimpleNamespace(
            values=expl.values[0], base_values=0.0, data=expl.data[0], feature_names=expl.feature_names), ax=ax),
        "plot_manhattan": lambda ax: phenotype_plots.plot_manhattan(summary, ax=ax),
        "plot_volcano": lambda ax: phenotype_plots.plot_volcano(summary, ax=ax),
        "plot_category_heatmap": lambda ax: phenotype_plots.plot_category_heatmap(summary, ax=ax),
    }
    public = {n for mod in (plots, explain_plots, phenotype_plots) for n in mod.__all__ if n.startswith("plot_")}
    assert set(calls) == public
    for name, call in calls.items():
        given = Figure().add_subplot()
        assert call(given) is given, name
        made = call(None)
        assert made is not None and made.figure is not given.figure, name
        plt.close(made.figure)
    ax = plots.plot_roc(y, {"m": s}, ax=Figure().add_subplot())
    assert ax.get_legend().get_texts()[0].get_text() == f"m (AUC {roc_auc_score(y, s):.3f})"
    ax = plots.plot_pr(y, {"m": s}, ax=Figure().add_subplot())
    assert ax.get_legend().get_texts()[0].get_text() == f"m (AP {average_precision_score(y, s):.3f})"


def test_plots_have_one_owner():
    """SHAP plots live in explain, PheWAS plots in phenotype; the report keeps no copy."""
    from interp_ecg.report import plots

    for gone in ("plot_shap_bar", "plot_shap_beeswarm", "plot_shap_dependence", "plot_shap_waterfall",
                 "plot_manhattan", "explanation_parts", "roc_axes", "manhattan_axes"):
        assert not hasattr(plots, gone), gone

"""The Python code blocks of README.md and docs/*.md run, so the docs cannot go untrue unnoticed.

Every fenced ```python block is run in a fresh namespace, in a temporary working folder (a
block that writes ``data/synthetic`` writes it there), with ``INTERP_ECG_DATA`` set to the
shared reference data when a block names it. Small-data guard: ``interp_ecg.simulate.cohort``
writes at most :data:`MAX_COHORT` records (a block asking for 200 gets 12), so the default
suite stays fast; the block's code is otherwise run as written. A block can be left out only
by an HTML comment ``<!-- docs-test: skip REASON -->`` on the line before its fence; the
reason is the skip message.

Shell blocks are not run (they install, run the suite or start long jobs); the
``interp-ecg`` commands they show are checked against the command line instead: each
subcommand exists and each ``--option`` it is shown with is one of its options.
The claims a block's comments make (shapes, units, counts) are checked where the block
defines the names (:func:`test_readme_python_block_claims`).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: records a documented ``simulate.cohort`` call writes at most in this test
MAX_COHORT = 12

_FENCE = re.compile(r"^```(\w*)\s*$")
_SKIP = re.compile(r"<!--\s*docs-test:\s*skip\s+(.*?)\s*-->")


def code_blocks(path: Path, languages: tuple[str, ...]) -> list[tuple[int, str, str, str | None]]:
    """``(line, language, code, skip reason)`` of every fenced block of ``languages`` in ``path``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        lang, start = m.group(1).lower(), i
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        if lang in languages:
            prev = lines[start - 1] if start else ""
            skip = _SKIP.search(prev)
            out.append((start + 1, lang, "\n".join(lines[start + 1:j]) + "\n", skip.group(1) if skip else None))
        i = j + 1
    return out


PY_BLOCKS = [(p, *b) for p in DOCS for b in code_blocks(p, ("python", "py"))]
SH_BLOCKS = [(p, *b) for p in DOCS for b in code_blocks(p, ("bash", "sh", "shell", "console"))]


def _id(block) -> str:
    return f"{block[0].relative_to(ROOT)}:{block[1]}"


def test_the_readme_has_python_blocks():
    assert [b for b in PY_BLOCKS if b[0].name == "README.md"], "README.md shows no Python: was the block removed?"


def _run(code: str, where: Path, request) -> dict:
    """Run ``code`` in a fresh namespace in ``where`` with cohorts capped at :data:`MAX_COHORT`
    records and shared data via its fixture when named; the process state is restored after."""
    import interp_ecg.simulate as simulate

    real = simulate.cohort

    def capped(n, *args, **kwargs):
        return real(min(int(n), MAX_COHORT), *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(simulate, "cohort", capped)  # what `simulate.cohort` and `from interp_ecg.simulate import cohort` find
        if "INTERP_ECG_DATA" in code or "shared/data" in code or "data_root(" in code:
            mp.setenv("INTERP_ECG_DATA", str(request.getfixturevalue("shared_data")))
        mp.chdir(where)
        mp.setenv("MPLBACKEND", "Agg")
        namespace: dict = {"__name__": "__docs_block__"}
        exec(compile(code, "<docs block>", "exec"), namespace)  # noqa: S102 - the project's own docs
    return namespace


@pytest.fixture(scope="module")
def run_block(tmp_path_factory):
    """Run a block once per module (its namespace and folder are reused by the claim checks)."""
    done: dict = {}

    def run(block, request) -> tuple[dict, Path]:
        key = _id(block)
        if key not in done:
            where = tmp_path_factory.mktemp("docs_block")
            done[key] = (_run(block[3], where, request), where)
        return done[key]

    return run


@pytest.mark.parametrize("block", PY_BLOCKS, ids=_id)
def test_python_block_runs(block, run_block, request):
    path, line, _, code, skip = block
    if skip:
        pytest.skip(f"{path.name}:{line}: {skip}")
    run_block(block, request)


def test_readme_python_block_claims(run_block, request):
    """The comments of the README's first block: shapes, units, rows per record, > 100 features."""
    import numpy as np

    block = next(b for b in PY_BLOCKS if b[0].name == "README.md")
    ns, where = run_block(block, request)
    assert (where / "data" / "synthetic" / "ptbxl_database.csv").is_file()         # PTB-XL layout on disk
    ds, rec, fid, table = ns["ds"], ns["rec"], ns["fid"], ns["table"]
    assert len(ds) == MAX_COHORT
    assert rec.signal.shape == (12, 5000) and rec.signal.dtype == np.float32      # .signal (12, 5000) float32
    assert 0.1 < float(np.nanmax(np.abs(rec.signal))) < 10                         # mV, not uV or V
    assert "global" in set(fid["lead"]) and set(rec.leads) <= set(fid["lead"])     # per lead + "global"
    assert len(table) == len(ds) and table.index.equals(ds.meta.index)             # one row per record
    assert len(table.select_dtypes("number").columns) > 100                       # >100 features


def _cli_commands():
    """``(doc, line, subcommand words, options)`` of every ``interp-ecg`` call in a shell block."""
    out = []
    for path, line, _, code, skip in SH_BLOCKS:
        if skip:
            continue
        for k, raw in enumerate(code.splitlines()):
            text = raw.split("#", 1)[0].strip()
            if not text.startswith("interp-ecg "):
                continue
            words = shlex.split(text)[1:]
            sub = []
            for w in words:
                if w.startswith("-") or w in ("...", "/") or "/" in w or "." in w or w.isupper():
                    break
                sub.append(w)
            opts = [w.split("=", 1)[0] for w in words if w.startswith("--")]
            out.append((path, line + 1 + k, sub, opts))
    return out


CLI_CALLS = _cli_commands()


@pytest.mark.parametrize("call", CLI_CALLS, ids=lambda c: f"{c[0].name}:{c[1]}:{' '.join(c[2])}")
def test_shell_block_cli_call_exists(call):
    from typer.testing import CliRunner

    from interp_ecg.cli import app

    path, line, sub, opts = call
    assert sub, f"{path.name}:{line}: no subcommand"
    # a group ("study", "prototypes") takes the next word as its command
    res = CliRunner().invoke(app, [*sub[:2], "--help"], env={"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
    if res.exit_code != 0 and len(sub) > 1:
        sub = sub[:1]
        res = CliRunner().invoke(app, [*sub, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
    assert res.exit_code == 0, f"{path.name}:{line}: `interp-ecg {' '.join(sub)}` is not a command: {res.output}"
    helptext = re.sub(r"\x1b\[[0-9;]*m", "", res.output)
    missing = [o for o in opts if o != "--help" and o not in helptext]
    assert not missing, f"{path.name}:{line}: `interp-ecg {' '.join(sub)}` has no option(s) {missing}"


def _scripts():
    """``(doc, line, script)`` of every ``python|bash <file>`` a shell block runs."""
    out = []
    for path, line, _, code, skip in SH_BLOCKS:
        if skip:
            continue
        for k, raw in enumerate(code.splitlines()):
            m = re.match(r"\s*(?:python3?|bash)\s+(?:-m\s+\S+\s+)?([\w./-]+\.(?:py|sh))\b", raw)
            if m:
                out.append((path, line + 1 + k, m.group(1)))
    return out


@pytest.mark.parametrize("call", _scripts(), ids=lambda c: f"{c[0].name}:{c[1]}:{c[2]}")
def test_shell_block_script_exists(call):
    path, line, script = call
    assert (ROOT / script).is_file(), f"{path.name}:{line}: {script} is not in the repository"

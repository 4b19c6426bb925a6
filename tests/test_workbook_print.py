"""The quotes workbook as a program officer prints it: through LibreOffice Calc (Debian's
`libreoffice-calc`, which `make office` installs and `make test` requires).

The sample run's quotes (tests/fixtures/sample_run, 100 quotes of the shipped sample on 20 sheets)
are written to a workbook and printed to PDF: every sheet must come out one page wide with its
header on each page, and no row may be shorter than LibreOffice itself needs for its wrapped text.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from themes.export import summary_table, write_quotes_workbook

pytestmark = pytest.mark.office

SAMPLE_RUN = Path(__file__).parent / "fixtures" / "sample_run"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _require_soffice() -> str:
    if SOFFICE:
        return SOFFICE
    reason = ("LibreOffice (soffice) is not installed, so the workbook's print layout cannot be checked. Run "
              "`make office` (as root) to install Debian's libreoffice-calc.")
    if os.environ.get("THEMES_REQUIRE_OFFICE") == "1":  # set by `make test`, so CI never skips these
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _convert(source: Path, target_format: str, out: Path) -> Path:
    """`soffice --headless --convert-to`, with its own profile so that runs never share one."""
    out.mkdir(parents=True, exist_ok=True)
    profile = out / "profile"
    subprocess.run([_require_soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                    "--convert-to", target_format, "--outdir", str(out), str(source)],
                   check=True, capture_output=True, timeout=300)
    converted = out / f"{source.stem}.{target_format.split(':')[0]}"
    assert converted.is_file(), f"LibreOffice wrote no {converted.name}"
    return converted


def _sample_quotes() -> tuple[pd.DataFrame, dict[str, str]]:
    quotes = pd.read_csv(SAMPLE_RUN / "quotes.csv", encoding="utf-8-sig", keep_default_na=False)
    labels = dict(zip(quotes["theme"], quotes["label"]))
    return quotes, labels


@pytest.fixture(scope="module")
def sample_workbook(tmp_path_factory) -> Path:
    _require_soffice()
    quotes, labels = _sample_quotes()
    counts = pd.read_csv(SAMPLE_RUN / "theme_counts.csv", encoding="utf-8-sig")
    framework = pd.read_csv(SAMPLE_RUN / "framework_counts.csv", encoding="utf-8-sig")
    path = tmp_path_factory.mktemp("workbook") / "quotes.xlsx"
    write_quotes_workbook(path, summary_table(SimpleNamespace(counts=counts, framework=framework)), quotes, labels)
    return path


@pytest.fixture(scope="module")
def printed(sample_workbook) -> list[str]:
    """The text of each page of the workbook printed to PDF by LibreOffice."""
    import pdfplumber

    pdf = _convert(sample_workbook, "pdf", sample_workbook.parent / "pdf")
    with pdfplumber.open(pdf) as document:
        return [page.extract_text() or "" for page in document.pages]


def test_every_sheet_prints_on_one_page(printed):
    """Each sheet of the sample holds at most five quotes: one landscape page, one page wide."""
    _, labels = _sample_quotes()
    assert len(printed) == len(labels) + 1, f"{len(labels) + 1} sheets printed to {len(printed)} pages"


def test_every_page_has_the_header_row_and_the_last_column(printed):
    assert {"theme", "respondents", "method"} <= set(printed[0].split())
    for number, text in enumerate(printed[1:], start=2):
        assert {"rank", "quote", "use"} <= set(text.split()), f"page {number} lacks the header row or its last column"


def test_no_row_is_shorter_than_its_wrapped_text(sample_workbook, tmp_path):
    """Calc does not grow a row with a fixed height: the heights the workbook sets must be at least those
    LibreOffice computes for the row's wrapped text (its optimal height), or the end of a quote is hidden
    and the next row printed over it. Read through LibreOffice's UNO API (tests/lo_row_heights.py)."""
    heights = _lo_row_heights(sample_workbook, tmp_path)

    assert len(heights) == len(_sample_quotes()[1]) + 1  # the Summary and a sheet per theme
    rows = [(f"{name}!{row}", given, needed) for name, sheet in heights.items() for row, (given, needed) in
            sheet.items()]
    # every quote's row, each quote sheet's header and the summary's rows (its header's too: review 156)
    assert len(rows) == 100 + len(heights) - 1 + len(heights["Summary"])
    assert [f"{where}: {given} < {needed}" for where, given, needed in rows if given < needed - 0.25] == []
    # Nor wastefully tall: a row is at most about one line taller than it needs (Excel's lines are taller).
    assert [f"{where}: {given} > {needed}" for where, given, needed in rows if given > 1.5 * needed + 15] == []


def _lo_row_heights(book: Path, tmp_path: Path) -> dict:
    python = shutil.which("python3", path="/usr/bin:/bin")
    probe = subprocess.run([python or "python3", "-c", "import uno"], capture_output=True) if python else None
    if probe is None or probe.returncode != 0:
        reason = ("Debian's python3-uno is not installed, so LibreOffice cannot be asked for row heights. Run "
                  "`make office` (as root).")
        if os.environ.get("THEMES_REQUIRE_OFFICE") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    done = subprocess.run([python, str(Path(__file__).with_name("lo_row_heights.py")), str(book),
                           str(tmp_path / "profile")], capture_output=True, text=True, timeout=300, check=True)
    return {name: {int(row): pair for row, pair in rows.items()} for name, rows in json.loads(done.stdout).items()}

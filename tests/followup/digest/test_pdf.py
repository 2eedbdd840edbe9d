"""The board's report as PDF/A beside the DOCX: made by LibreOffice headless when it is
installed; without it the product says so in the reader's language and writes the DOCX — never
an error."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from docx import Document

from followup.digest.pdf import PdfUnavailable, available, pdf_a
from tests.bot.test_cli import ledarpuls
from tests.conftest import EXAMPLES
from tests.followup.digest.test_board_document import board
from tests.followup.digest.test_report import a_digest

SOFFICE = shutil.which("soffice")


STAND_IN = b"%PDF-1.7 stand-in\n"


def stand_in_soffice(folder: Path) -> str:
    """A stand-in for LibreOffice where it is not installed, to test what offers the PDF/A: a
    program that, as `soffice --convert-to` does, writes report.pdf into the --outdir it is
    given — a PDF header, then the document it was given as it is (`converted_from` reads it
    back). What LibreOffice makes of the DOCX is tested with the real one, where installed."""
    program = folder / "soffice"
    program.write_text(
        "#!/bin/sh\n"
        'while [ "$#" -gt 0 ]; do\n'
        '  if [ "$1" = "--outdir" ]; then out="$2"; fi\n'
        '  document="$1"\n'
        "  shift\n"
        "done\n"
        '{ printf \'%%PDF-1.7 stand-in\\n\'; cat "$document"; } > "$out/report.pdf"\n'
    )
    program.chmod(0o755)
    return str(program)


def converted_from(pdf: bytes) -> bytes:
    """The document the stand-in was given to convert."""
    assert pdf.startswith(STAND_IN)
    return pdf.removeprefix(STAND_IN)


def failing_soffice(folder: Path) -> str:
    """LibreOffice installed but giving no PDF (a damaged installation): a program that fails."""
    program = folder / "soffice-failing"
    program.write_text("#!/bin/sh\nexit 1\n")
    program.chmod(0o755)
    return str(program)


def uninstall(program: str) -> None:
    """LibreOffice removed from the machine (the stand-in's program gone)."""
    Path(program).unlink()


@pytest.fixture
def cli_db(tmp_path: Path) -> Path:
    """A database with the demo's plan and roster, as the CLI sets it up, and a round open."""
    db = tmp_path / "cli.db"
    added = ledarpuls("org", "add", "--tenant-id", "t", "--name", "Demokommunen", db=db)
    assert added.returncode == 0, added.stderr
    for kind, name in (("plan", "demo-plan.yaml"), ("roster", "demo-roster.yaml")):
        assert ledarpuls("import", kind, str(EXAMPLES / name), db=db).returncode == 0
    an_open_round(db)
    return db


def an_open_round(db: Path) -> None:
    """Delår 1, open (nobody has answered yet: a report of who was asked)."""
    created = ledarpuls("round", "create", "--title", "Delår 1", "--deadline", "2099-06-12", db=db)
    assert created.returncode == 0, created.stderr
    assert ledarpuls("round", "open", "1", db=db).returncode == 0


def test_without_libreoffice_the_cli_says_so_and_writes_the_docx(
    cli_db: Path, tmp_path: Path
) -> None:
    db = cli_db
    nowhere = str(tmp_path / "empty" / "soffice")  # configured somewhere with nothing there
    out = tmp_path / "rapport.pdf"
    ran = ledarpuls("digest", "1", "--format", "pdf", "--out", str(out), db=db, SOFFICE=nowhere)
    assert ran.returncode == 0, ran.stderr
    docx = tmp_path / "rapport.docx"
    assert ran.stdout.strip() == (
        f"PDF/A kan inte göras här: LibreOffice ({nowhere}) är inte installerat. Rapporten är"
        f" skriven som DOCX till {docx} i stället – spara den som PDF/A i Word eller LibreOffice."
    )
    assert not out.exists()
    assert Document(str(docx)).core_properties.title.startswith("Uppföljning av programmet")
    english = ledarpuls(
        "--lang", "en", "digest", "1", "--format", "pdf", "--out", str(out), db=db, SOFFICE=nowhere
    )
    assert english.stdout.startswith("PDF/A cannot be made here: LibreOffice")
    with pytest.raises(PdfUnavailable) as missing:
        pdf_a(b"", soffice=nowhere)
    assert missing.value.reason == "missing"


def test_pdf_a_is_offered_only_where_libreoffice_is_there(tmp_path: Path) -> None:
    nowhere = str(tmp_path / "empty" / "soffice")
    assert not available(nowhere) and not available("")
    program = stand_in_soffice(tmp_path)
    assert available(program)
    docx = _docx_bytes()
    assert converted_from(pdf_a(docx, soffice=program)) == docx
    failing = failing_soffice(tmp_path)
    with pytest.raises(PdfUnavailable) as failed:
        pdf_a(docx, soffice=failing)
    assert failed.value.reason == "failed"
    uninstall(program)
    assert not available(program)
    with pytest.raises(PdfUnavailable) as missing:
        pdf_a(_docx_bytes(), soffice=program)
    assert missing.value.reason == "missing"


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_with_libreoffice_the_report_is_a_tagged_pdf_a(cli_db: Path, tmp_path: Path) -> None:
    db = cli_db
    out = tmp_path / "rapport.pdf"
    ran = ledarpuls("digest", "1", "--format", "pdf", "--out", str(out), db=db)
    assert ran.returncode == 0, ran.stderr
    assert f"Sammanställningen är skriven till {out}" in ran.stdout
    content = out.read_bytes()
    assert content.startswith(b"%PDF-")
    # PDF/A-2 in its metadata, and tagged: headings, tables and alternative text carried over
    assert b"<pdfaid:part>2</pdfaid:part>" in content or b'pdfaid:part="2"' in content
    assert b"/StructTreeRoot" in content
    # the board's document of a round with figures and charts converts as well
    assert pdf_a(_docx_bytes(), soffice=SOFFICE or "soffice").startswith(b"%PDF-")


def _docx_bytes() -> bytes:
    buffer = io.BytesIO()
    board(a_digest()).save(buffer)
    return buffer.getvalue()

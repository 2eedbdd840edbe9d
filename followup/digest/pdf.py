"""The board's DOCX as PDF/A (ISO 19005-2, for the registrator's archive), made by LibreOffice
headless when it is installed. Without it there is no PDF/A, and the caller says so and offers
the DOCX: never an error.

LibreOffice runs as a program of its own, with a profile of its own in a temporary directory
(so two conversions at once, or a user's own LibreOffice, never share one), and is stopped, with
everything it started, when it takes longer than the timeout."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

# LibreOffice's PDF export: PDF/A-2 (SelectPdfVersion 2), tagged (headings, tables and
# alternative text carried over for screen readers)
PDF_A_FILTER = (
    'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"},'
    '"UseTaggedPDF":{"type":"boolean","value":"true"}}'
)
TIMEOUT_SECONDS = 120.0


class PdfUnavailable(Exception):
    """No PDF/A: `reason` is "missing" (LibreOffice is not installed where configured) or
    "failed" (it ran but gave no PDF in time)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def converter(soffice: str) -> str | None:
    """The LibreOffice program to run: the configured path or name, if it is there."""
    return shutil.which(soffice) if soffice.strip() else None


def available(soffice: str) -> bool:
    """Can a PDF/A be made here now? The one check that decides whether PDF is offered (a
    button, a link): where it says no, nobody is offered a file that would only be an error."""
    return converter(soffice) is not None


def pdf_a(docx: bytes, *, soffice: str, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The DOCX as PDF/A-2 (blocking: run it off the event loop)."""
    program = converter(soffice)
    if program is None:
        raise PdfUnavailable("missing")
    with tempfile.TemporaryDirectory(prefix="ledarpuls-pdf-") as tmp:
        folder = Path(tmp)
        source = folder / "report.docx"
        source.write_bytes(docx)
        command = [
            program,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--nolockcheck",
            "--convert-to",
            PDF_A_FILTER,
            "--outdir",
            str(folder),
            str(source),
        ]
        # a session of its own, so a timeout stops LibreOffice and what it started
        process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise PdfUnavailable("failed") from None
        result = folder / "report.pdf"
        if process.returncode != 0 or not result.is_file():
            raise PdfUnavailable("failed")
        return result.read_bytes()

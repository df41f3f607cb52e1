"""Why a PDF could not be read. `reason` is stable (stored in the documents table, shown by
`kb index --json`); the message is for people."""

from __future__ import annotations

from kb.errors import KbError

REASONS = ("encrypted", "corrupt", "empty", "no_text", "timeout", "not_pdf", "too_large")

_HINTS = {
    "encrypted": "remove the password (e.g. print to PDF) and add the file again",
    "corrupt": "download the PDF again; the file is damaged",
    "empty": "the file has no pages; download it again",
    "no_text": "the PDF is scanned images without a text layer; run OCR on it (e.g. ocrmypdf) first",
    "timeout": "raise [index] pdf_timeout_s in config.toml if the PDF is just very long",
    "not_pdf": "only PDF files can be added",
    "too_large": "split the file, or raise the limit if it really is one paper",
}


class PdfError(KbError):
    exit_code = 7

    def __init__(self, reason: str, message: str, hint: str | None = None):
        if reason not in REASONS:
            raise ValueError(f"unknown PDF failure reason {reason!r}")
        super().__init__(message, hint or _HINTS[reason])
        self.reason = reason

    def __reduce__(self):  # travels back from the extraction child process
        return (PdfError, (self.reason, self.message, self.hint))

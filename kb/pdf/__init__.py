"""Reading PDFs with PyMuPDF: text, metadata, sections, references, captions, figures."""

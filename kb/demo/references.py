"""Reference lists for the demo papers, in the style most ML papers use:
"Authors. Title. Venue, Year. arXiv:ID."
"""

from __future__ import annotations

from kb.demo.corpus import DemoPaper

# Beyond this many authors a reference names the first three and "et al.", as natbib styles do.
MAX_NAMED_AUTHORS = 4


def format_authors(authors: tuple[str, ...] | list[str]) -> str:
    authors = list(authors)
    if len(authors) > MAX_NAMED_AUTHORS:
        return f"{', '.join(authors[:3])}, et al."
    if len(authors) <= 2:
        return " and ".join(authors)
    return f"{', '.join(authors[:-1])}, and {authors[-1]}"


def format_reference(paper: DemoPaper) -> str:
    authors = format_authors(paper.authors).rstrip(".")
    return f"{authors}. {paper.title}. {paper.venue}, {paper.year}. arXiv:{paper.arxiv_id}."


def reference_list(paper: DemoPaper, library: dict[str, DemoPaper]) -> list[str]:
    """The entries of paper's References section, alphabetical by first author, unnumbered."""
    entries = [format_reference(library[arxiv_id]) for arxiv_id in paper.cites]
    entries += list(paper.external_refs)
    return sorted(entries, key=str.casefold)

"""The note a paper starts with: front matter, then the sections a group meeting needs."""

from __future__ import annotations

import textwrap

import yaml

from kb.papers import Paper

SECTIONS = ("Problem", "Method", "Key results", "Limitations", "Questions", "Connections")

# Prompts shown in an empty section; read_sections treats a section holding only its prompt as empty.
PROMPTS = {
    "Problem": "What problem does the paper solve, and why did earlier work fall short?",
    "Method": "The idea in your own words. Cards go anywhere: `question :: answer`, or a question, a line with `?`, then the answer, or {{c1::cloze}}.",
    "Key results": "The numbers that matter, and on which benchmarks.",
    "Limitations": "What does not work, what was not tested?",
    "Questions": "What would you ask the authors, or be asked at group meeting?",
    "Connections": "Papers this builds on or competes with, as [[citekey]] links.",
}


def prompt_comment(section: str) -> str:
    return f"<!-- {PROMPTS[section]} -->"


def front_matter(paper: Paper, tags: list[str] | None = None) -> dict:
    return {
        "paper_id": paper.id,
        "citekey": paper.citekey,
        "zotero_key": paper.zotero_key,
        "arxiv_id": paper.arxiv_id,
        "status": paper.status,
        "tags": list(tags or []),
    }


def render(paper: Paper, connections: list[str] | None = None, tags: list[str] | None = None) -> str:
    """A new note for paper; connections are citekeys of related papers to prefill as links."""
    meta = yaml.safe_dump(front_matter(paper, tags), allow_unicode=True, sort_keys=False).strip()
    byline = ", ".join(paper.authors) or "unknown authors"
    year = paper.year or "n.d."
    parts = [f"---\n{meta}\n---", f"# {paper.title}", f"*{byline} ({year})*" + (f" · {paper.venue}" if paper.venue else "")]
    if paper.abstract:
        parts.append("> " + "\n> ".join(textwrap.wrap(" ".join(paper.abstract.split()), 96)))
    for section in SECTIONS:
        body = prompt_comment(section)
        if section == "Connections" and connections:
            body += "\n\n" + "\n".join(f"- [[{key}]]" for key in connections)
        parts.append(f"## {section}\n\n{body}")
    return "\n\n".join(parts) + "\n"

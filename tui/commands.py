"""The command palette (ctrl+p): papers, plans and actions, found by fuzzy name."""

from __future__ import annotations

import asyncio
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape

from kb.terminal_text import clean

from tui.messages import OpenPaper

ACTIONS = (
    ("Today", "go('today')", "cards due, this week's plan, read next, recent runs"),
    ("Plan", "go('plan')", "the reading plans as trees"),
    ("Library", "go('library')", "all papers, sortable and filterable"),
    ("Search", "go('search')", "search everything, open at the page"),
    ("Review cards", "go('review')", "review the flash cards due"),
    ("Brief", "go('brief')", "the group-meeting brief"),
    ("Toggle light/dark theme", "toggle_theme", "switch between the light and dark themes"),
    ("Help", "help", "keys of every screen"),
)


def _catalogue(home) -> tuple[list[tuple[int, str, str]], list[str]]:
    from kb import library
    from kb.plans import query
    from kb.store import Store

    with Store.open(home) as store:
        # Titles are data: escapes stripped here, and never read as markup (see _highlight).
        papers = [(p["id"], clean(p["title"]), clean(p["citekey"])) for p in library.list_papers(store)]
        plans = [clean(p["name"]) for p in query.list_plans(store)]
    return papers, plans


class KbCommands(Provider):
    async def startup(self) -> None:
        # A thread: a big library's titles must not stall the palette's first keystroke.
        self.papers, self.plans = await asyncio.to_thread(_catalogue, self.app.home)

    async def discover(self) -> Hits:
        for name, action, help_text in ACTIONS:
            yield DiscoveryHit(name, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action, help_text in ACTIONS:
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self.app.run_action, action), help=help_text)
        for plan in self.plans:
            label = f"Plan: {plan}"
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, _highlight(matcher, label), partial(self.app.run_action, "go('plan')"), help="open the Plan screen")
        for paper_id, title, citekey in self.papers:
            score = max(matcher.match(title), matcher.match(citekey))
            if score > 0:
                yield Hit(score, _highlight(matcher, title), partial(self.app.post_message, OpenPaper(paper_id)),
                          help=escape(citekey))  # the palette reads help as markup


def _highlight(matcher, candidate: str) -> Content:
    """Matcher.highlight parses its candidate as markup (a title `[/etc/hosts]` would crash the
    palette): the same highlighting over plain Content."""
    content = Content(candidate)
    score, offsets = matcher.fuzzy_search.match(matcher.query, candidate)
    if score:
        for offset in offsets:
            if not candidate[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
    return content

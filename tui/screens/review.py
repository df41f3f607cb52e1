"""Review: due flash cards with Anki's keys and a session summary at the end."""

from __future__ import annotations

import threading
from collections import Counter

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Header, Static

from tui.messages import Failed, Loaded
from tui.screens.base import KbScreen
from tui.widgets.card import CardView

RATINGS = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}


class ReviewScreen(KbScreen):
    BINDINGS = [
        Binding("space,enter", "reveal", "Reveal", id="review.reveal"),
        Binding("1", "rate(1)", "Again", id="review.again"),
        Binding("2", "rate(2)", "Hard", id="review.hard"),
        Binding("3", "rate(3)", "Good", id="review.good"),
        Binding("4", "rate(4)", "Easy", id="review.easy"),
        Binding("u", "undo", "Undo", id="review.undo"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.queue: list[dict] = []
        self.revealed = False
        self.ratings: Counter[int] = Counter()
        self.history: list[dict] = []  # cards rated this session, for undo
        # A rating and an undo right after it must reach the database in that order.
        self._writes = threading.Lock()

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="review-body"):
            yield Static("", id="review-progress")
            yield CardView("Loading the cards due…", id="card")
        yield Footer()

    def on_screen_resume(self) -> None:
        if not self.queue:
            self.load()

    @work(thread=True, exclusive=True, group="review")
    def load(self) -> None:
        try:
            from kb.today import cards_due
            from notes import clock

            with self.store() as store:
                cards, _ = cards_due(store, self.home, self.config(), clock.utc_now())  # as `kb review due`
            self.post_message(Loaded("due", cards))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Review", exc))
            self.post_message(Loaded("load-error", exc))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        if message.what == "load-error":
            from tui.screens.base import describe

            self.query_one("#card", CardView).update(describe(message.data))
            return
        if message.what == "due":
            self.queue = message.data
            self.revealed = False
        self.render_card()

    @property
    def card(self) -> dict | None:
        return self.queue[0] if self.queue else None

    def render_card(self) -> None:
        view = self.query_one("#card", CardView)
        done = sum(self.ratings.values())
        progress = self.query_one("#review-progress", Static)
        if self.card is None:
            progress.update("")
            if done:
                summary = " · ".join(f"{RATINGS[r]} {n}" for r, n in sorted(self.ratings.items()))
                view.update(f"Session done: {done} cards reviewed.\n{summary}\n\nu undoes the last rating.")
            else:
                view.update("No cards due. ✔\n\nWrite cards in a paper's note (`question :: answer` or {{c1::cloze}}).")
            return
        progress.update(f"{len(self.queue)} left · {done} reviewed"
                        + ("" if self.revealed else " · space to reveal"))
        view.show_card(self.card, self.revealed)

    def action_reveal(self) -> None:
        if self.card is not None and not self.revealed:
            self.revealed = True
            self.render_card()

    def action_rate(self, rating: int) -> None:
        if self.card is None:
            return
        if not self.revealed:
            # Anki's rule: the answer must be seen before a rating counts.
            self.action_reveal()
            return
        card = self.queue.pop(0)
        card["_rating"] = rating
        self.history.append(card)
        self.ratings[rating] += 1
        self.revealed = False
        self.render_card()
        self.save_rating(card["id"], rating)

    @work(thread=True, group="review-write")
    def save_rating(self, card_id: int, rating: int) -> None:
        try:
            from notes import clock, review
            from notes.scheduler import for_config

            with self._writes, self.store() as store:
                # As `kb review rate CARD RATING`: the user's retention target and fitted parameters.
                review.rate(store, card_id, rating, clock.utc_now(), scheduler=for_config(store, self.config()))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Rating", exc))

    def action_undo(self) -> None:
        if not self.history:
            self.notify("Nothing to undo in this session.")
            return
        self.undo()

    @work(thread=True, group="review-write")
    def undo(self) -> None:
        try:
            from notes import review

            with self._writes, self.store() as store:
                review.undo_last(store)
            self.app.call_from_thread(self._undone)
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Undo", exc))

    def _undone(self) -> None:
        card = self.history.pop()
        rating = card.pop("_rating")
        self.ratings[rating] -= 1
        if not self.ratings[rating]:
            del self.ratings[rating]
        self.queue.insert(0, card)
        self.revealed = False
        self.render_card()

"""Review: due flash cards with Anki's keys and a session summary at the end.

As in Anki: a card rated Again (or still learning) comes back in the session when it falls due,
or up to 20 minutes early once nothing else is left; otherwise the screen says when to come back
and brings the cards back itself then. The next interval of each rating is shown beside keys
1-4; - buries the card until tomorrow, @ suspends it, e edits it in its note at its line. A card
removed from its note while shown is skipped with a one-line notice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timezone

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Header, Static

from tui.messages import Failed, Loaded
from tui.screens.base import KbScreen
from tui.widgets.card import CardView

RATINGS = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
# The screen waits for learning cards due within this many seconds and brings them back itself.
_WAIT_S = 3600


class ReviewScreen(KbScreen):
    BINDINGS = [
        Binding("space,enter", "reveal", "Reveal", id="review.reveal"),
        Binding("1", "rate(1)", "Again", id="review.again"),
        Binding("2", "rate(2)", "Hard", id="review.hard"),
        Binding("3", "rate(3)", "Good", id="review.good"),
        Binding("4", "rate(4)", "Easy", id="review.easy"),
        Binding("u", "undo", "Undo", id="review.undo"),
        # Out of the footer so Brief and Quit still fit at 80 columns; F1 and the card's hint list them.
        Binding("minus", "bury", "Bury", key_display="-", show=False, id="review.bury"),
        Binding("at", "suspend", "Suspend", key_display="@", show=False, id="review.suspend"),
        Binding("e", "edit", "Edit", show=False, id="review.edit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.queue: list[dict] = []
        self.revealed = False
        self.ratings: Counter[int] = Counter()
        self.history: list[dict] = []  # cards rated this session, for undo
        self.intervals: dict[int, dict] = {}  # card id -> {"again": "1 min", ...}
        self.come_back: datetime | None = None  # when the next learning card of this session is due
        self._loading = False
        # Something was rated, buried or undone since the queue was read: at its end, read it again
        # (the learning cards of this session) before saying the session is done.
        self._stale = False
        self._timer = None  # the wait for the next learning card, when the session is done for now
        # A rating and an undo right after it must reach the database in that order.
        self._writes = threading.Lock()
        # Ratings started on the UI thread and not yet written: a reload waits for them, or a
        # card just rated would come back as new.
        self._pending = 0
        self._written = threading.Condition()

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="review-body"):
            yield Static("", id="review-progress")
            yield CardView("Loading the cards due…", id="card")
            yield Static("", id="review-keys")
        yield Footer()

    def on_screen_resume(self) -> None:
        if not self.queue:
            self.load()

    @work(thread=True, exclusive=True, group="review")
    def load(self) -> None:
        """The session's next cards (as `kb review`): the due queue, else learning cards due soon."""
        try:
            from notes import clock, review
            from notes.scheduler import Limits
            from notes.sync import sync_notes

            with self._written:
                self._written.wait_for(lambda: self._pending == 0, timeout=30)
            now = clock.utc_now()
            with self._writes, self.store() as store:
                report = sync_notes(store, self.home, self.config(), now)
                cards = [c.to_dict() for c in review.session_cards(store, now, Limits.from_config(self.config()))]
                upcoming = review.next_due(store, now)
            self.post_message(Loaded("due", (cards, upcoming, [str(i) for i in report.issues])))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Review", exc))
            self.post_message(Loaded("load-error", exc))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        if message.what == "load-error":
            from tui.screens.base import describe

            self._loading = False
            self.query_one("#card", CardView).update(Text(describe(message.data)))
            return
        if message.what == "due":
            self._loading = False
            cards, upcoming, _issues = message.data
            self.queue = cards
            self.come_back = upcoming
            self.revealed = False
        elif message.what == "intervals":
            card_id, intervals = message.data
            self.intervals[card_id] = intervals
        elif message.what == "gone":
            self._skip_gone(*message.data)
            return
        elif message.what == "edited":
            self.queue = []
            self.load()
            return
        self.render_card()

    @property
    def card(self) -> dict | None:
        return self.queue[0] if self.queue else None

    def render_card(self) -> None:
        view = self.query_one("#card", CardView)
        done = sum(self.ratings.values())
        progress = self.query_one("#review-progress", Static)
        keys = self.query_one("#review-keys", Static)
        keys.update("")
        if self.card is None:
            progress.update("")
            if self._stale and not self._loading:
                # Learning cards of this session may be due soon: look again before saying done.
                self._stale, self._loading = False, True
                self.load()
                return
            view.update(self._end_text(done))
            self._wait_for_learning()
            return
        progress.update(Text(f"{len(self.queue)} left · {done} reviewed" + ("" if self.revealed else " · space to reveal")))
        view.show_card(self.card, self.revealed)
        if self.revealed:
            shown = self.intervals.get(self.card["id"])
            if shown is None:
                self.preview(self.card["id"])
            else:
                keys.update(Text("   ".join(f"{n} {RATINGS[n]} {shown[RATINGS[n].lower()]}" for n in RATINGS)
                                 + "   - bury · @ suspend · e edit"))

    def _end_text(self, done: int) -> Text:
        later = ""
        if self.come_back is not None:
            wait = (self.come_back - datetime.now(timezone.utc)).total_seconds()
            from notes.review import human_time

            later = f"\nNext card due at {human_time(self.come_back, datetime.now(timezone.utc))}" + (
                " (this screen brings it back then)." if 0 < wait <= _WAIT_S else ".")
        if done:
            summary = " · ".join(f"{RATINGS[r]} {n}" for r, n in sorted(self.ratings.items()))
            return Text(f"Session done: {done} cards reviewed.\n{summary}{later}\n\nu undoes the last rating.")
        return Text("No cards due. ✔" + later + "\n\nWrite cards in a paper's note (`question :: answer` or {{c1::cloze}}).")

    def _wait_for_learning(self) -> None:
        if self.come_back is None:
            return
        wait = (self.come_back - datetime.now(timezone.utc)).total_seconds()
        if 0 < wait <= _WAIT_S:
            if self._timer is not None:
                self._timer.stop()  # one wait at a time, however often the screen is drawn
            self._timer = self.set_timer(wait + 1, self.load)

    @work(thread=True, group="review-preview")
    def preview(self, card_id: int) -> None:
        try:
            from notes import clock, review
            from notes.scheduler import for_config

            with self.store() as store:
                raw = review.preview(store, card_id, clock.utc_now(), scheduler=for_config(store, self.config()))
            self.post_message(Loaded("intervals", (card_id, {name: review.human_interval(delta) for name, delta in raw.items()})))
        except Exception:  # noqa: BLE001 - the keys still work without the preview
            return

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
        self._stale = True
        card["_rating"] = rating
        self.history.append(card)
        self.ratings[rating] += 1
        self.intervals.pop(card["id"], None)
        self.revealed = False
        with self._written:
            self._pending += 1
        self.save_rating(card, rating)
        self.render_card()

    @work(thread=True, group="review-write")
    def save_rating(self, card: dict, rating: int) -> None:
        try:
            from notes import clock, review
            from notes.scheduler import for_config
            from notes.sync import sync_notes

            with self._writes, self.store() as store:
                # A card deleted from its note while shown is caught here (only changed notes are read).
                sync_notes(store, self.home, self.config(), clock.utc_now())
                # As `kb review rate CARD RATING`: the user's retention target and fitted parameters.
                review.rate(store, card["id"], rating, clock.utc_now(), scheduler=for_config(store, self.config()))
        except Exception as exc:  # noqa: BLE001
            from notes.review import CardGone

            if isinstance(exc, CardGone):
                self.post_message(Loaded("gone", (card, exc)))
            else:
                self.post_message(Failed("Rating", exc))
        finally:
            with self._written:
                self._pending -= 1
                self._written.notify_all()

    def _skip_gone(self, card: dict, exc: Exception) -> None:
        """The rating did not count: the card left its note. Say so in one line and go on."""
        rating = card.pop("_rating", None)
        if card in self.history:
            self.history.remove(card)
        if rating in self.ratings:
            self.ratings[rating] -= 1
            if not self.ratings[rating]:
                del self.ratings[rating]
        self._stale = True
        self.notify(f"skipped: {getattr(exc, 'message', exc)}", title="Review", timeout=6, markup=False)
        self.render_card()

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
        self.queue = [c for c in self.queue if c["id"] != card["id"]]
        self.queue.insert(0, card)
        self.revealed = False
        self.render_card()

    def action_bury(self) -> None:
        if self.card is not None:
            self.flag(self.queue.pop(0), "bury")

    def action_suspend(self) -> None:
        if self.card is not None:
            self.flag(self.queue.pop(0), "suspend")

    @work(thread=True, group="review-write")
    def flag(self, card: dict, what: str) -> None:
        """As `kb review bury CARD` / `kb review suspend CARD`."""
        try:
            from notes import clock, review

            with self._writes, self.store() as store:
                if what == "bury":
                    until = review.bury(store, card["id"], clock.utc_now())
                    note = f"buried until {until.astimezone():%Y-%m-%d %H:%M}"
                else:
                    review.suspend(store, card["id"])
                    note = f"suspended (kb review suspend {card['id']} --undo brings it back)"
            self.app.call_from_thread(self._flagged, note)
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Review", exc))

    def _flagged(self, note: str) -> None:
        self._stale = True
        self.notify(note, title="Review", timeout=5, markup=False)
        self.revealed = False
        self.render_card()

    def action_edit(self) -> None:
        """As `kb review edit CARD`: the note at the card's line, then the queue is read again."""
        if self.card is None:
            return
        from notes.files import notes_dir

        card = self.card
        self.app.edit_file(notes_dir(self.home, self.config()) / card["note_path"], card.get("line"))
        self.revealed = False
        self.post_message(Loaded("edited", card["id"]))

"""The saved-chats screen, and the question it asks before deleting one."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList
from textual.widgets.option_list import Option

from rag.tui.conversations import Conversation, ConversationStore


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; y or enter says yes, n or escape says no."""

    BINDINGS = [
        Binding("y,enter", "dismiss(True)", "Yes"),
        Binding("n,escape", "dismiss(False)", "No"),
    ]

    def __init__(self, question: str, yes: str) -> None:
        super().__init__()
        self.question, self.yes = question, yes

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Label(self.question, id="confirm-question", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="yes")
                yield Button("Keep (n)", id="no")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class ChatsScreen(ModalScreen[str | None]):
    """Saved conversations: enter reopens one, d deletes it (after asking), escape goes back."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Back"),
        Binding("d,delete", "delete", "Delete chat"),
    ]

    def __init__(self, chats: ConversationStore) -> None:
        super().__init__()
        self.chats = chats
        self.titles: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="chats"):
            yield Label("Saved chats: enter opens, d deletes, escape goes back", id="chats-title")
            yield OptionList(id="chat-list")

    def on_mount(self) -> None:
        self._fill()

    def _fill(self, keep: int = 0) -> None:
        options = self.query_one(OptionList)
        saved = self.chats.list()
        self.titles = {c.id: c.title for c in saved}
        options.set_options(Option(self._prompt(c), id=c.id) for c in saved)
        if not saved:
            options.set_options([Option("No saved chats yet.", disabled=True)])
        else:
            options.highlighted = min(keep, len(saved) - 1)
        options.focus()

    @staticmethod
    def _prompt(c: Conversation) -> Text:
        when = (c.updated or c.created).replace("T", " ")[:16]
        turns = f"{len(c.turns)} question{'s' if len(c.turns) != 1 else ''}"
        return Text.assemble(c.title, (f"\n  {when} · {turns}", "dim"))

    def action_delete(self) -> None:
        options = self.query_one(OptionList)
        option = options.highlighted_option
        if option is None or option.id is None:
            return
        chat_id, at = option.id, options.highlighted or 0
        title = self.titles.get(chat_id, chat_id)

        def answered(yes: bool | None) -> None:
            if yes:
                self.chats.delete(chat_id)
                self.notify(f"Deleted “{title}”.", markup=False)
                self._fill(keep=at)

        question = f"Delete this saved chat for good?\n“{title}”"
        self.app.push_screen(ConfirmScreen(question, "Delete"), answered)

    @on(OptionList.OptionSelected, "#chat-list")
    def _open(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

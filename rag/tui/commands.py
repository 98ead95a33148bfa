"""The chat's keys and palette commands, in one place: the README's key table mirrors it.

The panes add their own keys: escape goes back to the question box from the sources or an
answer; ctrl+y there copies the selected citation or the focused answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.app import App, SystemCommand
from textual.binding import Binding

# In the footer's order, the most needed first: a narrow footer cuts the end.
BINDINGS = [
    Binding("escape", "stop", "Stop"),
    Binding("f2", "sources", "Sources"),
    Binding("ctrl+q", "quit", "Quit", priority=True),
    Binding("f3", "papers('list')", "Papers"),
    Binding("f4", "papers('search')", "Search", show=False),
    Binding("ctrl+n", "new_chat", "New"),
    Binding("ctrl+o", "open_chats", "Chats"),
    Binding("ctrl+y", "copy_answer", "Copy"),
]

# (title, help, action) in the command palette (ctrl+p).
COMMANDS = [
    ("New chat", "Start a new conversation (ctrl+n)", "new_chat"),
    ("Saved chats", "Reopen or delete a saved chat (ctrl+o)", "open_chats"),
    ("Copy answer", "Copy the last answer; on a focused answer, that one (ctrl+y)", "copy_answer"),
    ("Stop answer", "Stop the running answer, keeping its text (escape)", "stop"),
    ("Sources", "Browse the sources of the answer, and back (F2)", "sources"),
    ("Papers", "Every paper in the store, filtered by title as you type (F3)", "papers('list')"),
    ("Search papers", "Rank the papers for a query, without the model (F4)", "papers('search')"),
    ("Export chat to Markdown", "Write this chat to rag-chat-ID.md in this folder", "export"),
]


def system_commands(app: App) -> Iterator[SystemCommand]:
    for title, help, action in COMMANDS:
        yield SystemCommand(title, help, partial(app.run_action, action))

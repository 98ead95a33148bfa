"""A saved chat as Markdown, and a source as a citation to paste elsewhere.

Pure functions over the saved records, so `rag chat --export ID` and the chat's palette
write the same text. The model's unchecked draft and the sentences the check dropped are
left out: an export carries only what the chat shows as the answer.
"""

from __future__ import annotations

from pathlib import Path

from rag.errors import ConfigError
from rag.tui.conversations import Conversation, ConversationStore, SourceRecord, TurnRecord


def citation_text(source: SourceRecord) -> str:
    """Title, listing and the sentence the answer quotes (else its best evidence)."""
    where = ", ".join(x for x in (source.date, source.file) if x)
    cited = f"{source.title} ({where})" if where else source.title
    quote = source.highlights[0] if source.highlights else ""
    return f"“{quote}” — {cited}" if quote else cited


def _sources_markdown(turn: TurnRecord) -> list[str]:
    heading = "Closest papers, not used" if turn.abstained else "Sources"
    lines = [f"**{heading}**", ""]
    for s in turn.sources:
        where = " · ".join(x for x in (s.date, s.file) if x)
        lines.append(f"{s.n}. **{s.title}**" + (f" — {where}" if where else ""))
        if s.quote:
            lines.append(f"   > “{s.quote}”")
    return lines


def turn_markdown(number: int, turn: TurnRecord) -> str:
    lines = [f"## {number}. {turn.question}", ""]
    if turn.query and turn.query != turn.question:
        lines += [f"*Searched for: {turn.query}*", ""]
    if turn.answer:
        lines += [turn.answer, ""]
    if turn.notes:
        lines += [f"> {note}  " for note in turn.notes] + [""]
    if turn.sources:
        lines += [*_sources_markdown(turn), ""]
    return "\n".join(lines)


def conversation_markdown(conversation: Conversation) -> str:
    """The whole chat: each question, its answer, notes and numbered sources with quotes."""
    when = conversation.created.replace("T", " ")[:16]
    head = [f"# {conversation.title}", "", f"Chat of {when} (rag chat {conversation.id}).", ""]
    turns = [turn_markdown(i, t) for i, t in enumerate(conversation.turns, 1)]
    return "\n".join(head + turns).rstrip() + "\n"


def export_file(conversation: Conversation, directory: Path) -> Path:
    """Write the chat as `rag-chat-<id>.md` in directory; returns the file written."""
    path = directory / f"rag-chat-{conversation.id}.md"
    path.write_text(conversation_markdown(conversation), encoding="utf-8")
    return path


def saved_list(chats: ConversationStore) -> str:
    """One line per saved chat, newest first: id, date, questions, first question."""
    saved = chats.list()
    lines = [] if saved else [f"No saved chats in {chats.directory}."]
    for c in saved:
        when = (c.updated or c.created).replace("T", " ")[:16]
        lines.append(f"{c.id}  {when}  {len(c.turns):>3} q  {c.title}")
    return "\n".join(lines) + "\n"


def saved_markdown(chats: ConversationStore, chat_id: str) -> str:
    """A saved chat as Markdown; `last` is the most recently updated one."""
    if chat_id == "last":
        newest = chats.list()[:1]
        if not newest:
            raise ConfigError(f"there are no saved chats in {chats.directory}")
        return conversation_markdown(newest[0])
    if not chats.exists(chat_id):
        raise ConfigError(f"no saved chat {chat_id!r}: `rag chat --list` shows their ids")
    try:
        return conversation_markdown(chats.load(chat_id))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read the saved chat {chat_id!r}: {exc}") from exc


def saved_text(chat_id: str | None, chats: ConversationStore | None = None) -> str:
    """What `rag chat --export ID` prints (Markdown), or without an ID `rag chat --list`."""
    chats = chats or ConversationStore()
    return saved_markdown(chats, chat_id) if chat_id else saved_list(chats)

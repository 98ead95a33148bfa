"""The terminal chat (`rag chat`): a thin Textual face over Assistant.ask()."""

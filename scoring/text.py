"""Split a reference sentence into the words a learner sees and the words they say.

"What's your name?" -> What's, your, name; "25 years" -> 25 (twenty five), years;
"9:30" -> nine thirty; "3rd" -> third; "50%" -> fifty percent; "café" -> cafe.
Spoken tokens are lowercase ASCII letters and apostrophes, ready for a pronunciation
dictionary; a word that yields no token (e.g. "&") is kept for display and left unscored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from num2words import num2words

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
# Punctuation around a word that is not part of it; "$" and "%" are kept, they are spoken.
_EDGE_PUNCTUATION = "\"'“”«»()[]{}<>.,;:!?¿¡…—–-*_/\\|"
_NUMBER = re.compile(r"^(?P<currency>[$€£]?)(?P<number>\d{1,3}(?:,\d{3})+|\d+)(?P<fraction>\.\d+)?(?P<percent>%?)$")
_ORDINAL = re.compile(r"^(?P<number>\d+)(?:st|nd|rd|th)$", re.IGNORECASE)
_TIME = re.compile(r"^(?P<hours>\d{1,2}):(?P<minutes>\d{2})$")
_CURRENCY_WORDS = {"$": "dollars", "€": "euros", "£": "pounds"}


@dataclass(frozen=True)
class ReferenceWord:
    display: str
    tokens: tuple[str, ...]


def _words(text: str) -> list[str]:
    """Lowercase letter-and-apostrophe words of already spelled-out text."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return [w.strip("'") for w in re.findall(r"[a-z']+", ascii_text.lower()) if w.strip("'")]


def _number_words(number: str, fraction: str = "") -> str:
    value = int(number.replace(",", ""))
    # Four-digit numbers without separators between 1100 and 2099 are read as years.
    if not fraction and "," not in number and len(number) == 4 and 1100 <= value <= 2099:
        return num2words(value, to="year")
    if fraction:
        return num2words(float(f"{value}{fraction}"))
    return num2words(value)


def _time_words(hours: int, minutes: int) -> str:
    if minutes == 0:
        return f"{num2words(hours)} o'clock"
    if minutes < 10:
        return f"{num2words(hours)} oh {num2words(minutes)}"
    return f"{num2words(hours)} {num2words(minutes)}"


def spoken_tokens(word: str) -> tuple[str, ...]:
    """The tokens a reader says for one written word (see module docstring)."""
    if match := _NUMBER.match(word):
        fraction = match["fraction"] or ""
        if match["currency"] and len(fraction) == 3:
            # $5.50 is "five dollars fifty", not "five point five dollars".
            spoken = f"{num2words(int(match['number'].replace(',', '')))} {_CURRENCY_WORDS[match['currency']]}"
            if int(fraction[1:]):
                spoken += f" {num2words(int(fraction[1:]))}"
            return tuple(_words(spoken))
        spoken = _number_words(match["number"], fraction)
        if match["currency"]:
            spoken += " " + _CURRENCY_WORDS[match["currency"]]
        if match["percent"]:
            spoken += " percent"
        return tuple(_words(spoken))
    if match := _ORDINAL.match(word):
        return tuple(_words(num2words(int(match["number"]), to="ordinal")))
    if (match := _TIME.match(word)) and int(match["hours"]) < 24 and int(match["minutes"]) < 60:
        return tuple(_words(_time_words(int(match["hours"]), int(match["minutes"]))))
    tokens: list[str] = []
    # Mixed words ("mp3", "covid-19") are read letters then digits.
    for part in re.findall(r"\d+|[^\d]+", word):
        tokens.extend(_words(num2words(int(part))) if part.isdigit() else _words(part))
    return tuple(tokens)


def split_reference(text: str) -> list[ReferenceWord]:
    """The reference's written words, each with the tokens spoken for it."""
    words = []
    for chunk in text.translate(_APOSTROPHES).split():
        display = chunk.strip(_EDGE_PUNCTUATION)
        if not display:
            continue
        words.append(ReferenceWord(display=display, tokens=spoken_tokens(display)))
    return words

import pytest

from scoring.text import split_reference, spoken_tokens


def test_punctuation_is_dropped_and_written_words_kept():
    words = split_reference("“What's your name?” she asked — twice.")

    assert [w.display for w in words] == ["What's", "your", "name", "she", "asked", "twice"]
    assert [w.tokens for w in words][:3] == [("what's",), ("your",), ("name",)]


@pytest.mark.parametrize("written, spoken", [
    ("25", ("twenty", "five")),
    ("1,000", ("one", "thousand")),
    ("3.5", ("three", "point", "five")),
    ("1999", ("nineteen", "ninety", "nine")),
    ("2000", ("two", "thousand")),
    ("3rd", ("third",)),
    ("21st", ("twenty", "first")),
    ("50%", ("fifty", "percent")),
    ("$5", ("five", "dollars")),
    ("$5.50", ("five", "dollars", "fifty")),
    ("9:30", ("nine", "thirty")),
    ("10:00", ("ten", "o'clock")),
    ("7:05", ("seven", "oh", "five")),
    ("well-known", ("well", "known")),
    ("Café", ("cafe",)),
    ("MP3", ("mp", "three")),
    ("&", ()),
])
def test_numbers_and_symbols_are_spelled_out(written, spoken):
    assert spoken_tokens(written) == spoken


def test_a_word_that_says_nothing_is_kept_for_display():
    words = split_reference("Salt & pepper")

    assert [(w.display, w.tokens) for w in words] == [("Salt", ("salt",)), ("&", ()), ("pepper", ("pepper",))]

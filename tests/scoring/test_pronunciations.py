"""The accent variants the local engine accepts beside the US dictionary's pronunciations."""

import pytest

from scoring.pronunciations import accepted_variants, non_rhotic


@pytest.mark.parametrize(("us", "british"), [
    ("W AO T ER", "W AO T AH"),  # water: a final unstressed -er
    ("AO R D ER", "AO D AH"),  # order: R before a consonant, and the -er
    ("M AO R", "M AO"),  # more: R at the end
    ("P AA R K", "P AA K"),  # park
])
def test_an_r_after_a_vowel_is_not_said_unless_a_vowel_follows(us, british):
    assert non_rhotic(us.split()) == british.split()


@pytest.mark.parametrize("word", ["V EH R IY", "TH R IY", "HH ER", "B ER D", "K AE T"])
def test_an_r_before_a_vowel_or_after_a_consonant_and_a_one_vowel_er_stay(word):
    # very, three: the R is said in every accent; her, bird: /ɜː/ is nearer ER than AH ("bird" is not "bud").
    assert non_rhotic(word.split()) == word.split()


def test_each_word_gets_only_variants_the_dictionary_lacks_and_each_once():
    assert accepted_variants("water", [["W", "AO", "T", "ER"]]) == [["W", "AO", "T", "AH"]]
    # "for": F AO R, F ER, F R ER; without R the first is F AO, the others stay as they are.
    assert accepted_variants("for", [["F", "AO", "R"], ["F", "ER"], ["F", "R", "ER"]]) == [["F", "AO"]]
    assert accepted_variants("cat", [["K", "AE", "T"]]) == []


def test_a_british_strong_form_of_a_function_word_is_accepted():
    assert accepted_variants("of", [["AH", "V"]]) == [["AA", "V"]]

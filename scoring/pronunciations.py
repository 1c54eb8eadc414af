"""Pronunciations the local engine accepts beside the US dictionary's: accents are not errors.

The bundled CMU dictionary is General American. A learner taught British English (or one whose
first language has no post-vocalic R) says "water" /ˈwɔːtə/ and "of" /ɒv/, both right; with the
dictionary's forms alone the recogniser hears another word there, or none, and flags it. These
rules give each reference word its non-rhotic form and a few British strong forms of function words,
as alternative pronunciations of the same word. What makes a word wrong (another vowel, TH said as
T or S) is not in here: that stays an error.
"""

from __future__ import annotations

from scoring.phonemes import VOWELS

# British (RP) strong forms the dictionary lacks, in its phone set (RP's /ɒ/ is nearest AA).
BRITISH_FORMS: dict[str, tuple[str, ...]] = {
    "of": ("AA V",),
    "from": ("F R AA M",),
}


def non_rhotic(phones: list[str]) -> list[str]:
    """The word said without R after a vowel, unless a vowel follows in the word ("very" keeps its R).

    A final unstressed -er ("water", "order", "better": the last of two or more vowels) becomes AH.
    A one-vowel ER ("her", "bird") stays: /ɜː/ is nearer ER than AH, and "bird" is not "bud".
    """
    vowels = [i for i, phone in enumerate(phones) if phone in VOWELS]
    spoken: list[str] = []
    for i, phone in enumerate(phones):
        following = phones[i + 1] if i + 1 < len(phones) else None
        if phone == "R" and spoken and spoken[-1] in VOWELS and following not in VOWELS:
            continue
        if phone == "ER" and len(vowels) >= 2 and i == vowels[-1]:
            phone = "AH"
        spoken.append(phone)
    return spoken


def accepted_variants(word: str, pronunciations: list[list[str]]) -> list[list[str]]:
    """Pronunciations of `word` to accept beyond `pronunciations` (the dictionary's), each once."""
    known = {tuple(p) for p in pronunciations}
    variants: list[list[str]] = []
    candidates = [non_rhotic(p) for p in pronunciations] + [form.split() for form in BRITISH_FORMS.get(word, ())]
    for candidate in candidates:
        if candidate and tuple(candidate) not in known:
            known.add(tuple(candidate))
            variants.append(candidate)
    return variants

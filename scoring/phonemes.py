"""Phone symbols: the CMU dictionary's ARPAbet (without stress) and its IPA equivalents.

The local engine reports phonemes in ARPAbet as its dictionary spells them ("TH", "IY");
Azure reports them in its own alphabet, for en-US the lowercase SAPI set ("th", "iy", "ax",
"h") or IPA when asked for it. Both are given an IPA spelling where one is known.
"""

from __future__ import annotations

# ARPAbet -> IPA. AH is the vowel of "cup" (its unstressed form, the schwa of "a", is the same
# symbol in a dictionary without stress marks).
ARPABET_IPA: dict[str, str] = {
    "AA": "ɑ", "AE": "æ", "AH": "ʌ", "AO": "ɔ", "AW": "aʊ", "AY": "aɪ", "B": "b", "CH": "tʃ", "D": "d",
    "DH": "ð", "EH": "ɛ", "ER": "ɝ", "EY": "eɪ", "F": "f", "G": "ɡ", "HH": "h", "IH": "ɪ", "IY": "i",
    "JH": "dʒ", "K": "k", "L": "l", "M": "m", "N": "n", "NG": "ŋ", "OW": "oʊ", "OY": "ɔɪ", "P": "p",
    "R": "ɹ", "S": "s", "SH": "ʃ", "T": "t", "TH": "θ", "UH": "ʊ", "UW": "u", "V": "v", "W": "w",
    "Y": "j", "Z": "z", "ZH": "ʒ",
}
VOWELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())
NASALS = frozenset("M N NG".split())
# Azure's en-US SAPI symbols that are not ARPAbet ones.
_SAPI_EXTRA_IPA = {"ax": "ə", "h": "h"}
# Characters an IPA transcription of English is made of (Azure's IPA alphabet is passed through).
_IPA_CHARS = set("".join(ARPABET_IPA.values())) | set("əɚɜɾʔgrɐeoaɒɫʍ")


def ipa_of(phoneme: str) -> str | None:
    """IPA for an ARPAbet or SAPI symbol (any case), or the symbol itself when it already is IPA."""
    if phoneme.upper() in ARPABET_IPA:
        return ARPABET_IPA[phoneme.upper()]
    if phoneme.lower() in _SAPI_EXTRA_IPA:
        return _SAPI_EXTRA_IPA[phoneme.lower()]
    stripped = phoneme.replace("ˈ", "").replace("ˌ", "").replace("ː", "")
    if stripped and all(ch in _IPA_CHARS for ch in stripped):
        return phoneme
    return None

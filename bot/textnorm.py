"""Text normalisation for matching: case, accents, punctuation, language, stop words, stems."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

MAX_CHARS = 4096  # longer input is cut here: a Telegram message is at most 4096 characters

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_NON_WORD = re.compile(r"[^a-z0-9' ]+")
_SPACES = re.compile(r"\s+")

# Function words per language: enough to tell nl, en, de and fr apart in one sentence.
# Limburgish markers count as Dutch (the answer is in Dutch).
_LANGUAGE_WORDS: dict[str, frozenset[str]] = {
    "nl": frozenset(
        [
            "de",
            "het",
            "een",
            "en",
            "is",
            "ik",
            "niet",
            "van",
            "op",
            "in",
            "er",
            "mijn",
            "mn",
            "naar",
            "bij",
            "ze",
            "hij",
            "wat",
            "dat",
            "die",
            "met",
            "voor",
            "al",
            "nog",
            "wie",
            "waar",
            "hoe",
            "ons",
            "onze",
            "zijn",
            "heeft",
            "hebben",
            "wordt",
            "worden",
            "staat",
            "staan",
            "ligt",
            "liggen",
            "weer",
            "elke",
            "iemand",
            "geen",
            "ook",
            "maar",
            "dan",
            "kan",
            "moet",
            "wil",
            "jullie",
            "je",
            "u",
            "zich",
            "ich",
            "mien",
            "ozze",
            "bie",
            "neet",
            "mie",
            "hae",
            "oet",
            "wo",
            "mot",
            "mót",
            "get",
            "ligk",
            "weurt",
            "kump",
            "zuut",
            "deit",
            "dae",
            "zie",
            "heb",
            "ben",
            "was",
            "werd",
            "gisteren",
            "vandaag",
            "nu",
        ]
    ),
    "en": frozenset(
        [
            "the",
            "a",
            "an",
            "is",
            "i",
            "my",
            "in",
            "on",
            "and",
            "of",
            "to",
            "it",
            "there",
            "someone",
            "has",
            "have",
            "was",
            "who",
            "where",
            "how",
            "can",
            "what",
            "this",
            "that",
            "our",
            "we",
            "they",
            "he",
            "she",
            "his",
            "her",
            "at",
            "for",
            "with",
            "from",
            "been",
            "just",
            "keeps",
            "been",
            "near",
            "outside",
            "inside",
            "do",
            "does",
            "did",
            "not",
            "dont",
            "can't",
            "cant",
            "i'm",
            "im",
            "it's",
            "its",
        ]
    ),
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "ich",
            "und",
            "ist",
            "nicht",
            "ein",
            "eine",
            "einen",
            "mit",
            "wen",
            "was",
            "am",
            "vom",
            "soll",
            "sind",
            "sie",
            "er",
            "wurde",
            "wird",
            "gestern",
            "kann",
            "bei",
            "dem",
            "den",
            "auf",
            "zu",
            "im",
            "nach",
            "uberall",
            "dass",
            "mochte",
            "habe",
            "hat",
            "bin",
            "auch",
            "sehr",
            "kein",
            "keine",
            "uber",
            "unter",
            "mir",
            "mich",
            "wir",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "la",
            "les",
            "un",
            "une",
            "est",
            "je",
            "il",
            "elle",
            "et",
            "des",
            "du",
            "pas",
            "au",
            "ou",
            "vous",
            "qui",
            "que",
            "sur",
            "dans",
            "pour",
            "ai",
            "mon",
            "ma",
            "mes",
            "ne",
            "plus",
            "y",
            "a",
            "c'est",
            "j'ai",
            "hier",
            "ca",
            "tres",
        ]
    ),
}

# Stop words removed before scoring: function words carry no meaning for routing.
STOP_WORDS: frozenset[str] = frozenset(
    """
    de het een en is ik niet van op in er mijn mn m'n naar bij ze hij wat dat die met voor al
    nog wie waar hoe ons onze zijn heeft hebben wordt worden was werd ben bent kan kunnen moet
    moeten wil willen jullie je jij u zich ook maar dan of te om aan uit over als door tot zo
    deze dit daar hier hem haar hun wij we men sinds want toen omdat zou zouden heel erg echt
    wel toch even gewoon nou hoor graag dus alle alles iets niets ik mij me mijn the a an is i
    my in on and of to it there has have was were who where how can could what this that our we
    they he she his her at for with from been just be am are do does did so very really me you
    your them their its it's im i'm get got some any as by if then der die das ich und ist ein
    eine einen mit am vom sind sie er den dem zu im le la les un une est je il elle et des du
    au ou vous qui que sur dans pour ai mon ma mes ne ce se sa son c'est j'ai y a d'r dr t 't
    ich mien ozze bie hae get nicht nichts auch noch schon nur sehr mein meine meinen meiner
    dein sein seine ihr ihre wir uns es wo wann warum aus bei von seit weil dass oder aber hat
    habe haben bin war wurde werden kann muss soll will weiss gibt einer einem eines
    """.split()
)

_STEMMERS = {
    lang: snowballstemmer.stemmer(name)
    for lang, name in (("nl", "dutch"), ("en", "english"), ("de", "german"), ("fr", "french"))
}


def normalise(text: str) -> str:
    """Lower case, no accents, no punctuation or emoji, single spaces; cut at MAX_CHARS."""
    text = text[:MAX_CHARS].translate(_APOSTROPHES)
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    plain = _NON_WORD.sub(" ", plain)
    plain = re.sub(r"(?<![a-z])'|'(?![a-z])", " ", plain)  # keep m'n, d'r; drop quotes
    return _SPACES.sub(" ", plain).strip()


def words(normalised: str) -> list[str]:
    """The words of a normalised text, apostrophes kept inside words."""
    return normalised.split()


def detect_language(normalised_words: list[str]) -> str:
    """nl, en, de or fr, by counting function words; Dutch when nothing tells."""
    scores = {
        lang: sum(w in vocab for w in normalised_words) for lang, vocab in _LANGUAGE_WORDS.items()
    }
    best = max(scores, key=lambda lang: (scores[lang], lang == "nl"))
    return best if scores[best] > 0 else "nl"


@lru_cache(maxsize=65536)
def stems(word: str, lang: str = "nl") -> tuple[str, ...]:
    """The word and its stems: Dutch and English for a Dutch or English message (they mix in
    Maastricht), only the message's own language for German and French ('faire' is no 'fair')."""
    plain = word.replace("'", "")
    forms = {plain}
    for code in ("nl", "en") if lang in ("nl", "en", "li") else (lang,):
        stemmer = _STEMMERS.get(code)
        if stemmer is not None:
            forms.add(stemmer.stemWord(plain))
    return tuple(sorted(f for f in forms if f))


@lru_cache(maxsize=65536)
def stem(word: str, lang: str) -> str:
    """One stem of WORD in LANG (Limburgish and unknown languages use Dutch)."""
    stemmer = _STEMMERS.get(lang, _STEMMERS["nl"])
    return stemmer.stemWord(word.replace("'", ""))

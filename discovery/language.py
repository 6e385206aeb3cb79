"""Which languages a table's texts are in, and whether the sentence model reads them.

The bundled all-MiniLM-L6-v2, like sentence-transformers' other ``all-*``, ``multi-qa-*``, ``msmarco-*``
and (but for the multilingual ones) ``paraphrase-*`` models, learnt English only: on texts in another language its vectors follow shared
word pieces more than meaning, and every stage after the embedding inherits that without a sign.
A language identifier (py3langid, whose model ships inside the package, so it runs offline) reads a
sample of the texts, and a run on an English-only model says so when a fifth or more of them are in
another language, naming a multilingual model to use instead.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

# Languages the identifier may answer. Left free to pick any of its 139 (py3langid 0.4), it read 2-8% of the English
# benchmark texts (short utterances, code words in titles) as Nigerian Pidgin, Latin, Galician or
# Somali; among these it reads 95.4-99.9% of them as English (docs/benchmarks.md, "Texts not in English").
LANGUAGE_NAMES = {
    "en": "English", "es": "Spanish", "de": "German", "fr": "French", "it": "Italian", "pt": "Portuguese",
    "nl": "Dutch", "sv": "Swedish", "da": "Danish", "no": "Norwegian", "fi": "Finnish", "pl": "Polish",
    "cs": "Czech", "sk": "Slovak", "sl": "Slovenian", "hr": "Croatian", "sr": "Serbian", "bg": "Bulgarian",
    "ro": "Romanian", "hu": "Hungarian", "el": "Greek", "ru": "Russian", "uk": "Ukrainian", "tr": "Turkish",
    "ar": "Arabic", "he": "Hebrew", "fa": "Persian", "hi": "Hindi", "bn": "Bengali", "ur": "Urdu",
    "ta": "Tamil", "te": "Telugu", "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "vi": "Vietnamese",
    "th": "Thai", "id": "Indonesian", "ms": "Malay", "ca": "Catalan", "et": "Estonian", "lv": "Latvian",
    "lt": "Lithuanian",
}
SAMPLE_SIZE = 2000  # texts read per table: about half a second
OTHER_LANGUAGE_SHARE_TO_WARN = 0.2
STOP_WORDS_MIN_SHARE = 0.05  # a language this share of the texts are in has its stop words left out of keywords
MULTILINGUAL_MODEL = "paraphrase-multilingual-MiniLM-L12-v2"
ENGLISH_ONLY_MODEL_NAMES = re.compile(r"^(all-|multi-qa-|msmarco-|paraphrase-(?!multilingual|xlm))", re.IGNORECASE)
HAS_A_LETTER = re.compile(r"[^\W\d_]")
# a word: a run of letters, or one character of a script written without spaces (Chinese, Japanese kana, Thai)
_UNSPACED = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
WORD = re.compile(f"[{_UNSPACED}]|[^\\W\\d_{_UNSPACED}]+")
# Texts of fewer words than this are left out when enough longer ones remain: the identifier read survey non-answers
# ("N/A", "no", "x", ".") as Arabic and "no comment", "None" as Italian, warning that 22% of an English table was not
# English (98% English on the real answers alone).
MIN_WORDS = 3
MIN_LONG_TEXTS = 50


@dataclass(frozen=True)
class LanguageCheck:
    """How many of the checked texts are in each language (most first), and how many were checked."""

    counts: tuple = ()  # ((language code, texts), ...)
    n_checked: int = 0

    @property
    def shares(self) -> dict:
        return {code: count / self.n_checked for code, count in self.counts}

    @property
    def english_share(self) -> float:
        return dict(self.counts).get("en", 0) / self.n_checked if self.n_checked else 0.0

    @property
    def other_share(self) -> float:
        """Share of the checked texts in a language other than English (0 when none was checked)."""
        return (self.n_checked - dict(self.counts).get("en", 0)) / self.n_checked if self.n_checked else 0.0

    def describe(self, top: int = 3) -> str:
        """E.g. 'Spanish 61%, German 30%, English 9%'."""
        shown = [(code, share) for code, share in self.shares.items() if share >= 0.005][:top]
        return ", ".join(f"{LANGUAGE_NAMES.get(code, code)} {share:.0%}" for code, share in shown)

    def to_dict(self) -> dict:
        return {"shares": {code: round(share, 4) for code, share in self.shares.items()}, "texts_checked": self.n_checked}


@functools.lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    identifier.set_languages(list(LANGUAGE_NAMES))
    return identifier


def check_languages(texts, sample_size: int = SAMPLE_SIZE, random_state: int = 0) -> LanguageCheck:
    """The language of each of up to ``sample_size`` texts with a letter in them, drawn with ``random_state``: those
    of ``MIN_WORDS`` words or more when there are ``MIN_LONG_TEXTS`` of them (a word or two tells no language)."""
    readable = [i for i, text in enumerate(texts) if isinstance(text, str) and HAS_A_LETTER.search(text)]
    long_enough = [i for i in readable if len(WORD.findall(texts[i])) >= MIN_WORDS]
    if len(long_enough) >= MIN_LONG_TEXTS:
        readable = long_enough
    if not readable:
        return LanguageCheck()
    rows = readable
    if len(readable) > sample_size:
        rows = np.sort(np.random.RandomState(random_state).choice(readable, sample_size, replace=False))
    identifier = _identifier()
    codes = [identifier.classify(texts[i])[0] for i in rows]
    found, counts = np.unique(codes, return_counts=True)
    order = np.lexsort((found, -counts))
    return LanguageCheck(tuple((str(found[i]), int(counts[i])) for i in order), len(codes))


def stop_words_for(check: LanguageCheck | None, min_share: float = STOP_WORDS_MIN_SHARE) -> frozenset:
    """Stop words of every language other than English that at least ``min_share`` of the texts are in, for
    the clusters' keywords (English ones are always left out). The lists (the stop-words package) are broad:
    Spanish's holds "cuenta" (account, and "counts"), so such a word never becomes a keyword."""
    if check is None:
        return frozenset()
    from stop_words import LANGUAGE_MAPPING, get_stop_words

    words = set()
    for code, share in check.shares.items():
        name = LANGUAGE_MAPPING.get("nb" if code == "no" else code)
        if code != "en" and share >= min_share and name:
            words.update(word.lower() for word in get_stop_words(name))
    return frozenset(words)


def reads_english_only(model: str | None) -> bool:
    """Whether ``model`` (None: the bundled all-MiniLM-L6-v2) is one of sentence-transformers' English models.

    Other models may or may not read the texts' language; nothing here can tell, so they are not warned about.
    The test is by name: a fine-tuned copy saved under another name is not recognised.
    """
    if model is None:
        return True
    if model == "tfidf":
        return False
    return bool(ENGLISH_ONLY_MODEL_NAMES.match(_model_name(model)))


def _model_name(model: str) -> str:
    """The last part of a model's name or folder, whichever separator its path uses."""
    return re.split(r"[\\/]", str(model).rstrip("/\\"))[-1]


def language_warning(check: LanguageCheck, model: str | None) -> str | None:
    """What to tell the researcher when an English-only model meets texts of which ``OTHER_LANGUAGE_SHARE_TO_WARN`` or
    more are in other languages (None: nothing)."""
    if not reads_english_only(model) or check.other_share < OTHER_LANGUAGE_SHARE_TO_WARN:
        return None
    name = "the bundled all-MiniLM-L6-v2" if model is None else _model_name(model)
    return (f"{check.other_share:.0%} of the texts are not in English ({check.describe()}; {check.n_checked:,} texts "
            f"checked), but {name} reads English only: its clusters and labels on the other texts follow shared "
            f"word pieces more than meaning. Choose a multilingual model instead (e.g. {MULTILINGUAL_MODEL}: "
            "Model 'other' in the dashboard, --model in the CLI; it is downloaded once), or 'tfidf'.")

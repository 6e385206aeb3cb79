"""How the keywords, the TF-IDF model and the fill-in's word classifier cut texts into words, in any script.

Python's ``\\w`` leaves out combining marks, which Devanagari, Bengali, Tamil and other Indic scripts write most
vowels with: "मेरा रिचार्ज नहीं हुआ" was read as "नह" and a few lone letters. ``WORD_CHAR`` adds them.
Chinese and Japanese write no spaces between words: read as words, a whole sentence was one, and a cluster
of Chinese questions had three of its sentences as keywords. ``UnspacedTerms`` reads Han runs as their character
pairs (most Chinese words are two characters), katakana runs (loanwords: カード) whole and hiragana (mostly
grammar: が, ます) not at all. Text without combining marks, Chinese or Japanese is cut exactly as scikit-learn's
patterns cut it.
"""

from __future__ import annotations

import re
import unicodedata


def _combining_marks() -> str:
    """The combining marks scripts write letters with (categories Mn and Mc of the Basic Multilingual Plane, where
    every living script's are) as character-class ranges. Not the variation selectors an emoji carries (❤️ made an
    invisible word of them) nor enclosing marks (the keycap of 1️⃣); marks of the planes beyond, checked one range
    at a time at every character, made reading words five times slower."""
    ranges, start, previous = [], None, None
    for code in range(0x10001):
        char = chr(code) if code < 0x10000 else ""
        if char and unicodedata.category(char) in ("Mn", "Mc") and not 0xFE00 <= code <= 0xFE0F:
            if start is None:
                start = code
            previous = code
        elif start is not None:
            ranges.append(f"\\u{start:04x}" + (f"-\\u{previous:04x}" if previous != start else ""))
            start = None
    return "".join(ranges)


WORD_CHAR = f"[\\w{_combining_marks()}]"


def lower_case(text: str) -> str:
    """``text`` in lower case, each letter one letter: Turkish dotted capital I lowers to "i" ("İ".lower() is "i"
    and a combining dot, which no word spelled with "İ" holds; case-insensitive matching takes "i" for it)."""
    return text.replace("\u0130", "I").lower()
# a word of the keywords: "don't" and "e-mail" are one; a lone letter too (\b\w[\w'-]*\w\b|\b\w\b, with marks)
KEYWORD = re.compile(f"(?<!{WORD_CHAR}){WORD_CHAR}(?:{WORD_CHAR}|['-])*{WORD_CHAR}(?!{WORD_CHAR})"
                     f"|(?<!{WORD_CHAR}){WORD_CHAR}(?!{WORD_CHAR})")
# a word of the TF-IDF model and the word classifier: two characters or more (scikit-learn's \b\w\w+\b, with marks)
TOKEN = re.compile(f"(?<!{WORD_CHAR}){WORD_CHAR}{{2,}}(?!{WORD_CHAR})")
HAN, KATAKANA, HIRAGANA = "\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff", "\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f", "\u3040-\u309f"
# a katakana run needs a letter: ・ and ー alone are punctuation, left out with hiragana
UNSPACED = re.compile(f"([{HAN}]+)|([{KATAKANA}]*[\u30a1-\u30fa\u31f0-\u31ff\uff66-\uff9d][{KATAKANA}]*)"
                      f"|[{HIRAGANA}]+|[{KATAKANA}]+")


_UNSPACED_LETTER = re.compile(f"[{HAN}{HIRAGANA}\u30a1-\u30fa\u31f0-\u31ff\uff66-\uff9d]")


def has_unspaced_script(texts) -> bool:
    """Whether any of ``texts`` holds a Chinese or Japanese letter (``UnspacedTerms`` then reads the table)."""
    return any(_UNSPACED_LETTER.search(str(text)) for text in texts)


# where a sentence ends: no pair of neighbouring words spans it (a post of titles "Scala? Scala ..." made the keyword
# "scala scala", which no text holds side by side: helper 95); "asp.net" and "3.5" go on
# 。！？；, the Devanagari danda and double danda, the Arabic question mark, semicolon and full stop need no space after
SENTENCE_BREAK = re.compile(r"[.!?;:]+(?=\s|$)|[\u3002\uff01\uff1f\uff1b\u0964\u0965\u061f\u061b\u06d4]+|\n")


class UnspacedTerms:
    """A scikit-learn ``analyzer``: the words of a text and the pairs of neighbouring words, as a vectorizer with
    ``token_pattern=word.pattern``, ``stop_words`` and ``ngram_range=(1, 2)`` reads them, except Chinese and
    Japanese runs (module doc). A Han pair of two stop words (我的) is left out, as is a lone Han stop word.
    ``preprocess``: applied to each text first (lowercasing, markup out). ``sentences``: no pair spans the end of a
    sentence (``SENTENCE_BREAK``)."""

    def __init__(self, word: re.Pattern, stop_words=frozenset(), preprocess=lower_case, sentences: bool = False):
        self.word, self.stop_words, self.preprocess = word, frozenset(stop_words), preprocess
        self.sentences = sentences

    def __call__(self, text) -> list[str]:
        text = self.preprocess(text)
        terms: list[str] = []
        start = 0
        for run in UNSPACED.finditer(text):
            self._words(text[start:run.start()], terms)
            han, katakana = run.group(1), run.group(2)
            if han:
                pairs = [han] if len(han) == 1 else [han[i:i + 2] for i in range(len(han) - 1)]
                terms.extend(p for p in pairs if p not in self.stop_words and not all(c in self.stop_words for c in p))
            elif katakana and katakana not in self.stop_words:
                terms.append(katakana)
            start = run.end()
        self._words(text[start:], terms)
        return terms

    def _words(self, part: str, terms: list[str]) -> None:
        for sentence in SENTENCE_BREAK.split(part) if self.sentences else (part,):
            kept = [w for w in self.word.findall(sentence) if w not in self.stop_words]
            terms.extend(kept)
            terms.extend(f"{a} {b}" for a, b in zip(kept, kept[1:]))


def word_vectorizer_options(texts, word: re.Pattern = TOKEN, stop_words=frozenset(), preprocess=None,
                            sentences: bool = False) -> dict:
    """The options of a scikit-learn vectorizer that reads ``texts`` as words of ``word`` and word pairs, without
    ``stop_words``, each text ``preprocess``-ed first (lowercased when None): ``UnspacedTerms`` when any text holds
    Chinese or Japanese, or pairs must not span sentences (``sentences``: the keywords), else scikit-learn's own
    analyzer (so the TF-IDF model and the word classifier read spaced text as before)."""
    if sentences or has_unspaced_script(texts):
        return {"analyzer": UnspacedTerms(word, stop_words, preprocess or lower_case, sentences=sentences)}
    options = {"ngram_range": (1, 2), "token_pattern": word.pattern}
    if stop_words:
        options["stop_words"] = sorted(stop_words)
    if preprocess is not None:
        options["preprocessor"] = preprocess
    return options


# characters that may start an emoji (the symbol blocks, the supplementary planes' pictographs, the variation
# selector, the keycap): only texts holding one are handed to the emoji package, which reads 50,000 texts in 6 s
_MAYBE_EMOJI = re.compile("[\u00a9\u00ae\u203c\u2049\u2122\u2139\u2190-\u2bff\u3030\u303d\u3297\u3299\ufe0f"
                          "\u20e3\U0001f000-\U0001faff]")
# the characters below U+1F000 shown as emoji by default (Unicode's Emoji_Presentation): the others (©, ®, ™, ♥,
# ➡, ▪) are typography unless a variation selector (U+FE0F) asks for the emoji, and are left as they are
_EMOJI_BY_DEFAULT = re.compile("[\u231a\u231b\u23e9-\u23ec\u23f0\u23f3\u25fd\u25fe\u2614\u2615\u2648-\u2653"
                               "\u267f\u2693\u26a1\u26aa\u26ab\u26bd\u26be\u26c4\u26c5\u26ce\u26d4\u26ea"
                               "\u26f2\u26f3\u26f5\u26fa\u26fd\u2705\u270a\u270b\u2728\u274c\u274e"
                               "\u2753-\u2755\u2757\u2795-\u2797\u27b0\u27bf\u2b1b\u2b1c\u2b50\u2b55]")
_SKIN_TONE = re.compile("_(?:medium-light|medium-dark|light|medium|dark)_skin_tone")


def emoji_spelled_out(texts) -> list:
    """``texts`` with each emoji replaced by its English name (the emoji package's CLDR names: 💳 -> "credit card",
    a skin tone left out), as a word among the text's words. The bundled model reads every emoji as one unknown
    piece and TF-IDF not at all, so "💳❌ help" and "🔒🔒 help" read the same, and a text of emoji alone as nothing.
    Symbols shown as text by default (© ® ™ ♥ ➡) stay as they are unless written as emoji (with U+FE0F)."""
    import emoji

    def name(chars: str, data) -> str:
        if len(chars) == 1 and chars < "\U0001f000" and not _EMOJI_BY_DEFAULT.match(chars):
            return chars
        return " " + _SKIN_TONE.sub("", data["en"].strip(":")).replace("_", " ") + " "

    out = []
    for text in texts:
        if isinstance(text, str) and _MAYBE_EMOJI.search(text):
            spelled = emoji.replace_emoji(text, replace=name)
            text = " ".join(spelled.split()) if spelled != text else text
        out.append(text)
    return out

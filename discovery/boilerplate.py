"""Words many texts share whatever they are about: a chat widget's greeting, an e-mail header, a form's prompt.

A sentence model pools every word piece of a text alike, so a 25-word greeting before a 10-word question makes
texts alike by their greeting: on a helper's support table where half the texts opened with one of two chat
greetings, the fill-in (model not fine-tuned) was 57% right, for 93% on the same table without them, and the
keywords of every cluster read "chat, agent, maria". A run finds runs of words (``MIN_WORDS`` or more, digits
alike; a Chinese or Japanese character is a word; or two or three words, a slot of ``SLOT_WORDS`` that vary,
such as a signature's name, and two words) that ``MIN_SHARE`` of the distinct texts hold and labeled rows of
several classes hold alike (so they tell no class apart: a phrase of one class's template is its signal, and
stays), and the model, the keywords and the word classifier read the texts without them. Greetings and sign-offs
too short for such a run are found where they stand: opening or closing a text, set apart by a break ("Hi support
team,", "Best regards,\n<a name>"; ``_edges``). The table's texts, and every file written, keep them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from itertools import groupby

import numpy as np

from .labels import narrow
from .words import HAN, HIRAGANA, KATAKANA, WORD_CHAR, emoji_spelled_out, lower_case

MIN_WORDS = 4  # a run of words this long, shared by MIN_SHARE of the texts, is boilerplate (benchmarks: at most 2.4%)
MIN_SHARE = 0.1
# the labeled rows holding a phrase: of this many classes at least, none holding more than MAX_CLASS_SHARE of them
MIN_CLASSES = 3
MAX_CLASS_SHARE = 0.5
# a class labeled more than the others may hold more of a phrase's rows: up to SIZE_SLACK times its share of every
# labeled row (a greeting every text opens with was kept where one class held 80% of the labels: helper 86)
SIZE_SLACK = 1.25
MIN_LABELED = 5
ONE_FILLER_SHARE = 0.8  # a greeting's or sign-off's filler with this share of its labeled rows in one class may name it
FEW_FILLERS_PER_CLASS = 3  # fillers no more varied than this many a labeled class may be the classes' names
SAMPLE = 20_000  # distinct texts the phrases are counted on (250,000 texts of ~190 words: 119 s and 2.5 GB counted whole)
MIN_STRETCH_WORDS = 6  # words in a row the phrases cover, for them to be taken out of a text
# phrases with a slot: 2 or 3 words, 1 to 4 words that vary, 2 words ("Kind regards, <a name>. Sent from my iPhone":
# ten names, each under MIN_SHARE, left a candidate "luis, luis perez, perez" of every class)
SLOT_WORDS = (1, 2, 3, 4)
SLOT_ANCHORS = (2, 3)  # fixed words before a slot ("Hi, this is <name> from Acme": with two, "Hi" stayed in every text)
SLOT = "<slot>"  # in a phrase, where its 1 to 4 words that vary are: one phrase whatever the slot holds (no space: the
# manifest lists a phrase as its words joined by spaces, read back by phrases_of)
# a greeting opening a text or a sign-off closing it: 1 to EDGE_WORDS words that a break (EDGE_BREAK: a line break,
# a comma, ...) sets apart from the rest, a sign-off with a name of 1 to EDGE_SLOT_WORDS words after it ("Hi support
# team,", "Best regards,\nSofia Patel": too short for a stretch, they were read in every text and made a ticket of
# a greeting, a sign-off and no question a confident proposal). Counted as the other phrases are (MIN_SHARE of the
# texts, labeled rows of several classes alike), in EDGE_ROUNDS rounds ("Thanks,\nBest regards,\n<name>": the
# thanks closes the text once the sign-off is cut)
START, END = "<start>", "<end>"  # in an edge phrase: the text's start before it, its end after it (and the slot)
EDGE_WORDS = 5
EDGE_SLOT_WORDS = 4
EDGE_ROUNDS = 3
GIVEN = "<given>"  # opens a phrase the researcher asked to leave out (``given_phrases``), cut wherever it stands
# a line break, or , : ; ! ? . before a space ("3.50" and "1,000" are one number), or Chinese and Japanese punctuation
EDGE_BREAK = re.compile(r"\n|[,:;!?.](?=\s)|[，。！？：；、\u0964\u0965\u060c\u061b\u061f\u06d4]")  # Devanagari, Arabic too
EDGE_READ = 400  # characters of a long text's start, and of its end, that _edges reads
# a run of MIN_WORDS words is boilerplate only where each end follows from the rest: its last word follows its
# first ones (and its first precedes the rest) in this share of the texts holding them at least ('your support
# request' went on to the question's first word 'i' in a third of the tickets, and that 'i' was cut)
MIN_END_SHARE = 0.5
# a word; a Chinese or Japanese character is one (those scripts write no spaces: a greeting was one or two
# "words" and never found), and Indic vowel signs stay in their word (words.py)
_UNSPACED_CHAR = f"[{HAN}{KATAKANA}{HIRAGANA}]"
_WORD = re.compile(f"{_UNSPACED_CHAR}|(?:(?!{_UNSPACED_CHAR}){WORD_CHAR})+")
_SEPARATORS = " \t\r\n:;,.!?-\u2013\u2014|>)]}*\u3000，。！？：；、）」』】"  # with Chinese and Japanese punctuation


# what a greeting's cut leaves before the text's own words: separators, a full stop only where no word follows it
_LEADING_SEPARATORS = re.compile("^(?:[" + re.escape(_SEPARATORS.replace(".", "")) + r"]|\.(?!\w))+")


def canonical_phrases(phrases) -> tuple[str, ...]:
    """Phrases to leave out in one spelling (``DiscoveryConfig.leave_out``): spaces made one, lower case
    (``lower_case``), full-width letters as their usual ones, composed (``labels.narrow``), emoji by their names as
    the run reads them (``😂`` is "face with tears of joy"), sorted, each once, so the same phrases key runs and
    decisions alike."""
    return tuple(sorted({lower_case(" ".join(emoji_spelled_out([narrow(phrase)])[0].split())) for phrase in phrases}))


def _words(text: str) -> list[tuple[str, int, int]]:
    """Each word of ``text``, lower case with each run of digits as 0 (a time or a ticket number varies, in
    length too: Ticket #613214 beside #1048576), and where it is."""
    return [(_digits_as_zero(lower_case(_narrow(m.group()))), m.start(), m.end()) for m in _WORD.finditer(text)]


def _narrow(word: str) -> str:
    """``word`` with full-width letters and digits as their usual ones (``labels.narrow``): ``ｉＰｈｏｎｅから送信``
    typed to leave out is the ``iPhoneから送信`` the texts hold."""
    return word if word.isascii() else narrow(word)


def _digits_as_zero(word: str, digits=re.compile(r"\d+")) -> str:
    return word if word.isalpha() else digits.sub("0", word)


def _grams(w: list, pairs: set) -> set:
    """The runs of ``MIN_WORDS`` words of ``w`` (words as ``_words`` reads them, without their places), and the
    phrases with a slot (``_slotted``) whose anchors' word pairs are among ``pairs``."""
    runs = {tuple(w[i:i + MIN_WORDS]) for i in range(len(w) - MIN_WORDS + 1)}
    return runs | {phrase for *_, phrase in _slotted(w, pairs)}


def _slotted(w: list, pairs: set):
    """Each phrase with a slot in ``w``: ``a`` words (``SLOT_ANCHORS``), ``SLOT``, two words, with ``k`` words of
    ``SLOT_WORDS`` in the slot; yields where it starts, ``a``, ``k`` and the phrase. One phrase whatever ``k``: a
    signature's names of one to four words are counted together (each length under ``MIN_SHARE`` left
    them all). Only where the two words before the slot and the two after it are a pair of ``pairs`` (the pairs
    ``MIN_SHARE`` of the texts hold: a phrase is never more common than its pairs), which spares most of the time."""
    ends = [i for i in range(1, len(w)) if (w[i - 1], w[i]) in pairs]  # where a pair ends
    if not ends:
        return
    ending = set(ends)
    for end in ends:  # a slot after the pair ending here
        for a in SLOT_ANCHORS:
            i = end + 1 - a
            if i < 0:
                continue
            for k in SLOT_WORDS:
                right = end + 1 + k  # the first word after the slot
                if right + 1 in ending:  # a pair right after the slot
                    yield i, a, k, (*w[i:end + 1], SLOT, w[right], w[right + 1])


def _slots_telling_classes(grams: set, labeled: list, share: dict) -> set:
    """The phrases with a slot among ``grams`` that are no slot for a name (``labeled``: the words and label of the
    labeled rows holding one): its fillers, among those two labeled rows or more share, tell classes apart (of all
    their rows, more than ``MAX_CLASS_SHARE`` in each filler's commonest class: ``_shared_fillers``) or are too few
    to say (a short question between a greeting and a signature is the text, not a name), or one word
    starts or ends more than half of them (the slot is not where the phrase varies: ('card', 'kind', <3>, 'sent',
    'from') holds "regards <name>" and would cut the question's last word)."""
    by_filler: dict[tuple, dict[tuple, Counter]] = {gram: {} for gram in grams if len(gram) != MIN_WORDS}
    pairs = _anchor_pairs(by_filler)
    for w, label in labeled:
        for i, a, k, phrase in _slotted(w, pairs):
            if phrase in by_filler:
                by_filler[phrase].setdefault(tuple(w[i + a:i + a + k]), Counter())[label] += 1
    telling = set()
    for gram, fillers in by_filler.items():
        rows, in_one_class, allowed = _shared_fillers(fillers, share)
        total = sum(sum(counts.values()) for counts in fillers.values())
        ends = [Counter(), Counter()]
        for filler, counts in fillers.items():
            ends[0][filler[0]] += sum(counts.values())
            ends[1][filler[-1]] += sum(counts.values())
        if (rows < MIN_LABELED or in_one_class > allowed
                or any(max(end.values()) > 0.5 * total for end in ends)):
            telling.add(gram)
    return telling


def find_boilerplate(texts, labels: np.ndarray | None = None) -> frozenset:
    """The runs of ``MIN_WORDS`` words (as ``_words`` reads them) and phrases with a slot that ``MIN_SHARE`` of the
    distinct texts hold and that tell no labeled class apart (labeled rows of ``MIN_CLASSES`` classes or more hold
    them, none more than ``MAX_CLASS_SHARE`` of those rows), then the greetings and sign-offs (``_edge_phrases``)
    the texts read without them hold alike. Without ``MIN_LABELED`` labeled rows holding a phrase, it is kept: a
    phrase only one unnamed category's texts share would be that category's signal."""
    texts = [text if isinstance(text, str) else "" for text in texts]
    distinct = list(dict.fromkeys(texts))
    if len(distinct) < 20 or labels is None:  # without labels nothing tells boilerplate from a category's words
        return frozenset()
    if len(distinct) > SAMPLE:  # a share is measured as well on a sample, in a fraction of the time and memory
        chosen = np.random.RandomState(0).choice(len(distinct), SAMPLE, replace=False)
        distinct = [distinct[i] for i in np.sort(chosen)]
    read = [[word[0] for word in _words(text)] for text in distinct]
    pair_counts = Counter(pair for w in read for pair in set(zip(w, w[1:])))
    pairs = {pair for pair, n in pair_counts.items() if n >= MIN_SHARE * len(distinct)}
    counts = Counter(gram for w in read for gram in _grams(w, pairs))
    del read
    frequent = {gram for gram, n in counts.items() if n >= MIN_SHARE * len(distinct)}
    labels = np.asarray(labels)
    phrases = _stretch_phrases(texts, labels, frequent, pairs) if frequent else frozenset()
    return phrases | _edge_phrases(texts, labels, distinct, phrases)


def _stretch_phrases(texts: list, labels: np.ndarray, frequent: set, pairs: set) -> frozenset:
    """The ``frequent`` runs and phrases with a slot that tell no labeled class apart (``find_boilerplate``)."""
    classes_of: dict[tuple, Counter] = {gram: Counter() for gram in frequent}
    ends = {part for gram in frequent if len(gram) == MIN_WORDS for part in (gram[:-1], gram[1:])}
    holding_ends = Counter()  # labeled rows holding the first or the last MIN_WORDS - 1 words of a frequent run
    holding_slots = []  # the labeled rows holding a frequent phrase with a slot, read once (not every row: memory)
    for text, label in zip(texts, labels):
        if label >= 0:
            w = [word[0] for word in _words(text)]
            in_text = _grams(w, pairs) & frequent
            for gram in in_text:
                classes_of[gram][int(label)] += 1
            holding_ends.update({tuple(w[i:i + MIN_WORDS - 1]) for i in range(len(w) - MIN_WORDS + 2)} & ends)
            if any(len(gram) != MIN_WORDS for gram in in_text):
                holding_slots.append((w, int(label)))
    share = _label_shares(labels)
    found = {gram for gram, by_class in classes_of.items() if _tells_no_class(by_class, share)}
    held = {gram: sum(by_class.values()) for gram, by_class in classes_of.items()}
    open_ended = {gram for gram in found if len(gram) == MIN_WORDS and any(
        held[gram] < MIN_END_SHARE * holding_ends[part] for part in (gram[:-1], gram[1:]))}
    # and a slot's third word before it, where it is the text's own ('card' ending a tenth of the questions)
    open_ended |= {gram for gram in found if gram[3:4] == (SLOT,) and held[gram] < MIN_END_SHARE * held.get(gram[1:], 0)}
    return frozenset(found - open_ended - _slots_telling_classes(found, holding_slots, share))


def _edge_phrases(texts: list, labels: np.ndarray, distinct: list, phrases: frozenset) -> frozenset:
    """The greetings and sign-offs (``_edges``) that ``MIN_SHARE`` of the ``distinct`` texts hold, read without the
    ``phrases`` found so far, and that tell no labeled class apart (``_tells_no_class``), round after round
    (``EDGE_ROUNDS``): each round's cut can bare another. Labeled rows beyond ``SAMPLE`` are sampled, as the texts."""
    labeled = np.flatnonzero(labels >= 0)
    if len(labeled) < MIN_LABELED:
        return frozenset()
    if len(labeled) > SAMPLE:
        labeled = np.sort(np.random.RandomState(0).choice(labeled, SAMPLE, replace=False))
    distinct, held = without_boilerplate(distinct, phrases), without_boilerplate([texts[i] for i in labeled], phrases)
    found, n_classes, share = frozenset(), len(np.unique(labels[labeled])), _label_shares(labels[labeled])
    for _ in range(EDGE_ROUNDS):
        seen_names: dict[tuple, Counter] = {}  # each edge's fillers over the texts: its slot's words, its numbers
        seen_numbers: dict[tuple, Counter] = {}
        for text in distinct:
            for edge, (name, digits) in _fillers_of(text).items():
                seen_names.setdefault(edge, Counter())[name] += 1
                seen_numbers.setdefault(edge, Counter())[digits] += 1
        frequent = {edge for edge, held_by in seen_names.items() if held_by.total() >= MIN_SHARE * len(distinct)}
        frequent -= found
        # what varies in each (its slot's words, its numbers) and the classes of the labeled rows holding it
        names: dict[tuple, dict[tuple, Counter]] = {edge: {} for edge in frequent}
        numbers: dict[tuple, dict[tuple, Counter]] = {edge: {} for edge in frequent}
        for text, label in zip(held, labels[labeled]) if frequent else ():
            for edge, (name, digits) in _fillers_of(text).items():
                if edge in frequent:
                    names[edge].setdefault(name, Counter())[int(label)] += 1
                    numbers[edge].setdefault(digits, Counter())[int(label)] += 1
        classes_of = {edge: sum(by_filler.values(), Counter()) for edge, by_filler in names.items()}
        new = {edge for edge, by_class in classes_of.items() if _tells_no_class(by_class, share)
               and not _tells_class(names[edge], seen_names[edge], n_classes, share)
               and not _tells_class(numbers[edge], seen_numbers[edge], n_classes, share)}
        if not new:
            break
        found |= new
        distinct = [_without_edges(text, found) for text in distinct]
        held = [_without_edges(text, found) for text in held]
    return found


def _fillers_of(text: str) -> dict:
    """Each edge ``text`` holds (``_edges``) and what varies in it, (slot words, words with digits); of an edge found
    twice, the last listed: the widest, which the cut takes."""
    return {edge: (name, digits) for edge, _, name, digits in _edges(text)}


def _tells_no_class(by_class: Counter, share: dict) -> bool:
    """Whether the labeled rows holding a phrase (``by_class``: how many of each class) are ``MIN_LABELED`` at least,
    of ``MIN_CLASSES`` classes or more, none holding more than its ``_class_limit`` of them (``share``: each class's
    share of every labeled row)."""
    held = sum(by_class.values())
    return held >= MIN_LABELED and len(by_class) >= MIN_CLASSES and all(
        n <= _class_limit(c, share) * held for c, n in by_class.items())


def _class_limit(c: int, share: dict, limit: float = MAX_CLASS_SHARE) -> float:
    """The share of a phrase's labeled rows class ``c`` may hold with the phrase telling no class apart: ``limit``,
    or ``SIZE_SLACK`` times ``c``'s share of every labeled row where that is more."""
    return max(limit, SIZE_SLACK * share.get(c, 0.0))


def _label_shares(labels: np.ndarray) -> dict:
    """Each class's share of the labeled rows of ``labels`` (-1 unlabeled)."""
    classes, counts = np.unique(labels[labels >= 0], return_counts=True)
    return {int(c): n / max(counts.sum(), 1) for c, n in zip(classes, counts)}


def _tells_class(fillers: dict, seen: Counter, n_classes: int, share: dict) -> bool:
    """Whether what fills a phrase's varying part tells classes apart (``fillers``: each filler and the classes of the
    labeled rows holding it; ``seen``: how many texts hold each): "Product: Music", "Thanks! #CardArrival" or
    "Queue: 40" after a break named the class, and the class was cut in every text (helper 82). It does where the
    fillers two labeled rows or more share, ``MIN_LABELED`` rows at least, sit in their commonest classes over the
    ``_class_limit`` (over all of them), or one class holds one filler (``_one_class_holds``: "Apple Pay" among
    names), and where the labeled rows cannot say, fillers that repeat hold half the texts or more and are few, at
    most ``FEW_FILLERS_PER_CLASS`` times the labeled classes (a field whose values name the classes, each labeled
    once: helper 85; customers' names are many). Fillers seen once each (customers' own names, order numbers) say
    nothing of a class."""
    rows, in_one_class, allowed = _shared_fillers(fillers, share)
    if rows >= MIN_LABELED:
        return in_one_class > allowed or any(_one_class_holds(by_class, share) for by_class in fillers.values())
    repeated = {filler: n for filler, n in seen.items() if n >= 2}
    return sum(repeated.values()) >= 0.5 * seen.total() and len(repeated) <= FEW_FILLERS_PER_CLASS * n_classes


def _one_class_holds(by_class: Counter, share: dict) -> bool:
    """Whether one class holds a filler: ``MIN_LABELED`` labeled rows or more, ``ONE_FILLER_SHARE`` of them in one
    class, and more than two standard deviations above what that class's share of the labels predicts (a class of
    80% of the labels holding every row of a name signed five times is chance)."""
    held = sum(by_class.values())
    return held >= MIN_LABELED and any(
        n >= ONE_FILLER_SHARE * held
        and n > held * share.get(c, 0.0) + 2 * np.sqrt(held * share.get(c, 0.0) * (1 - share.get(c, 0.0)))
        for c, n in by_class.items())


def _shared_fillers(fillers: dict, share: dict) -> tuple[int, int, float]:
    """Of the fillers (each with the classes of the labeled rows holding it) two labeled rows or more share: how
    many rows hold them, how many of those are in each one's commonest class, and how many could be with the
    fillers telling no class apart (``_class_limit`` of each commonest class)."""
    shared = [counts for counts in fillers.values() if sum(counts.values()) >= 2]
    commonest = [max(counts, key=counts.get) for counts in shared]
    return (sum(sum(counts.values()) for counts in shared), sum(counts[c] for counts, c in zip(shared, commonest)),
            sum(_class_limit(c, share) * sum(counts.values()) for counts, c in zip(shared, commonest)))


def _edge_words(text: str) -> list:
    """``_words`` of the first and the last ``EDGE_READ`` characters of a long text (its edges are all ``_edges``
    reads: a 190-word text read whole took 164 microseconds), a word the cut runs through left out."""
    if len(text) <= 3 * EDGE_READ:
        return _words(text)
    tail = len(text) - EDGE_READ
    return ([word for word in _words(text[:EDGE_READ]) if word[2] < EDGE_READ]
            + [(word, start + tail, end + tail) for word, start, end in _words(text[tail:]) if start > 0])


def _edges(text: str) -> list:
    """Each greeting and sign-off ``text`` could hold, with where it ends (a greeting) or starts (a sign-off) and
    what varies in it (the words of its slot, and its words with digits, as written): its first 1 to
    ``EDGE_WORDS`` words where a break (``EDGE_BREAK``) follows them and words of the text's own come after,
    ``(START, *words)``; its last 1 to ``EDGE_WORDS`` words after a break, where words come before them,
    ``(*words, END)``, or with a name after another break, ``(*words, SLOT, END)``: 1 to ``EDGE_SLOT_WORDS``
    words with no break between them, the first and the last capitalized, and no question mark ("Thanks. Refund
    please?", "Thanks, Apple Pay refund" keep their words; a script without capitals, such as Chinese, has no
    slot: any last characters would be one)."""
    words = _edge_words(text)
    w = [word[0] for word in words]
    written = [lower_case(text[start:end]) for _, start, end in words]
    breaks = [bool(EDGE_BREAK.search(text[words[i][2]:words[i + 1][1]])) for i in range(len(words) - 1)]

    def digit_words(first: int, stop: int) -> tuple:
        return tuple(written[i] for i in range(first, stop) if any(character.isdigit() for character in written[i]))

    out = [((START, *w[:n]), words[n - 1][2], (), digit_words(0, n))
           for n in range(1, min(EDGE_WORDS, len(words) - 1) + 1) if breaks[n - 1]]
    for k in range(EDGE_SLOT_WORDS + 1):
        slot = len(words) - k  # where the name starts
        if k and (slot < 1 or not breaks[slot - 1] or any(breaks[slot:]) or "?" in text[words[slot][1]:]
                  or not (text[words[slot][1]].isupper() and text[words[-1][1]].isupper())):
            continue
        for first in range(slot - 1, max(slot - EDGE_WORDS, 1) - 1, -1):
            if breaks[first - 1]:
                out.append(((*w[first:slot], *((SLOT,) if k else ()), END), words[first][1], tuple(written[slot:]),
                            digit_words(first, slot)))
    return out


def _without_edges(text: str, edges: frozenset) -> str:
    """``text`` without the greetings and sign-offs among ``edges`` it opens or closes with, until it opens and
    closes with none, and the separators they leave (an emoji between them is no word, but kept)."""
    given = text
    while True:
        start, end = 0, len(text)
        for edge, at, *_ in _edges(text):
            if edge in edges:
                if edge[0] == START:
                    start = max(start, at)
                else:
                    end = min(end, at)
        if (start, end) == (0, len(text)):
            break
        kept = text[start:end] if start < end else ""
        kept = _LEADING_SEPARATORS.sub("", kept) if start else kept  # ".htaccess" after "Hi all, " keeps its dot
        text = kept.rstrip() if end < len(text) else kept
    return text.strip() if text != given else text


def given_phrases(leave_out) -> frozenset:
    """The phrases a researcher asked to leave out of what the run reads (``DiscoveryConfig.leave_out``), as
    ``without_boilerplate`` takes them: a signature that one class's writers mostly use is kept by the rule above
    (it tells that class apart), yet a sentence model gathers every other class's texts holding it into one
    candidate (helper 83: "Sent from Outlook for Android" on 70% of one M-CID intent and 6% of the others)."""
    return frozenset((GIVEN, *(word for word, _, _ in _words(phrase))) for phrase in leave_out)


def refused_phrase(phrase: str) -> str | None:
    """Why a phrase to leave out cannot be one (None when it can): it holds no word to look for, or only numbers,
    which stand for any number and would cut every number of every text."""
    words = next(iter(given_phrases(canonical_phrases([phrase]))))[1:]
    if not words:
        return "holds no word to look for; give the words to leave out, such as 'Sent from my iPhone'"
    if all(word.strip("0") == "" for word in words):
        return ("holds only numbers, which stand for any number: it would cut every number of every text; give "
                "the words around it too, such as 'Ticket #123'")
    return None


def _given_pattern(phrases) -> re.Pattern | None:
    """One pattern for the given ``phrases``: their words in order, any separators between them (none needed
    beside a Chinese or Japanese character, which is a word of its own), any case, not inside a longer word ("card"
    is not cut from "cards")."""
    words = [phrase[1:] for phrase in phrases if phrase[0] == GIVEN and len(phrase) > 1]
    if not words:
        return None
    alternatives = [_edge(phrase[0][:1], f"(?<!{WORD_CHAR})")  # a vowel sign continues a word (Hindi करें)
                    + "".join(_word_pattern(word) + (_between(word, following) if following else "")
                              for word, following in zip(phrase, (*phrase[1:], None)))
                    + _edge(phrase[-1][-1:], f"(?!{WORD_CHAR})")
                    for phrase in sorted(words, key=len, reverse=True)]
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _edge(char: str, apart: str) -> str:
    """``apart`` (no word character beside the phrase's end), unless that end is a Chinese or Japanese character:
    one stands beside the next with no space ("请问怎么退款来自我的iPhone")."""
    return "" if re.match(_UNSPACED_CHAR, char) else apart


def _word_pattern(word: str) -> str:
    return "".join(r"\d+" if part == "0" else _either_width(part) for part in re.split("(0)", word) if part) \
        if not word.isalpha() else _either_width(word)


def _either_width(word: str) -> str:
    """A pattern for ``word`` (narrowed, ``_narrow``) that matches its Latin letters typed full-width and its katakana
    typed half-width too (``ｿｳｼﾝ`` for ``ソウシン``, ``ﾄﾞ`` for ``ド``): texts keep the width they were written in."""
    def either(char: str) -> str:
        if char.isascii() and char.isalpha():
            return f"[{char}{chr(ord(char) + 0xFEE0)}]"
        half = _HALF_WIDTH.get(char)
        return f"(?:{re.escape(char)}|{re.escape(half)})" if half else re.escape(char)

    return "".join(either(char) for char in word)


def _half_width_forms() -> dict:
    """Each katakana (and Japanese mark) with its half-width spelling, a voiced one as its base and its mark."""
    single = {unicodedata.normalize("NFKC", chr(code)): chr(code) for code in range(0xFF61, 0xFFA0)}
    forms = dict(single)
    for code in range(0x30A1, 0x30FB):
        base, *mark = unicodedata.normalize("NFD", chr(code))
        if mark and base in single and mark[0] in single:
            forms[chr(code)] = single[base] + single[mark[0]]
    return {char: half for char, half in forms.items() if len(char) == 1}


_HALF_WIDTH = _half_width_forms()


def _between(word: str, following: str) -> str:
    unspaced = re.match(_UNSPACED_CHAR, word[-1:]) or re.match(_UNSPACED_CHAR, following[:1])
    return r"[^\w]*" if unspaced else r"[^\w]+"


def unmatched_phrases(texts, leave_out) -> list:
    """The phrases of ``leave_out`` (``DiscoveryConfig.leave_out``) that no text holds: mistyped, or not in this
    table; said, since leaving nothing out is otherwise silent."""
    texts = list(texts)
    # an emoji's name is left out where it is read: the texts holding emoji, as read, are searched too
    texts += [spelled for text, spelled in zip(texts, emoji_spelled_out(texts)) if spelled != text]
    return [phrase for phrase in leave_out if (pattern := _given_pattern(given_phrases([phrase]))) is not None
            and not any(isinstance(text, str) and pattern.search(text) for text in texts)]


def texts_as_read(texts, phrases: frozenset) -> list:
    """What the model, the words and the keywords read of ``texts``: the boilerplate ``phrases`` taken out
    (``without_boilerplate``) and emoji spelled out as their names (``spelled_out``)."""
    return spelled_out(without_boilerplate(texts, phrases), phrases)


def spelled_out(stripped, phrases: frozenset) -> list:
    """``stripped`` (texts ``without_boilerplate(..., phrases)``) with emoji spelled out as their names
    (``words.emoji_spelled_out``), and the phrases given to leave out taken out of those names too: the run
    advised leaving out "face with tears of joy", the words a candidate's texts shared as read, and leaving it out
    cut nothing, as no text holds those words as written (helper 102)."""
    spelled = emoji_spelled_out(stripped)
    given = frozenset(phrase for phrase in phrases if phrase[0] == GIVEN)
    if not given or spelled == list(stripped):
        return spelled
    return [again if before != after else after for before, after, again in
            zip(stripped, spelled, without_boilerplate(spelled, given))]


def without_boilerplate(texts, phrases: frozenset) -> list:
    """``texts`` with each stretch of ``MIN_STRETCH_WORDS`` or more words that the ``phrases`` cover taken out (a
    shorter one, such as "what can I do", is as likely the writer's own words), with the separators and
    punctuation left beside it, then the greetings and sign-offs among the ``phrases`` that open or close them
    (``_without_edges``: short, but set apart by a break at a text's very edge). A text that is boilerplate and
    nothing else (a ticket's header and signature around an empty body) is read as empty: it says nothing of its
    category, and the run treats it as an empty text (a guess, never accepted)."""
    if not phrases:
        return list(texts)
    given = frozenset(phrase for phrase in phrases if phrase[0] == GIVEN)
    if given:
        pattern = _given_pattern(given)
        cut = [_tidied(text, pattern) if isinstance(text, str) and pattern else text for text in texts]
        return without_boilerplate(cut, phrases - given)
    edges = frozenset(phrase for phrase in phrases if phrase[0] == START or phrase[-1] == END)
    if edges:
        return [_without_edges(text, edges) if isinstance(text, str) else text
                for text in without_boilerplate(texts, phrases - edges)]
    pairs = _anchor_pairs(phrases)
    out = []
    for text in texts:
        if not isinstance(text, str):
            out.append(text)
            continue
        words = _words(text)
        w = [word[0] for word in words]
        covered = np.zeros(len(words), dtype=bool)
        for i in range(len(words) - MIN_WORDS + 1):
            if tuple(w[i:i + MIN_WORDS]) in phrases:
                covered[i:i + MIN_WORDS] = True
        for i, a, k, phrase in _slotted(w, pairs) if pairs else ():
            if phrase in phrases:
                covered[i:i + a + k + 2] = True
        runs = [part for on, run in groupby(range(len(words)), key=covered.__getitem__) if on
                for part in _apart_at_content(text, words, list(run))]
        cuts = [(words[run[0]][1], words[run[-1]][2]) for run in runs if len(run) >= MIN_STRETCH_WORDS]
        if not cuts:
            out.append(text)
            continue
        bounds = [0, *(end for cut in cuts for end in cut), len(text)]
        pieces = [text[start:stop] for start, stop in zip(bounds[::2], bounds[1::2])]
        pieces[1:] = [piece.lstrip(_SEPARATORS) for piece in pieces[1:]]  # the separators a cut leaves behind it
        kept = [piece.strip() for piece in pieces if _WORD.search(piece) or _holds_emoji(piece)]
        out.append(" ".join(kept))
    return out


_CUT = "\x00"  # where a phrase was, while the marks it left are looked for
_STRAY_MARKS = re.compile(r"(?<=[.!?。！？…])(\s*)\x00[ \t]*[.!?;:,。！？…]+(?=\s|$)")


def _tidied(text: str, pattern: re.Pattern) -> str:
    """``text`` without the given phrases (``pattern``): the spaces a cut leaves on one line made one, the
    punctuation that ended a phrase left standing alone after a sentence's end gone ("Şifremi unuttum. ." read a
    stray mark: helper 99), and the separators it leaves at the text's start gone."""
    cut = pattern.sub(_CUT, text)
    if cut == text:
        return text
    cut = _STRAY_MARKS.sub(r"\1", cut).replace(_CUT, " ")
    cut = re.sub(r"[ \t]*\n[ \t]*", "\n", re.sub(r"[ \t]{2,}", " ", cut))  # no line left of a space alone
    return _LEADING_SEPARATORS.sub("", cut.strip())


def _anchor_pairs(phrases) -> set:
    """The word pairs before and after the slots of ``phrases`` (``_slotted`` looks for slots between them only)."""
    slot_phrases = [phrase for phrase in phrases if len(phrase) != MIN_WORDS]
    return {pair for phrase in slot_phrases for pair in (phrase[phrase.index(SLOT) - 2:phrase.index(SLOT)], phrase[-2:])}


def _holds_emoji(text: str) -> bool:
    return emoji_spelled_out([text])[0] != text


def _apart_at_content(text: str, words: list, run: list) -> list:
    """``run`` (positions of covered words in a row) split wherever an emoji stands between two of its words: an
    emoji body between a header and a signature is no word, but the ticket's all."""
    parts = [[run[0]]]
    for before, after in zip(run, run[1:]):
        if not _holds_emoji(text[words[before][2]:words[after][1]]):
            parts[-1].append(after)
        else:
            parts.append([after])
    return parts


def describe_boilerplate(texts, read: list, phrases: frozenset, as_read: list | None = None) -> dict:
    """How many texts lost words to the ``phrases`` (``read``: ``without_boilerplate(texts, phrases)``; ``as_read``:
    ``spelled_out(read, phrases)``, where a phrase given to leave out may cut an emoji's name), one of them as
    given and as read, and the phrases (the manifest's ``boilerplate``); empty when no text lost any."""
    changed = [i for i, (text, kept) in enumerate(zip(texts, read)) if isinstance(text, str) and kept != text]
    if as_read is not None and any(phrase[0] == GIVEN for phrase in phrases):
        named = set(changed) | {i for i, (spelled, cut) in enumerate(zip(emoji_spelled_out(read), as_read))
                                if spelled != cut}  # an emoji's name left out: a cut too
        if len(named) > len(changed):
            read = [cut if i in named and i not in changed else kept for i, (kept, cut) in enumerate(zip(read, as_read))]
            changed = sorted(named)
    if not changed:
        return {}
    example = next((i for i in changed if read[i]), changed[0])  # one with words of its own left, to show
    return {"texts": len(changed), "share": round(len(changed) / len(texts), 4),
            "example": texts[example][:300], "example_read_as": read[example][:300],
            "example_cut": left_out(texts[example], read[example]),
            "phrases": sorted(" ".join(gram) for gram in phrases)}


def left_out(text: str, read: str, limit: int = 3000) -> list:
    """The stretches of ``text`` (its first ``limit`` characters) that ``read`` left out, each on one line: what a
    warning shows was cut (the example's first words alone showed nothing where only a sign-off went)."""
    from difflib import SequenceMatcher

    text, read = text[:limit], read[:limit]
    steps = SequenceMatcher(None, text, read, autojunk=False).get_opcodes()
    return [" ".join(text[i:j].split()) for step, i, j, _, _ in steps
            if step in ("delete", "replace") and _WORD.search(text[i:j])]


def phrases_of(record: dict) -> frozenset:
    """The phrases a ``describe_boilerplate`` record lists, as ``without_boilerplate`` takes them."""
    return frozenset(tuple(phrase.split()) for phrase in record.get("phrases", ()))

"""How texts are cut into words in any script (``discovery/words.py``)."""

import re

import numpy as np

from discovery.fill import word_features
from discovery.summarize import class_tfidf_keywords
from discovery.words import KEYWORD, TOKEN, UnspacedTerms

HINDI_TELECOM_QUESTIONS = {  # a telecom's customers, two intents
    "recharge_failed": ["मेरा रिचार्ज नहीं हुआ", "रिचार्ज फेल हो गया पैसे कट गए", "रिचार्ज करने पर पैसे कटे पर रिचार्ज नहीं हुआ",
                        "मेरा रिचार्ज अटक गया है"],
    "no_network": ["मेरे फोन में नेटवर्क नहीं आ रहा", "नेटवर्क बार बार चला जाता है", "घर में नेटवर्क बिल्कुल नहीं है",
                   "कॉल करते समय नेटवर्क कट जाता है"],
}


def test_indic_words_keep_their_vowel_signs():
    """Python's \\w leaves out combining marks: 'मेरा रिचार्ज नहीं हुआ' was read as 'नह' and lone letters, and the
    keywords of a cluster of Hindi questions were fragments no reader knows ('नह रह', 'ट बह')."""
    assert KEYWORD.findall("मेरा रिचार्ज नहीं हुआ") == ["मेरा", "रिचार्ज", "नहीं", "हुआ"]
    assert TOKEN.findall("मेरा रिचार्ज नहीं हुआ") == ["मेरा", "रिचार्ज", "नहीं", "हुआ"]
    texts = [t for questions in HINDI_TELECOM_QUESTIONS.values() for t in questions]
    keywords = class_tfidf_keywords(texts, np.repeat([0, 1], 4))
    assert keywords[0][0] == "रिचार्ज" and keywords[1][0] == "नेटवर्क"  # recharge, network
    assert word_features(texts).shape[1] > 0


def test_words_of_other_scripts_are_cut_as_scikit_learn_cuts_them():
    """The patterns are scikit-learn's with combining marks added: text without them is read exactly as before,
    emoji too (the variation selector of ❤️ made an invisible word; the keycap of 1️⃣ joined the digit)."""
    alphabet = list("aZ0_'- .,é²½①") + ["\u0378", "\ud800", "❤\ufe0f", "1\ufe0f\u20e3", "☺\ufe0f", "😀", "\n"]
    rng = np.random.RandomState(0)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet, rng.randint(1, 30)))
        assert KEYWORD.findall(text) == re.findall(r"(?u)\b\w[\w'-]*\w\b|\b\w\b", text), text
        assert TOKEN.findall(text) == re.findall(r"(?u)\b\w\w+\b", text), text


def test_chinese_and_japanese_runs_are_read_as_words_not_sentences():
    terms = UnspacedTerms(KEYWORD, stop_words={"我", "的", "了"})
    assert terms("我的银行卡丢了") == ["的银", "银行", "行卡", "卡丢", "丢了"]  # 我的: two stop words
    assert terms("カードが届きません・ー card arrived") == ["カード", "届", "card", "arrived", "card arrived"]
    assert terms("人々が来た") == ["人々", "来"]  # 々 repeats the character before it


def test_emoji_are_read_as_their_names_and_other_texts_are_left_as_they_are():
    from discovery.words import emoji_spelled_out

    texts = ["💳❌ help", "🔒🔒 help", "holiday hours? 🎄🏦", "café au lait", "no emoji at all", None, ""]
    read = emoji_spelled_out(texts)
    assert read[:3] == ["credit card cross mark help", "locked locked help", "holiday hours? Christmas tree bank"]
    assert read[3:] == texts[3:] and all(a is b for a, b in zip(read[3:], texts[3:]))  # untouched, not copied
    # symbols shown as text by default stay typography; written as emoji (U+FE0F), a keycap, a skin tone: named
    assert emoji_spelled_out(["Visa® card", "iPhone™ ♥", "go ➡ there", "➡️ next", "1⃣ 🇫🇷 👍🏽"]) == [
        "Visa® card", "iPhone™ ♥", "go ➡ there", "right arrow next", "keycap 1 France thumbs up"]

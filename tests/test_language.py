"""The texts' languages, and the warning when an English-only model meets texts in other languages."""

import pandas as pd
import pytest

from discovery.language import (OTHER_LANGUAGE_SHARE_TO_WARN, check_languages, language_warning,
                                reads_english_only, stop_words_for)
from shared_paths import DEMO, ROOT

SPANISH_GERMAN = ROOT / "tests" / "data" / "banking_es_de.csv"


@pytest.fixture(scope="module")
def spanish_german():
    return pd.read_csv(SPANISH_GERMAN)


@pytest.fixture(scope="module")
def english():
    return pd.read_csv(DEMO, dtype=str, keep_default_na=False).text.tolist()


def test_each_language_is_found_in_its_share(spanish_german):
    check = check_languages(spanish_german.text.tolist())
    assert check.n_checked == len(spanish_german)
    assert check.shares == pytest.approx({"de": 0.5, "es": 0.5})
    assert check.english_share == 0.0 and check.other_share == 1.0
    assert check.describe() == "German 50%, Spanish 50%"
    spanish = check_languages(spanish_german.text[spanish_german.language == "es"].tolist())
    assert spanish.shares == {"es": 1.0}


def test_english_banking_questions_read_as_english_and_raise_no_warning(english):
    check = check_languages(english)
    assert check.n_checked == 2000  # a sample: the demo has 3,000 texts
    assert check.english_share >= 0.95
    assert language_warning(check, None) is None


def test_the_warning_names_the_languages_and_a_model_that_reads_them(spanish_german):
    warning = language_warning(check_languages(spanish_german.text.tolist()), None)
    assert warning.startswith("100% of the texts are not in English (German 50%, Spanish 50%; 40 texts checked)")
    assert "all-MiniLM-L6-v2 reads English only" in warning
    assert "paraphrase-multilingual-MiniLM-L12-v2" in warning and "--model" in warning


def test_only_english_only_models_are_warned_about(spanish_german):
    check = check_languages(spanish_german.text.tolist())
    assert language_warning(check, "models/all-mpnet-base-v2/") is not None
    assert language_warning(check, "sentence-transformers/multi-qa-MiniLM-L6-cos-v1") is not None
    assert language_warning(check, "sentence-transformers/paraphrase-MiniLM-L6-v2") is not None
    assert language_warning(check, "C:\\models\\All-MiniLM-L12-v2") is not None
    for model in ("tfidf", "paraphrase-multilingual-MiniLM-L12-v2", "paraphrase-xlm-r-multilingual-v1",
                  "/data/models/LaBSE"):
        assert language_warning(check, model) is None, model
    assert reads_english_only(None) and not reads_english_only("tfidf")


def test_a_few_texts_in_another_language_are_no_reason_to_warn(spanish_german, english):
    other = spanish_german.text.tolist()
    few = check_languages(english[:360] + other)  # 10% Spanish and German
    assert few.other_share < OTHER_LANGUAGE_SHARE_TO_WARN and language_warning(few, None) is None
    many = check_languages(english[:120] + other)  # 25%
    assert many.other_share >= OTHER_LANGUAGE_SHARE_TO_WARN
    assert language_warning(many, None).startswith("2")  # "25% of the texts ..." give or take a misread text


def test_a_fifth_exactly_is_warned_about(spanish_german, english):
    other = spanish_german.text.tolist()
    check = check_languages(english[:160] + other)
    assert check.n_checked == 200 and dict(check.counts)["en"] == 160  # every English banking question read as such
    assert check.other_share == OTHER_LANGUAGE_SHARE_TO_WARN and language_warning(check, None) is not None


def test_the_sample_is_bounded_and_the_same_for_a_seed(english):
    first = check_languages(english, sample_size=50, random_state=3)
    assert first.n_checked == 50 and first == check_languages(english, sample_size=50, random_state=3)


def test_texts_without_letters_are_not_checked():
    check = check_languages(["", "12 345", "---", "?!"])
    assert check.n_checked == 0 and check.other_share == 0.0 and language_warning(check, None) is None
    assert check_languages(["", "how do I top up my card?"]).n_checked == 1


def test_a_word_or_two_is_not_read_for_a_language_when_longer_texts_are_there(english):
    """Survey answers where 30% are non-answers: the identifier reads "N/A", "no", "x" as Arabic and "no comment",
    "None" as Italian, and a fully English table was said to be 22% in other languages (a helper's survey)."""
    non_answers = ["N/A", "no", "x", "NA", "no comment", "None", "none", "nope", "idk", "nil", "No comment"]
    answers = english[:700] + [non_answers[i % len(non_answers)] for i in range(300)]
    check = check_languages(answers)
    assert check.english_share > 0.95 and language_warning(check, None) is None, check.describe()
    assert check.n_checked == sum(len(text.split()) >= 3 for text in english[:700])
    assert check_languages(non_answers).n_checked == len(non_answers)  # no longer texts: the short ones are read
    # Chinese and Japanese are written without spaces: each character counts as a word, so they are read
    chinese = ["我的银行卡丢了怎么办", "为什么我的转账还没有到账", "我想修改我的密码", "汇率是多少",
               "我的卡被冻结了", "怎么给账户充值"] * 40
    check = check_languages(chinese + english[:60])
    assert check.shares.get("zh", 0) > 0.7 and language_warning(check, None) is not None, check.describe()


def test_the_stop_words_of_the_texts_languages_are_listed_for_keywords(spanish_german, english):
    words = stop_words_for(check_languages(spanish_german.text.tolist()))
    assert {"la", "en", "mi", "una", "ich", "die", "meine", "eine"} <= words
    assert not {"tarjeta", "pago", "karte", "zahlung", "überweisung"} & words
    assert stop_words_for(check_languages(english)) == frozenset() and stop_words_for(None) == frozenset()


def test_keywords_of_spanish_and_german_clusters_are_content_words_not_stop_words(spanish_german, tmp_path):
    from discovery.io import read_table
    from discovery.pipeline import DiscoveryConfig, run_discovery
    from discovery.result import merge_clusters
    from discovery.summarize import summarize_clusters

    frame = spanish_german[["text", "label"]].copy()
    frame.loc[frame.index % 2 == 1, "label"] = ""
    frame.to_csv(tmp_path / "tickets.csv", index=False)
    result = run_discovery(read_table(tmp_path / "tickets.csv"), DiscoveryConfig(model="tfidf", make_map=False))
    stop = stop_words_for(result.language)
    keywords = {word for words in result.clusters.keywords for keyword in words for word in keyword.split()}
    assert keywords and not keywords & stop
    assert {"tarjeta", "pago", "transferencia", "überweisung"} <= keywords
    merged = merge_clusters(result, list(result.clusters.index[:2]))  # keywords recomputed by a decision
    assert not {w for words in merged.clusters.keywords for k in words for w in k.split()} & stop
    clusters = result.rows.cluster_id.to_numpy()
    from_scratch = summarize_clusters(result.table.texts, result.embeddings, clusters, result.table.labels,
                                      result.table.codec, row_ids=result.table.row_ids, extra_stop_words=stop)
    assert from_scratch.keywords.tolist() == result.clusters.keywords.tolist()


def test_a_run_uses_the_check_its_caller_made_before_it_started(spanish_german, tmp_path):
    from discovery.io import read_table
    from discovery.pipeline import DiscoveryConfig, run_discovery

    frame = spanish_german[["text", "label"]].copy()
    frame.loc[frame.index % 2 == 1, "label"] = ""
    frame.to_csv(tmp_path / "tickets.csv", index=False)
    table = read_table(tmp_path / "tickets.csv")
    config = DiscoveryConfig(model="tfidf", make_map=False, random_state=3)
    before = check_languages(table.texts, random_state=config.random_state)
    given = run_discovery(table, config, language=before)
    assert given.language is before  # not checked a second time
    assert run_discovery(table, config).language == before  # the same check a run makes by itself
    assert given.clusters.keywords.tolist() == run_discovery(table, config).clusters.keywords.tolist()

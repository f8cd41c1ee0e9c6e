"""Every validation error: a clear message naming the file, and nothing built."""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

from bot.knowledge.compiler import build, compile_knowledge
from bot.knowledge.validation import KnowledgeError, KnowledgeValidationError

from .conftest import QUESTIONS, article_text

FIVE_QUESTIONS = ["q one", "q two", "q three", "q four", "q five"]


def errors_of(knowledge_dir: Path) -> List[KnowledgeError]:
    with pytest.raises(KnowledgeValidationError) as raised:
        compile_knowledge(knowledge_dir)
    return list(raised.value.errors)


def only_error(knowledge_dir: Path) -> KnowledgeError:
    errors = errors_of(knowledge_dir)
    assert len(errors) == 1, [str(error) for error in errors]
    return errors[0]


def test_the_fixture_is_valid(knowledge_dir):
    compiled = compile_knowledge(knowledge_dir)
    assert [item.article.id for item in compiled.articles] == [
        "returns_policy",
        "shipping",
        "shipping_costs",
    ]


def test_duplicate_id(knowledge_dir, write_article):
    path = write_article(
        "extra/shipping", topic="shipping", questions=[f"{q} again" for q in FIVE_QUESTIONS]
    )
    original = knowledge_dir / "articles" / "shipping.md"
    error = only_error(knowledge_dir)
    assert "duplicate id 'shipping'" in error.problem
    assert {error.path, Path(error.problem.split(": ")[1].split(" already")[0])} == {path, original}


def test_missing_answer(knowledge_dir, write_article):
    path = write_article("shipping_times", questions=FIVE_QUESTIONS, answer="   \n\n")
    error = only_error(knowledge_dir)
    assert error.path == path
    assert "missing answer" in error.problem


def test_too_few_questions(knowledge_dir, write_article):
    path = write_article("shipping_times", questions=FIVE_QUESTIONS[:4])
    error = only_error(knowledge_dir)
    assert error.path == path
    assert "too few questions: 4 given, at least 5 needed" in error.problem


def test_no_questions_at_all(knowledge_dir, write_article):
    path = write_article("shipping_times", questions=[])
    error = only_error(knowledge_dir)
    assert error.path == path
    assert "missing questions" in error.problem


def test_unknown_topic(knowledge_dir, write_article):
    path = write_article("warranty", topic="warranty", questions=FIVE_QUESTIONS)
    error = only_error(knowledge_dir)
    assert error.path == path
    assert "unknown topic 'warranty'" in error.problem
    assert "returns_policy, shipping" in error.problem


def test_id_not_starting_with_its_topic(knowledge_dir, write_article):
    path = write_article("delivery_costs", topic="shipping", questions=FIVE_QUESTIONS)
    error = only_error(knowledge_dir)
    assert error.path == path
    assert "id 'delivery_costs' must be the topic 'shipping' or start with 'shipping_'" in (
        error.problem
    )


def test_topic_prefix_must_end_at_an_underscore(knowledge_dir, write_article):
    write_article("shippingtimes", topic="shipping", questions=FIVE_QUESTIONS)
    assert "must be the topic 'shipping'" in only_error(knowledge_dir).problem


def test_question_shared_with_another_article_ignoring_case_and_spaces(
    knowledge_dir, write_article
):
    taken = QUESTIONS["shipping_costs"][0]
    path = write_article(
        "shipping_times",
        questions=[*FIVE_QUESTIONS[:4], "  " + taken.upper().replace(" ", "   ") + " "],
    )
    error = only_error(knowledge_dir)
    assert error.path == path
    assert "also a question of article 'shipping_costs'" in error.problem


def test_question_listed_twice_in_one_article(knowledge_dir, write_article):
    path = write_article("shipping_times", questions=[*FIVE_QUESTIONS, "Q  One"])
    error = only_error(knowledge_dir)
    assert error.path == path
    assert "listed twice" in error.problem


def test_missing_title(knowledge_dir, write_article):
    path = write_article("shipping_times", title=None, questions=FIVE_QUESTIONS)
    error = only_error(knowledge_dir)
    assert error.path == path
    assert "missing title" in error.problem


def test_empty_title(knowledge_dir, write_article):
    write_article("shipping_times", title='""', questions=FIVE_QUESTIONS)
    assert "missing title" in only_error(knowledge_dir).problem


def test_front_matter_must_open_the_file(knowledge_dir, write_article):
    text = article_text("shipping_times", questions=FIVE_QUESTIONS)
    path = write_article("shipping_times", text="Intro line\n" + text)
    error = only_error(knowledge_dir)
    assert error.path == path
    assert "malformed front matter" in error.problem
    assert "must start with a line containing only '---'" in error.problem


def test_front_matter_must_be_closed(knowledge_dir, write_article):
    text = article_text("shipping_times", questions=FIVE_QUESTIONS).replace("\n---\n", "\n", 1)
    write_article("shipping_times", text=text)
    assert "no closing '---'" in only_error(knowledge_dir).problem


def test_front_matter_must_be_a_mapping(knowledge_dir, write_article):
    write_article("shipping_times", text="---\n- just\n- a list\n---\nAnswer.\n")
    assert "expected 'field: value' lines" in only_error(knowledge_dir).problem


def test_invalid_yaml_names_the_line(knowledge_dir, write_article):
    path = write_article(
        "shipping_times",
        text="---\nid: shipping_times\ntitle: [unclosed\ntopic: shipping\n---\nAnswer.\n",
    )
    error = only_error(knowledge_dir)
    assert error.path == path
    assert error.problem.startswith("invalid YAML (line ")


def test_unknown_field(knowledge_dir, write_article):
    text = article_text("shipping_times", questions=FIVE_QUESTIONS).replace(
        "tags:", "question: oops\ntags:"
    )
    write_article("shipping_times", text=text)
    assert "unknown field(s) question" in only_error(knowledge_dir).problem


def test_file_name_must_match_id(knowledge_dir, write_article):
    write_article("shipping_time", text=article_text("shipping_times", questions=FIVE_QUESTIONS))
    assert "rename it to shipping_times.md" in only_error(knowledge_dir).problem


def test_missing_last_reviewed(knowledge_dir, write_article):
    path = write_article("shipping_times", questions=FIVE_QUESTIONS, last_reviewed=None)
    error = only_error(knowledge_dir)
    assert error.path == path
    assert "missing last_reviewed" in error.problem


@pytest.mark.parametrize(
    "value", ["2026-13-45", "2026-02-30", "soon", "2026-1-5", "2026-11-01T10:00"]
)
def test_invalid_last_reviewed(knowledge_dir, write_article, value):
    path = write_article("shipping_times", questions=FIVE_QUESTIONS, last_reviewed=value)
    error = only_error(knowledge_dir)
    assert error.path == path
    assert f"invalid last_reviewed '{value}'" in error.problem


def test_placeholder_that_does_not_resolve(knowledge_dir, write_article):
    path = write_article(
        "shipping_times",
        questions=FIVE_QUESTIONS,
        answer="Within {{ policies.shipping.zones.mars.max_days }} days.",
    )
    error = only_error(knowledge_dir)
    assert error.path == path
    assert "'policies.shipping.zones.mars.max_days' does not resolve" in error.problem
    assert "policies.shipping.zones has no 'mars'" in error.problem


def test_stray_brace_in_answer(knowledge_dir, write_article):
    write_article("shipping_times", questions=FIVE_QUESTIONS, answer="Use {code} at checkout.")
    assert "stray '{' or '}'" in only_error(knowledge_dir).problem


def test_question_with_entity_markup(knowledge_dir, write_article):
    write_article("shipping_times", questions=[*FIVE_QUESTIONS[:4], "ship to [Paris](city)"])
    assert "entity markup" in only_error(knowledge_dir).problem


def test_question_that_yaml_reads_as_a_mapping(knowledge_dir, write_article):
    write_article("shipping_times", questions=[*FIVE_QUESTIONS[:4], "Question: how long"])
    assert "question 5 is not text" in only_error(knowledge_dir).problem


def test_invalid_topics_file(knowledge_dir):
    (knowledge_dir / "topics.yml").write_text("topics: [shipping]\n", encoding="utf-8")
    error = only_error(knowledge_dir)
    assert error.path == knowledge_dir / "topics.yml"


def test_invalid_policies_file(knowledge_dir):
    policies = knowledge_dir / "policies.yml"
    policies.write_text(
        policies.read_text().replace('cutoff: "12:00"', "cutoff: 12:00"), encoding="utf-8"
    )
    error = only_error(knowledge_dir)
    assert error.path == policies
    assert "shipping.express.cutoff must be a quoted time" in error.problem


def test_no_articles(knowledge_dir):
    for path in (knowledge_dir / "articles").glob("*.md"):
        path.unlink()
    assert "no articles found" in only_error(knowledge_dir).problem


def test_every_problem_is_reported_at_once(knowledge_dir, write_article):
    write_article("shipping_times", questions=FIVE_QUESTIONS[:2])
    write_article("returns_policy_window", topic="returns_policy", title=None)
    write_article("delivery", topic="shipping", questions=FIVE_QUESTIONS[2:] + ["x", "y"])
    problems = [error.problem for error in errors_of(knowledge_dir)]
    assert len(problems) == 3
    assert any("too few questions" in problem for problem in problems)
    assert any("missing title" in problem for problem in problems)
    assert any("must be the topic 'shipping'" in problem for problem in problems)


def test_build_writes_nothing_when_invalid(knowledge_dir, write_article, outputs):
    training_data, index = outputs
    write_article("shipping_times", questions=FIVE_QUESTIONS[:1])
    with pytest.raises(KnowledgeValidationError):
        build(knowledge_dir, training_data, index)
    assert not training_data.exists()
    assert not index.exists()


def test_build_keeps_previous_output_when_invalid(knowledge_dir, write_article, outputs):
    training_data, index = outputs
    build(knowledge_dir, training_data, index)
    before = training_data.read_bytes(), index.read_bytes()
    write_article("shipping_times", questions=FIVE_QUESTIONS, answer="")
    with pytest.raises(KnowledgeValidationError):
        build(knowledge_dir, training_data, index)
    assert (training_data.read_bytes(), index.read_bytes()) == before


def test_error_message_names_file_and_problem(tmp_path):
    error = KnowledgeError(tmp_path / "articles" / "x.md", "missing title")
    assert str(error) == f"{tmp_path / 'articles' / 'x.md'}: missing title"
    assert error.describe(relative_to=tmp_path) == "articles/x.md: missing title"
    assert error.describe(relative_to=tmp_path / "elsewhere").endswith("x.md: missing title")

"""Building: reproducible output that Rasa reads, with answers filled in from policies."""

from __future__ import annotations

import json

import yaml
from rasa.shared.nlu.training_data.loading import load_data

from bot.knowledge.compiler import build
from bot.knowledge.outputs import HEADER

from .conftest import QUESTIONS


def responses(training_data) -> dict:
    return yaml.safe_load(training_data.read_text(encoding="utf-8"))["responses"]


def test_build_twice_gives_identical_bytes(knowledge_dir, outputs, tmp_path):
    training_data, index = outputs
    build(knowledge_dir, training_data, index)
    first = training_data.read_bytes(), index.read_bytes()
    again = tmp_path / "again"
    build(knowledge_dir, again / "faq.yml", again / "index.json")
    assert ((again / "faq.yml").read_bytes(), (again / "index.json").read_bytes()) == first


def test_output_does_not_depend_on_file_order(knowledge_dir, outputs, tmp_path):
    training_data, index = outputs
    build(knowledge_dir, training_data, index)
    articles = knowledge_dir / "articles"
    (articles / "nested").mkdir()
    (articles / "shipping.md").rename(articles / "nested" / "shipping.md")
    build(knowledge_dir, tmp_path / "faq.yml", tmp_path / "index.json")
    assert (tmp_path / "faq.yml").read_bytes() == training_data.read_bytes()


def test_hidden_files_are_not_articles(knowledge_dir, outputs, tmp_path):
    training_data, index = outputs
    build(knowledge_dir, training_data, index)
    (knowledge_dir / "articles" / ".#shipping.md").write_text("editor lock file")
    build(knowledge_dir, tmp_path / "faq.yml", tmp_path / "index.json")
    assert (tmp_path / "faq.yml").read_bytes() == training_data.read_bytes()


def test_rebuilding_unchanged_knowledge_leaves_files_untouched(knowledge_dir, outputs):
    training_data, index = outputs
    build(knowledge_dir, training_data, index)
    stamps = training_data.stat().st_mtime_ns, index.stat().st_mtime_ns
    build(knowledge_dir, training_data, index)
    assert (training_data.stat().st_mtime_ns, index.stat().st_mtime_ns) == stamps


def test_training_data_layout(knowledge_dir, outputs):
    training_data, index = outputs
    build(knowledge_dir, training_data, index)
    text = training_data.read_text(encoding="utf-8")
    assert text.startswith(HEADER)
    assert text.splitlines()[0].startswith("# Generated from knowledge/ by")
    assert "`python -m bot knowledge build`" in text.splitlines()[0]
    data = yaml.safe_load(text)
    assert data["version"] == "3.1"
    assert [item["intent"] for item in data["nlu"]] == [
        "faq/returns_policy",
        "faq/shipping",
        "faq/shipping_costs",
    ]
    assert data["nlu"][1]["examples"] == "".join(f"- {q}\n" for q in QUESTIONS["shipping"])
    assert list(data["responses"]) == [
        "utter_faq/returns_policy",
        "utter_faq/shipping",
        "utter_faq/shipping_costs",
    ]
    assert data["responses"]["utter_faq/shipping"][0]["metadata"] == {
        "title": "A title?",
        "topic": "shipping",
    }


def test_placeholders_are_rendered(knowledge_dir, outputs):
    training_data, index = outputs
    build(knowledge_dir, training_data, index)
    texts = {name: items[0]["text"] for name, items in responses(training_data).items()}
    assert texts["utter_faq/shipping"] == "We ship with An Post and DPD."
    assert texts["utter_faq/shipping_costs"] == "Delivery costs €4.95, free over €50."
    assert texts["utter_faq/returns_policy"] == "Return items within 30 days of delivery."


def test_multiline_markdown_answer_survives(knowledge_dir, write_article, outputs):
    answer = "Costs:\n\n- **Ireland:** {{ money(policies.shipping.zones.domestic.cost_cents) }}\n"
    answer += "- Abroad: see [shipping](/help/shipping)  \n\n    indented: yes"
    write_article(
        "shipping_times",
        questions=["how long", "delivery time", "how fast", "days to arrive", "when will it come"],
        answer=answer,
    )
    training_data, index = outputs
    build(knowledge_dir, training_data, index)
    assert responses(training_data)["utter_faq/shipping_times"][0]["text"] == (
        "Costs:\n\n- **Ireland:** €4.95\n- Abroad: see [shipping](/help/shipping)\n\n"
        "    indented: yes"
    )


def test_editing_an_article_changes_its_response(knowledge_dir, outputs):
    training_data, index = outputs
    build(knowledge_dir, training_data, index)
    before = training_data.read_bytes()
    article = knowledge_dir / "articles" / "shipping.md"
    article.write_text(
        article.read_text(encoding="utf-8").replace("We ship with", "Parcels travel with"),
        encoding="utf-8",
    )
    build(knowledge_dir, training_data, index)
    assert training_data.read_bytes() != before
    text = responses(training_data)["utter_faq/shipping"][0]["text"]
    assert text == "Parcels travel with An Post and DPD."
    entry = next(e for e in json.loads(index.read_text())["articles"] if e["id"] == "shipping")
    assert entry["answer"] == text


def test_editing_a_policy_changes_every_answer_that_quotes_it(knowledge_dir, outputs):
    training_data, index = outputs
    policies = knowledge_dir / "policies.yml"
    policies.write_text(
        policies.read_text().replace("window_days: 30", "window_days: 45"), encoding="utf-8"
    )
    build(knowledge_dir, training_data, index)
    assert responses(training_data)["utter_faq/returns_policy"][0]["text"] == (
        "Return items within 45 days of delivery."
    )


def test_index_holds_what_the_search_fallback_needs(knowledge_dir, outputs):
    training_data, index = outputs
    build(knowledge_dir, training_data, index)
    entries = json.loads(index.read_text(encoding="utf-8"))["articles"]
    assert [entry["id"] for entry in entries] == ["returns_policy", "shipping", "shipping_costs"]
    assert entries[2] == {
        "id": "shipping_costs",
        "title": "A title?",
        "topic": "shipping",
        "questions": QUESTIONS["shipping_costs"],
        "answer": "Delivery costs €4.95, free over €50.",
        "tags": ["test"],
        "last_reviewed": "2026-11-01",
    }


def test_rasa_reads_intents_and_responses(knowledge_dir, outputs):
    training_data, index = outputs
    build(knowledge_dir, training_data, index)
    data = load_data(str(training_data))
    assert data.retrieval_intents == {"faq"}
    assert set(data.responses) == {
        "utter_faq/returns_policy",
        "utter_faq/shipping",
        "utter_faq/shipping_costs",
    }
    assert len(data.intent_examples) == sum(len(questions) for questions in QUESTIONS.values())
    assert data.responses["utter_faq/shipping"][0]["text"] == "We ship with An Post and DPD."

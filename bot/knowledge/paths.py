"""Default locations of the knowledge base and of the files built from it."""

from __future__ import annotations

from pathlib import Path

from bot.settings import PROJECT_ROOT

KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"
TRAINING_DATA_PATH = PROJECT_ROOT / "data" / "nlu" / "faq.generated.yml"
INDEX_PATH = PROJECT_ROOT / "build" / "knowledge" / "index.json"
REPORT_CSV_PATH = PROJECT_ROOT / "results" / "knowledge_report.csv"

TOPICS_FILE = "topics.yml"
POLICIES_FILE = "policies.yml"
ARTICLES_DIR = "articles"


def topics_path(knowledge_dir: Path) -> Path:
    """Returns the topics file of a knowledge directory."""
    return knowledge_dir / TOPICS_FILE


def policies_path(knowledge_dir: Path) -> Path:
    """Returns the policies file of a knowledge directory."""
    return knowledge_dir / POLICIES_FILE


def articles_dir(knowledge_dir: Path) -> Path:
    """Returns the directory holding the article files of a knowledge directory."""
    return knowledge_dir / ARTICLES_DIR

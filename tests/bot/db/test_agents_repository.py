from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from bot.db.models import AgentRole
from bot.db.repositories.agents import (
    AgentExistsError,
    InvalidAgentNameError,
    create_agent,
    find_agent_by_name,
    get_active_agent,
    list_agents,
)


def test_create_and_find_by_name_in_any_case(db_session: Session) -> None:
    ada = create_agent(db_session, "  Ada   Lovelace ", "scrypt$h", AgentRole.ADMIN)
    assert (ada.name, ada.role, ada.active) == ("Ada Lovelace", AgentRole.ADMIN, True)
    assert find_agent_by_name(db_session, "ada lovelace") is ada
    assert find_agent_by_name(db_session, "Ada") is None
    assert find_agent_by_name(db_session, "  ") is None


def test_names_are_unique_regardless_of_case(db_session: Session) -> None:
    create_agent(db_session, "Sam", "scrypt$h")
    with pytest.raises(AgentExistsError, match="already exists"):
        create_agent(db_session, "SAM", "scrypt$h")


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_names_must_be_present_and_short(db_session: Session, name: str) -> None:
    with pytest.raises(InvalidAgentNameError):
        create_agent(db_session, name, "scrypt$h")


def test_inactive_agents_are_left_out(db_session: Session) -> None:
    sam = create_agent(db_session, "Sam", "scrypt$h")
    priya = create_agent(db_session, "priya", "scrypt$h")
    ada = create_agent(db_session, "Ada", "scrypt$h", AgentRole.ADMIN)
    sam.active = False
    db_session.flush()
    assert [a.name for a in list_agents(db_session)] == ["Ada", "priya"]
    assert [a.name for a in list_agents(db_session, include_inactive=True)] == [
        "Ada",
        "priya",
        "Sam",
    ]
    assert get_active_agent(db_session, sam.id) is None
    assert get_active_agent(db_session, ada.id) is ada
    assert get_active_agent(db_session, priya.id + 100) is None

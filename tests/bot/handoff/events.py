"""Builders for tracker events as the action server receives them."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

_clock = [1_764_590_400.0]  # 2025-12-01 12:00 UTC


def _tick() -> float:
    _clock[0] += 5
    return _clock[0]


def user(
    text: str,
    intent: str,
    *,
    score: Optional[float] = None,
    label: Optional[str] = None,
    entities: Optional[List[Dict[str, Any]]] = None,
    channel: Optional[str] = "rest",
    timestamp: Optional[float] = None,
) -> Dict[str, Any]:
    parse_data: Dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
    }
    if score is not None:
        parse_data["sentiment"] = {"score": score, "label": label or "neutral"}
    return {
        "event": "user",
        "text": text,
        "parse_data": parse_data,
        "input_channel": channel,
        "timestamp": timestamp if timestamp is not None else _tick(),
    }


def bot(text: str, buttons: Optional[List[Dict[str, str]]] = None) -> Dict[str, Any]:
    return {"event": "bot", "text": text, "data": {"buttons": buttons}, "timestamp": _tick()}


def action(name: str) -> Dict[str, Any]:
    return {"event": "action", "name": name, "timestamp": _tick()}


def fallback(text: str = "blorp wibble") -> Dict[str, Any]:
    return user(text, "nlu_fallback")


def pause() -> Dict[str, Any]:
    return {"event": "pause", "timestamp": _tick()}


def resume() -> Dict[str, Any]:
    return {"event": "resume", "timestamp": _tick()}

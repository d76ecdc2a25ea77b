"""The tests' fault points: one that is asked for by a name no code passes, or without a count, is an error
rather than a kill that silently never comes."""

from __future__ import annotations

import pytest

from dailypapers.errors import BadSetting
from dailypapers.faults import FAULT_ENV, SENDING_RECORDED, fault_point


@pytest.mark.parametrize("armed", ["sending-recorde:1", f"{SENDING_RECORDED}:", f"{SENDING_RECORDED}:ninth"])
def test_a_fault_asked_for_wrongly_is_an_error(monkeypatch, armed):
    monkeypatch.setenv(FAULT_ENV, armed)
    with pytest.raises(BadSetting, match=FAULT_ENV):
        fault_point(SENDING_RECORDED)


def test_a_point_passes_quietly_when_another_is_armed(monkeypatch):
    monkeypatch.setenv(FAULT_ENV, "vectors-saved:1")
    fault_point(SENDING_RECORDED)  # still alive

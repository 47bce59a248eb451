"""The one Settings object read from the environment as an operator writes it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from service.settings import Settings


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("10.0.0.5,10.0.0.6", ["10.0.0.5", "10.0.0.6"]),
        (" 10.0.0.5 , 10.0.0.6 ", ["10.0.0.5", "10.0.0.6"]),
        ('["10.0.0.5", "10.0.0.6"]', ["10.0.0.5", "10.0.0.6"]),
        ("10.0.0.5", ["10.0.0.5"]),
        ("", []),
    ],
)
def test_settings_trusted_proxies_accept_plain_lists(
    monkeypatch: pytest.MonkeyPatch, written: str, read: list[str]
) -> None:
    monkeypatch.setenv("BRIEFING_QA_TRUSTED_PROXIES", written)
    assert Settings().trusted_proxies == read


def test_settings_trusted_proxies_broken_json_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFING_QA_TRUSTED_PROXIES", '["10.0.0.5"')
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings()

"""The OpenAI-compatible endpoint, driven by the official ``openai`` client over real HTTP."""

from __future__ import annotations

import httpx
import openai
import pytest

VOTES = "How many votes did Nazarbayev get in the 2011 presidential election?"


@pytest.fixture(scope="module")
def llm(live_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live_url}/v1", api_key="not-needed", max_retries=0)


def test_openai_lists_the_model(llm: openai.OpenAI) -> None:
    assert [m.id for m in llm.models.list()] == ["briefing-qa"]


def test_openai_chat_gets_a_cited_answer_with_links(llm: openai.OpenAI, live_url: str) -> None:
    reply = llm.chat.completions.create(
        model="briefing-qa",
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": VOTES}],
        temperature=0.2,
    )
    content = reply.choices[0].message.content or ""
    assert "95.55" in content and "[1]" in content
    assert "Sources:\n[1] Kazakhstan: human rights situation" in content
    assert f"{live_url}/documents/kazakhstan-human-rights-situation?start=" in content
    extra = reply.model_extra or {}
    assert extra["answered"] is True
    assert extra["citations"][0]["url"].startswith(live_url + "/documents/")
    assert reply.choices[0].finish_reason == "stop"


def test_openai_stream_sends_the_same_answer_in_chunks(llm: openai.OpenAI) -> None:
    whole = llm.chat.completions.create(
        model="briefing-qa", messages=[{"role": "user", "content": VOTES}]
    )
    stream = llm.chat.completions.create(
        model="briefing-qa", messages=[{"role": "user", "content": VOTES}], stream=True
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(chunks) > 3
    assert text == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert (chunks[-1].model_extra or {})["citations"]


def test_openai_stream_ends_with_done(live_url: str) -> None:
    body = {
        "model": "briefing-qa",
        "stream": True,
        "messages": [{"role": "user", "content": VOTES}],
    }
    lines = httpx.post(f"{live_url}/v1/chat/completions", json=body, timeout=30).text.splitlines()
    events = [line for line in lines if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]"


def test_openai_follow_up_across_three_turns(llm: openai.OpenAI) -> None:
    messages: list[dict[str, str]] = []
    answers = []
    for question in (
        "What happened in Zhanaozen in December 2011?",
        "Was anyone prosecuted afterwards?",
        "And how long did the opposition leader get?",
    ):
        messages.append({"role": "user", "content": question})
        reply = llm.chat.completions.create(model="briefing-qa", messages=messages)  # type: ignore[arg-type]
        content = reply.choices[0].message.content or ""
        answers.append(content)
        messages.append({"role": "assistant", "content": content})
    assert "seven and a half years" in answers[2], answers


def test_openai_refusal_is_a_normal_message(llm: openai.OpenAI) -> None:
    reply = llm.chat.completions.create(
        model="briefing-qa",
        messages=[{"role": "user", "content": "How do I apply for a tourist visa to Kazakhstan?"}],
    )
    content = reply.choices[0].message.content or ""
    assert "does not answer this" in content and "Sources" not in content
    assert (reply.model_extra or {})["answered"] is False


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"model": "briefing-qa", "messages": []}, 400, "messages"),
        ({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}, 404, None),
        (
            {"model": "briefing-qa", "messages": [{"role": "assistant", "content": "hi"}]},
            400,
            "messages",
        ),
        ({"model": "briefing-qa", "messages": [{"role": "user", "content": " "}]}, 400, "question"),
        (
            {"messages": [{"role": "user", "content": "hi"}], "documents": ["nope"]},
            400,
            "documents",
        ),
    ],
)
def test_openai_errors_use_openai_shape(
    live_url: str, body: dict[str, object], status: int, param: str | None
) -> None:
    response = httpx.post(f"{live_url}/v1/chat/completions", json=body, timeout=30)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["message"] and error["type"] == "invalid_request_error"
    assert error["param"] == param


def test_openai_client_raises_its_own_error_for_a_bad_request(llm: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        llm.chat.completions.create(model="briefing-qa", messages=[])
    assert "messages" in str(raised.value)


def test_openai_malformed_body_is_a_400(live_url: str) -> None:
    for raw in (b"{", b"[" * 5000, b"\xff\xfe"):
        response = httpx.post(f"{live_url}/v1/chat/completions", content=raw, timeout=30)
        assert response.status_code == 400, raw[:10]
        assert "error" in response.json()

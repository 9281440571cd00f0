"""Properties of the 0 -> 1 step on random legacy files: it never crashes, never
leaves a key in the text, hands every key back for the keyring, gives valid
unique ids, keeps every name, and a second upgrade changes nothing."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provreg.config.edit.migrations import upgrade_text
from provreg.config.read.reading import CURRENT_VERSION, detect_version
from provreg.model import ID_RE

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    lambda s: s.strip()
)
keys = st.from_regex(r"sk-HYP[A-Za-z0-9]{12}", fullmatch=True)
entries = st.fixed_dictionaries(
    {"customName": names, "provider": st.sampled_from(["openai", "anthropic", "groq", "ollama"])},
    optional={
        "apiKey": keys,
        "baseUrl": st.sampled_from(["https://api.example.com/v1", "http://localhost:8080"]),
        "useAuthHeader": st.booleans(),
        "id": st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True),
    },
)
documents = st.tuples(
    st.lists(entries, min_size=1, max_size=5, unique_by=lambda e: e.get("id")),
    st.booleans(),  # a top-level list, or under `providers:`
    st.booleans(),  # CRLF
    st.booleans(),  # a comment at the top and after each entry
)


def render(doc: tuple[list[dict[str, Any]], bool, bool, bool]) -> str:
    items, top_level, crlf, comments = doc
    body = yaml.safe_dump(items if top_level else {"providers": items}, sort_keys=False)
    if comments:
        body = "# exported by the old app\n" + body.replace("\n- ", "\n# next entry\n- ").replace(
            "\n  - ", "\n  # next entry\n  - "
        )
    return body.replace("\n", "\r\n") if crlf else body


@SETTINGS
@given(documents)
def test_upgrade_keeps_everything_but_the_keys(
    doc: tuple[list[dict[str, Any]], bool, bool, bool],
) -> None:
    items = doc[0]
    text = render(doc)
    upgraded, result = upgrade_text(text)

    for item in items:
        if "apiKey" in item:
            assert item["apiKey"] not in upgraded
    assert sorted(s[2] for s in result.secrets) == sorted(
        i["apiKey"] for i in items if "apiKey" in i
    )

    value = yaml.safe_load(upgraded)
    assert detect_version(value) == CURRENT_VERSION == value["version"]
    providers = value["providers"]
    assert [p["name"] for p in providers] == [i["customName"] for i in items]
    ids = [p["id"] for p in providers]
    assert len(set(ids)) == len(ids) and all(ID_RE.fullmatch(i) for i in ids)
    assert {s[0] for s in result.secrets} <= set(ids)
    assert not any(key in p for p in providers for key in ("customName", "apiKey", "baseUrl"))
    assert ("\r\n" in upgraded) is doc[2]
    if doc[3]:
        assert upgraded.count("# next entry") == text.count("# next entry")
        assert "# exported by the old app" in upgraded

    again, second = upgrade_text(upgraded)
    assert again == upgraded and not second.secrets

"""Sanity checks for the demo agency data shipped in ``vellarys.demo``."""

import json
from importlib import resources
from pathlib import Path
from typing import Any

DATA = resources.files("vellarys.demo").joinpath("data")
QUESTIONS = Path(__file__).resolve().parent.parent / "bench" / "data" / "knowledge_questions.json"

PROPERTY_TYPES = {"apartment", "house", "condo_house", "studio", "commercial", "land"}
TRANSACTIONS = {"sale", "rent"}
INT_KEYS = ("price", "iptu", "bedrooms", "suites", "bathrooms", "parking", "area_m2")
STR_KEYS = ("code", "title", "neighborhood", "city", "state", "address", "description")
PROPERTY_KEYS = {
    *INT_KEYS,
    *STR_KEYS,
    "property_type",
    "transaction",
    "condo_fee",
    "features",
    "photos",
    "available",
}


def _load(name: str) -> Any:
    return json.loads(DATA.joinpath(name).read_text(encoding="utf-8"))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _knowledge_docs() -> dict[str, str]:
    folder = DATA.joinpath("knowledge")
    return {
        doc.name: doc.read_text(encoding="utf-8")
        for doc in folder.iterdir()
        if doc.name.endswith(".md")
    }


def test_property_count_and_unique_codes() -> None:
    properties = _load("properties.json")
    assert 55 <= len(properties) <= 65
    codes = [p["code"] for p in properties]
    assert len(codes) == len(set(codes))


def test_property_fields() -> None:
    for prop in _load("properties.json"):
        code = prop.get("code")
        assert set(prop) == PROPERTY_KEYS, code
        for key in INT_KEYS:
            assert _is_int(prop[key]) and prop[key] >= 0, (code, key)
        for key in STR_KEYS:
            assert isinstance(prop[key], str) and prop[key].strip(), (code, key)
        assert prop["condo_fee"] is None or _is_int(prop["condo_fee"]), code
        assert prop["property_type"] in PROPERTY_TYPES, code
        assert prop["transaction"] in TRANSACTIONS, code
        assert prop["state"] == "SP", code
        assert isinstance(prop["available"], bool), code
        assert prop["features"] and all(isinstance(f, str) and f for f in prop["features"]), code
        assert 1 <= len(prop["photos"]) <= 3, code
        assert all(url.startswith("https://") for url in prop["photos"]), code
        assert prop["suites"] <= prop["bedrooms"], code
        assert prop["area_m2"] > 0, code


def test_prices_are_plausible() -> None:
    for prop in _load("properties.json"):
        if prop["transaction"] == "sale":
            assert prop["price"] > 100_000, prop["code"]
        else:
            assert 500 <= prop["price"] < 50_000, prop["code"]


def test_mix_of_neighborhoods_and_transactions() -> None:
    properties = _load("properties.json")
    assert len({p["neighborhood"] for p in properties}) >= 8
    transactions = {p["transaction"] for p in properties}
    assert transactions == TRANSACTIONS
    assert {p["property_type"] for p in properties} == PROPERTY_TYPES


def test_knowledge_documents() -> None:
    docs = _knowledge_docs()
    assert len(docs) >= 12
    for name, text in docs.items():
        assert name.isascii(), name
        assert text.startswith("# "), name


def test_questions_point_to_existing_documents() -> None:
    docs = _knowledge_docs()
    questions = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    assert len(questions) >= 45
    for item in questions:
        assert item["question"].strip()
        # null: a question no document answers (calibrates the knowledge threshold)
        assert item["document"] is None or item["document"] in docs, item


def test_agency_users() -> None:
    agency = _load("agency.json")
    assert agency["slug"] == "demo"
    assert agency["settings"]["timezone"] == "America/Sao_Paulo"
    users = agency["users"]
    admins = [u for u in users if u["role"] == "admin"]
    brokers = [u for u in users if u["role"] == "broker"]
    assert len(admins) == 1
    assert len(brokers) == 2
    assert admins[0]["email"] == "admin@demo.local"
    assert admins[0]["password"] == "vellarys-demo"
    for broker in brokers:
        assert broker["phone"].startswith("+55")
        assert broker["areas"]["neighborhoods"]

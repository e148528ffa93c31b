"""Identifiers in free text: examples per kind, and the quality on the labelled narratives."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from palermo.intake.extraction_quality import LABELLED_SET, evaluate, format_table, load_labelled
from palermo.intake.identifiers import extract
from palermo.intake.money import parse_amount

DATA = Path(__file__).resolve().parent / "data"


def found(text: str, region: str = "MD") -> list[tuple[str, str, str]]:
    return [(f.kind, text[f.start : f.end], f.value) for f in extract(text, region=region)]


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("Sună la 0 69 123 456 sau +373 69 123456.", "MD", ["+37369123456", "+37369123456"]),
        ("Дзвоніть 067 123 4567 або (067) 123-45-67", "UA", ["+380671234567"] * 2),
        ("Ukrainian number 067 123 4567 to our line", "MD", ["+380671234567"]),
        ("फोन 9841234567 वा ९८४१२३४५६७ मा", "NP", ["+9779841234567"] * 2),
        ("Llame al 00373 69 123 456", "CO", ["+37369123456"]),
        ("wa.me/37369123456", "MD", ["+37369123456"]),
    ],
)
def test_phones_in_local_and_international_forms(
    text: str, region: str, expected: list[str]
) -> None:
    assert [v for k, _t, v in found(text, region) if k == "phone"] == expected


def test_dates_times_amounts_and_ids_are_not_phones() -> None:
    text = "Pe 05.11.2025 la 14:30, pașaport AB1234567, card 4111 1111 1111 1111, 15 000 lei."
    assert [k for k, _t, _v in found(text)] == ["money"]


def test_emails_urls_and_handles_are_normalised() -> None:
    text = (
        "Scrie la Ion.Pop@Mail.RU sau ion [at] gmail.com; "
        "site https://Jobs.Example.COM:443/x?a=1#f "
        "și jobs-abroad.md/vacante, Telegram @Ionel_Recrutor, t.me/rabota_pl, "
        "https://www.facebook.com/profile.php?id=100012345678, tiktok.com/@dream.work"
    )
    assert found(text) == [
        ("email", "Ion.Pop@Mail.RU", "ion.pop@mail.ru"),
        ("email", "ion [at] gmail.com", "ion@gmail.com"),
        ("url", "https://Jobs.Example.COM:443/x?a=1#f", "https://jobs.example.com/x?a=1"),
        ("url", "jobs-abroad.md/vacante", "http://jobs-abroad.md/vacante"),
        ("social", "@Ionel_Recrutor", "telegram:ionel_recrutor"),
        ("social", "t.me/rabota_pl", "telegram:rabota_pl"),
        (
            "social",
            "https://www.facebook.com/profile.php?id=100012345678",
            "facebook:100012345678",
        ),
        ("social", "tiktok.com/@dream.work", "tiktok:dream.work"),
    ]


@pytest.mark.parametrize(
    ("text", "region", "value"),
    [
        ("a cerut 500 €", "MD", "500 EUR"),
        ("€1.200,50 avans", "MD", "1200.50 EUR"),
        ("заплатили 15 000 грн", "UA", "15000 UAH"),
        ("2 mii lei", "MD", "2000 MDL"),
        ("2 mii lei", "RO", "2000 RON"),
        ("रु 1,50,000 तिरे", "NP", "150000 NPR"),
        ("Rs. 20,000", "PK", "20000 PKR"),
        ("₱15,000 fee", "PH", "15000 PHP"),
        ("15.000.000 ₫", "VN", "15000000 VND"),
        ("R 5000 for transport", "ZA", "5000 ZAR"),
        ("$ 500.000", "CO", "500000 COP"),
        ("US$ 300", "BR", "300 USD"),
        ("5 тис. грн", "UA", "5000 UAH"),
    ],
)
def test_money_with_its_currency(text: str, region: str, value: str) -> None:
    assert [v for k, _t, v in found(text, region) if k == "money"] == [value]


def test_amounts_are_read_as_people_write_them() -> None:
    assert str(parse_amount("1 200")) == "1200"
    assert str(parse_amount("1.200,50")) == "1200.50"
    assert str(parse_amount("1,50,000")) == "150000"
    assert str(parse_amount("12,5")) == "12.5"


@pytest.mark.parametrize(
    ("text", "region", "value", "country"),
    [
        ("microbuzul ABC 123 a plecat", "MD", "ABC123", "MD"),
        ("автобус ВН 1234 АК", "UA", "BH1234AK", "UA"),
        ("mașina B 123 XYZ din București", "RO", "B123XYZ", "RO"),
        ("машина А123ВС 77", "MD", "A123BC77", "RU"),
        ("गाडी बा २ प १२३४ थियो", "NP", "बा2प1234", "NP"),
        ("xe biển số 29A-123.45", "VN", "29A12345", "VN"),
        ("numarul masinii abc 123", "MD", "ABC123", "MD"),
    ],
)
def test_plates_per_country(text: str, region: str, value: str, country: str) -> None:
    plates = [f for f in extract(text, region=region) if f.kind == "plate"]
    assert [(p.value, p.country) for p in plates] == [(value, country)]


def test_lower_case_words_and_numbers_are_not_plates() -> None:
    assert [f.kind for f in extract("din 2024 am lucrat, are 100 de oi", region="MD")] == []


@pytest.mark.parametrize(
    ("text", "region", "geonames_id"),
    [
        ("a plecat din Chișinău ieri", "MD", 618426),
        ("a plecat din Chisinau ieri", "MD", 618426),
        ("доїхали до Одеси", "UA", 698740),
        ("живе у Львові", "UA", 702550),
        ("вона в Києві", "UA", 703448),
        ("फसेकी छिन् काठमाडौं मा", "NP", 1283240),
        ("trabaja en Madrid", "CO", 3117735),
        ("works in Benin City now", "NG", 2347283),
    ],
)
def test_places_from_the_offline_gazetteer(text: str, region: str, geonames_id: int) -> None:
    places = [f for f in extract(text, region=region) if f.kind == "place"]
    assert [p.value for p in places] == [f"geonames:{geonames_id}"]


def test_common_words_first_names_and_brands_are_not_places() -> None:
    text = "Police said Maria drove a Mercedes; Victoria and Elena stayed. Masina era neagră."
    assert [f for f in extract(text, region="MD") if f.kind == "place"] == []


def test_spans_point_into_the_text() -> None:
    text = "Zvonite 067 123 4567, olena@ukr.net, v Odesi"
    for item in extract(text, region="UA"):
        assert text[item.start : item.end] == item.text


def test_the_labelled_set_is_what_the_generator_writes(tmp_path: Path) -> None:
    """The committed JSONL is the generator's output: deterministic, at least 200 narratives
    in Cyrillic, Latin and Devanagari scripts."""
    script = DATA / "generate_narratives.py"
    spec = {"__name__": "generator", "__file__": str(script)}
    exec(compile(script.read_text(encoding="utf-8"), str(script), "exec"), spec)  # noqa: S102
    rows = spec["generate"]()
    committed = load_labelled()
    assert rows == committed
    assert len(committed) >= 200
    texts = " ".join(row["text"] for row in committed)
    assert any("\u0400" <= c <= "\u04ff" for c in texts)
    assert any("\u0900" <= c <= "\u097f" for c in texts)
    assert {row["language"] for row in committed} >= {
        "uk",
        "ru",
        "ro",
        "en",
        "es",
        "pt",
        "vi",
        "ne",
    }
    for row in committed:
        for entity in row["entities"]:
            assert 0 <= entity["start"] < entity["end"] <= len(row["text"])
    assert json.loads(LABELLED_SET.read_text(encoding="utf-8").splitlines()[0])["id"]


# Floors: phones and emails as the issue requires; the others where today's extractor stands,
# a little below, so that a regression shows.
FLOORS = {
    "phone": (0.95, 0.95),
    "email": (0.95, 0.95),
    "url": (0.90, 0.90),
    "social": (0.90, 0.90),
    "money": (0.90, 0.90),
    "plate": (0.90, 0.85),
    "place": (0.90, 0.85),
}


def test_extraction_quality_on_the_labelled_narratives() -> None:
    rows = load_labelled()
    scores, mistakes = evaluate(rows)
    print()  # shown with pytest -s
    print(format_table(scores, len(rows)))
    for kind, (precision, recall) in FLOORS.items():
        score = scores[kind]
        assert score.gold > 50, kind
        assert score.precision >= precision, (kind, score, mistakes)
        assert score.recall >= recall, (kind, score, mistakes)


def test_the_report_command_prints_the_table() -> None:
    out = io.StringIO()
    call_command("intake", "extraction-report", stdout=out)
    assert "precision" in out.getvalue() and "phone" in out.getvalue()

import pytest

from vellarys.domain.phone import normalize_phone, phone_variants


@pytest.mark.parametrize(
    "raw",
    [
        "+5541999998888",
        "5541999998888",
        "554199998888",  # how WhatsApp reports many older Brazilian mobiles
        "554199998888@s.whatsapp.net",
        "5541999998888@c.us",
        "5541999998888:17@s.whatsapp.net",  # a linked device of the same account
        "+55 (41) 99999-8888",
        "+55 41 9999-8888",
        "(41) 99999-8888",
        "41 99999 8888",
        "4199998888",
        "041 99999-8888",
        "0055 41 99999.8888",
        " +55\u00a041 99999-8888 ",
    ],
)
def test_every_form_of_a_brazilian_mobile_becomes_the_nine_digit_e164(raw: str) -> None:
    assert normalize_phone(raw) == "+5541999998888"


@pytest.mark.parametrize("first_digit", ["6", "7", "8", "9"])
def test_eight_digit_mobiles_get_the_ninth_digit(first_digit: str) -> None:
    assert normalize_phone(f"5511{first_digit}1234567") == f"+55119{first_digit}1234567"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("554133334444", "+554133334444"),  # landline: starts 2-5, no ninth digit
        ("(41) 3333-4444", "+554133334444"),
        ("+55 11 2345-6789", "+551123456789"),
        ("5599998888", "+5555999998888"),  # DDD 55 (Santa Maria), national form
    ],
)
def test_landlines_and_ddd_55_are_kept_apart_from_the_country_code(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("14155552671", "+14155552671"),  # a wa_id from the US: no plus, not Brazilian
        ("+1 (415) 555-2671", "+14155552671"),
        ("351912345678@s.whatsapp.net", "+351912345678"),
        ("+447911123456", "+447911123456"),
    ],
)
def test_foreign_numbers_are_kept_as_they_are(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


def test_a_national_number_takes_another_default_country() -> None:
    assert normalize_phone("912345678", default_country="351") == "+351912345678"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "abc",
        "+55 41 9999-888x",
        "1234",
        "+1234567890123456",  # 16 digits: longer than E.164 allows
        "120363025246125486@g.us",
        "81896604192873@lid",
        "status@broadcast",
        "5541899998888",  # eleven national digits must start with 9
        "550199998888",  # no DDD has a zero
        "554112345678",  # no Brazilian number starts with 1
        "++5541999998888",
        "٥٥٤١٩٩٩٩٩٨٨٨٨",  # non-ASCII digits
    ],
)
def test_garbage_raises_value_error(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_phone(raw)


def test_variants_of_a_brazilian_mobile_are_with_and_without_the_ninth_digit() -> None:
    assert phone_variants("+5541999998888") == ["+5541999998888", "+554199998888"]
    assert phone_variants("+554199998888") == ["+554199998888", "+5541999998888"]


def test_variants_of_other_numbers_are_the_number_itself() -> None:
    assert phone_variants("+554133334444") == ["+554133334444"]
    assert phone_variants("+14155552671") == ["+14155552671"]


def test_every_variant_normalizes_back_to_the_same_number() -> None:
    for variant in phone_variants("+5521987654321"):
        assert normalize_phone(variant) == "+5521987654321"

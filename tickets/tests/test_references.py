import pytest
from django.core import signing

from tickets.references import (
    ALPHABET,
    access_key_new,
    page_token,
    page_token_read,
    reference_legacy_id,
    reference_new,
    reference_normalize,
)


def test_new_reference_reads_aloud_in_two_groups_without_i_l_o_or_u():
    reference = reference_new()

    assert reference[:4] == "SEK-" and reference[8] == "-" and len(reference) == 13
    assert set(reference[4:].replace("-", "")) <= set(ALPHABET)
    assert not set("ILOU") & set(reference[4:])


def test_references_are_drawn_at_random():
    assert len({reference_new() for _ in range(1000)}) == 1000


@pytest.mark.parametrize(
    "heard",
    [
        lambda r: r.lower(),
        lambda r: r.replace("-", " "),
        lambda r: r.removeprefix("SEK-").replace("-", ""),
        lambda r: r.replace("0", "O").replace("1", "I"),
    ],
    ids=["lower-case", "spaces", "bare", "misread-letters"],
)
def test_reference_read_back_however_written_is_recognised(heard):
    for _ in range(50):
        reference = reference_new()
        assert reference_normalize(heard(reference)) == reference


def test_every_single_misheard_symbol_is_caught():
    reference = reference_new()
    symbols = reference[4:8] + reference[9:]

    accepted = [
        changed
        for index in range(len(symbols))
        for symbol in ALPHABET
        if symbol != symbols[index]
        and reference_normalize(changed := symbols[:index] + symbol + symbols[index + 1 :])
    ]

    assert accepted == []


def test_every_swap_of_two_neighbours_is_caught():
    for _ in range(200):
        symbols = reference_new().replace("SEK-", "").replace("-", "")
        for index in range(len(symbols) - 1):
            swapped = symbols[:index] + symbols[index + 1] + symbols[index] + symbols[index + 2 :]
            assert swapped == symbols or reference_normalize(swapped) is None


@pytest.mark.parametrize("text", ["", "SEK-", "SEK-7K4Q-2MX", "hallo verden", "SEK-000042"])
def test_text_that_is_no_reference_is_refused(text):
    assert reference_normalize(text) is None


def test_old_reference_names_the_ticket_id():
    assert [reference_legacy_id(t) for t in ["SEK-000042", "sek-42", "SEK-7K4Q-2MX9"]] == [
        42,
        42,
        None,
    ]


def test_page_token_reads_back_its_reference_and_key():
    reference, key = reference_new(), access_key_new()

    assert page_token_read(page_token(reference, key)) == (reference, key)


def test_page_key_is_32_random_bytes_in_url_safe_text():
    keys = {access_key_new() for _ in range(100)}

    assert len(keys) == 100
    assert all(len(key) == 43 and "." not in key for key in keys)


@pytest.mark.parametrize(
    "tampered",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: token.replace(token[4], "Z" if token[4] != "Z" else "Y", 1),
        lambda token: token.rsplit(".", 1)[0],
        lambda token: "",
    ],
    ids=["signature", "reference", "no-signature", "empty"],
)
def test_page_token_changed_anywhere_reads_as_none(tampered):
    token = page_token(reference_new(), access_key_new())

    assert page_token_read(tampered(token)) is None


def test_page_token_signed_for_another_purpose_reads_as_none():
    reference, key = reference_new(), access_key_new()
    other = signing.Signer(salt="tickets.reply-address", sep=".").sign(f"{reference}.{key}")

    assert page_token_read(other) is None

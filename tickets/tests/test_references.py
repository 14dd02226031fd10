import pytest

from tickets.references import (
    ALPHABET,
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

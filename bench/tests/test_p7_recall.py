"""P7b's arithmetic: reactions are timed from the recall's acknowledgement (never negative, the
first signal per service), and the total counts only recalls in which every service reacted."""

import pytest

from bench.__main__ import _arguments, _is_short
from bench.p7_recall import CATALOG_AND_SEARCH, EVERY, SIGNALS, reaction_ms, summarize
from bench.p7_recall_probe import DELISTED, DROPPED, Timed


def test_a_reaction_counts_from_the_acknowledgement_and_only_its_first_signal() -> None:
    timed = Timed(
        acked_ms=40.0,
        reactions=[
            ("product.recalled", 25.0),  # relayed before the POST's answer arrived
            ("inventory.stock_quarantined", 90.0),
            ("inventory.stock_changed", 95.0),  # not inventory's signal
            ("order.cancelled", 140.0),
            ("order.cancelled", 400.0),  # a second order: the first one counts
            (DELISTED, 70.0),
        ],
    )

    assert reaction_ms(timed) == {
        "product (the fact, relayed)": 0.0,
        "inventory": 50.0,
        "order": 100.0,
        "catalog": 30.0,
    }


def complete(**overrides: float) -> dict[str, float]:
    cascade = dict.fromkeys(SIGNALS.values(), 10.0)
    cascade.update({name.replace("_", " "): ms for name, ms in overrides.items()})
    return cascade


def test_the_total_is_the_last_reaction_of_each_recall_in_which_every_service_reacted() -> None:
    partial = complete(notification=900.0)
    del partial["payment"]

    rows = summarize([complete(order=300.0), complete(search=120.0, catalog=80.0), partial])

    assert rows[EVERY] == [300.0, 120.0]
    assert rows[CATALOG_AND_SEARCH] == [10.0, 120.0, 10.0]
    assert rows["payment"] == [10.0, 10.0]
    assert rows["notification"] == [10.0, 10.0, 900.0]


def test_a_poll_signal_names_its_service() -> None:
    assert (SIGNALS[DELISTED], SIGNALS[DROPPED]) == ("catalog", "search")


@pytest.mark.parametrize(("argv", "short"), [(["p7b"], False), (["P7b", "--recalls", "5"], True)])
def test_p7b_is_a_scenario_and_fewer_recalls_than_the_default_make_a_short_run(
    argv: list[str], short: bool
) -> None:
    args = _arguments(argv)

    assert args.scenarios == ["P7b"]
    assert _is_short(args) is short

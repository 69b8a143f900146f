"""The command line selects P5 like any other scenario and takes its size from --orders/--clients;
fewer orders than the default marks the run as short."""

from bench.__main__ import _arguments, _is_short


def test_p5_is_a_scenario_and_takes_its_orders_and_clients_from_the_command_line() -> None:
    args = _arguments(["p5", "--orders", "40", "--clients", "4"])

    assert (args.scenarios, args.orders, args.clients) == (["P5"], 40, 4)


def test_fewer_orders_than_the_default_make_a_short_run() -> None:
    assert not _is_short(_arguments(["P5"]))
    assert _is_short(_arguments(["P5", "--orders", "16"]))

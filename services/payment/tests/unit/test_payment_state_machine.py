"""The ledger's state machine as a table: (intent state, fact) → next state, call, event."""

from __future__ import annotations

import pytest

from bazaar_payment.domain import TRANSITIONS, Fact, Kind, State, Step, decide

S, F, K = State, Fact, Kind

TABLE = [
    # waiting for the order, its stock and its codes
    (S.OPEN, F.READY, Step(S.AUTHORIZING, request=K.AUTHORIZE)),
    (S.OPEN, F.REFUSED, Step(S.CANCELLED)),
    (S.OPEN, F.CANCELLED, Step(S.CANCELLED)),
    (S.OPEN, F.AUTHORIZED, Step(S.OPEN)),
    # the authorization's answer
    (S.AUTHORIZING, F.AUTHORIZED, Step(S.AUTHORIZED, request=K.CAPTURE, publish=F.AUTHORIZED)),
    (S.AUTHORIZING, F.DECLINED, Step(S.DECLINED, publish=F.DECLINED)),
    (S.AUTHORIZING, F.CANCELLED, Step(S.CANCELLING)),
    (S.AUTHORIZING, F.CAPTURED, Step(S.AUTHORIZING)),  # out of order: nothing
    (S.AUTHORIZING, F.READY, Step(S.AUTHORIZING)),  # never a second authorization
    (S.CANCELLING, F.AUTHORIZED, Step(S.VOIDING, request=K.VOID)),
    (S.CANCELLING, F.DECLINED, Step(S.CANCELLED)),
    # capture, and what a cancellation does at each point
    (S.AUTHORIZED, F.CAPTURED, Step(S.CAPTURED, publish=F.CAPTURED)),
    (S.AUTHORIZED, F.CANCELLED, Step(S.VOIDING, request=K.VOID)),
    (S.AUTHORIZED, F.AUTHORIZED, Step(S.AUTHORIZED)),  # a replayed webhook: nothing
    (S.CAPTURED, F.CANCELLED, Step(S.REFUNDING, request=K.REFUND)),
    (S.CAPTURED, F.CAPTURED, Step(S.CAPTURED)),
    (S.CAPTURED, F.AUTHORIZED, Step(S.CAPTURED)),  # late: nothing
    (S.CAPTURED, F.REFUSED, Step(S.CAPTURED)),  # the order cancels; payment waits for that
    (S.VOIDING, F.VOIDED, Step(S.VOIDED, publish=F.VOIDED)),
    (S.VOIDING, F.CAPTURED, Step(S.REFUNDING, request=K.REFUND)),
    (S.REFUNDING, F.REFUNDED, Step(S.REFUNDED, publish=F.REFUNDED)),
    (S.REFUNDING, F.CANCELLED, Step(S.REFUNDING)),
    # final states stay final, except that a charge on a cancelled intent is given back
    (S.CANCELLED, F.READY, Step(S.CANCELLED)),
    (S.CANCELLED, F.AUTHORIZED, Step(S.VOIDING, request=K.VOID)),
    (S.CANCELLED, F.CAPTURED, Step(S.REFUNDING, request=K.REFUND)),
    (S.DECLINED, F.CANCELLED, Step(S.DECLINED)),
    (S.DECLINED, F.AUTHORIZED, Step(S.DECLINED)),
    (S.VOIDED, F.CANCELLED, Step(S.VOIDED)),
    (S.REFUNDED, F.CANCELLED, Step(S.REFUNDED)),
    (S.REFUNDED, F.REFUNDED, Step(S.REFUNDED)),
]


@pytest.mark.parametrize(("state", "fact", "step"), TABLE, ids=[f"{s}+{f}" for s, f, _ in TABLE])
def test_each_fact_moves_the_intent_as_the_table_says(state: State, fact: Fact, step: Step) -> None:
    assert decide(state, fact) == step


def test_every_transition_of_the_machine_is_in_the_table() -> None:
    tabled = {(s, f) for s, f, _ in TABLE}
    assert set(TRANSITIONS) <= tabled


def test_money_moves_only_forward_and_each_kind_of_call_is_asked_from_one_state() -> None:
    asked: dict[Kind, set[State]] = {}
    for (state, _fact), step in TRANSITIONS.items():
        if step.request is not None:
            asked.setdefault(step.request, set()).add(state)
    assert asked[Kind.AUTHORIZE] == {State.OPEN}
    assert asked[Kind.CAPTURE] == {State.AUTHORIZING}

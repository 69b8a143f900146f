"""The per-request cost of identity assertions: the gateway signs one, the service verifies it.

Run `python -m bench.assertion_cost`. CPU time per operation (best of 5 rounds), next to bare
Ed25519 and to PyJWT decoding the same token, so the numbers mean something on a busy machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bazaar_chassis.caller import AssertionVerifier, Caller
from bazaar_platform.assertions import AssertionSigner

ROUNDS, N = 5, 3000
CALLER = Caller(
    subject="u1",
    kind="user",
    organization="public",
    roles=("customer",),
    email="alice@example.test",
    token_id="0" * 32,
    token_expires=2_000_000_000,
)
PATH, QUERY = "/catalog/1/categories/coffee/products", "limit=10"


def per_call_us(action: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(N):
            action()
        best = min(best, (time.process_time() - started) / N * 1e6)
    return best


def main() -> None:
    key = Ed25519PrivateKey.generate()
    signer = AssertionSigner(key, ttl_seconds=50)  # long enough for the whole measurement
    verifier = AssertionVerifier(key.public_key(), audience="catalog")

    def sign() -> str:
        return signer.assertion(CALLER, audience="catalog", method="GET", path=PATH, query=QUERY)

    verify_best = float("inf")
    for _ in range(ROUNDS):
        tokens = [sign() for _ in range(N)]
        started = time.process_time()
        for token in tokens:
            verifier.verify(token, method="GET", path=PATH, query=QUERY)
        verify_best = min(verify_best, (time.process_time() - started) / N * 1e6)
    token, public, message = sign(), key.public_key(), b"x" * 400
    signature = key.sign(message)
    bare_sign = per_call_us(lambda: key.sign(message))
    bare_verify = per_call_us(lambda: public.verify(signature, message))
    pyjwt = per_call_us(
        lambda: jwt.decode(
            token, public, algorithms=["EdDSA"], audience="catalog", options={"verify_exp": False}
        )
    )
    print(f"assertion sign              {per_call_us(sign):7.1f} us")
    print(f"assertion verify (+replay)  {verify_best:7.1f} us")
    print(f"bare Ed25519 sign           {bare_sign:7.1f} us")
    print(f"bare Ed25519 verify         {bare_verify:7.1f} us")
    print(f"PyJWT decode, same token    {pyjwt:7.1f} us")


if __name__ == "__main__":
    main()

"""The per-request cost of identity assertions: the gateway signs one, the service verifies it.

Run `python -m bench.assertion_cost`. CPU time per operation (best of 5 rounds), next to what
the assertions cost before ADR 9 (an Ed25519 signature through libsodium, which the gateway made
and each service checked) and to PyJWT decoding the same token, in the same run. Last, the
wall time of the two calls per request that used to release the GIL (HMAC through
`hmac.digest`, 16 bytes from `os.urandom`) and of what replaced them, while another thread
wants the GIL, as aiosqlite's and the span exporter's do: a call that lets go of the GIL waits
for that thread's turn.
"""

from __future__ import annotations

import hmac
import os
import random
import secrets
import threading
import time
from collections.abc import Callable

import jwt
from nacl.signing import SigningKey

from bazaar_chassis.caller import HS256, AssertionVerifier, Caller, assertion_key
from bazaar_platform.assertions import AssertionSigner, service_key

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


def wall_us_beside_a_busy_thread(action: Callable[[], object], calls: int = 500) -> float:
    stop = threading.Event()

    def busy() -> None:  # pure Python, as a thread turning rows into objects
        while not stop.is_set():
            sum(range(100))

    thread = threading.Thread(target=busy)
    thread.start()
    try:
        started = time.perf_counter()
        for _ in range(calls):
            action()
        return (time.perf_counter() - started) / calls * 1e6
    finally:
        stop.set()
        thread.join()


def main() -> None:
    secret = secrets.token_urlsafe(32).encode()
    signer = AssertionSigner(secret, ttl_seconds=50)  # long enough for the whole measurement
    key = assertion_key(service_key(secret, "catalog"))
    verifier = AssertionVerifier(key, audience="catalog")

    def sign() -> str:
        return signer.assertion(CALLER, audience="catalog", method="GET", path=PATH, query=QUERY)

    verify_best = float("inf")
    for _ in range(ROUNDS):
        tokens = [sign() for _ in range(N)]
        started = time.process_time()
        for token in tokens:
            verifier.verify(token, method="GET", path=PATH, query=QUERY)
        verify_best = min(verify_best, (time.process_time() - started) / N * 1e6)
    token, message = sign(), sign().encode()
    ed25519 = SigningKey.generate()
    signature = ed25519.sign(message).signature
    was_sign = per_call_us(lambda: ed25519.sign(message))
    was_verify = per_call_us(lambda: ed25519.verify_key.verify(message, signature))
    pyjwt = per_call_us(
        lambda: jwt.decode(
            token, key, algorithms=["HS256"], audience="catalog", options={"verify_exp": False}
        )
    )
    print(f"assertion sign (HS256)            {per_call_us(sign):7.1f} us")
    print(f"assertion verify (+replay)        {verify_best:7.1f} us")
    print(f"was: Ed25519 sign (libsodium)     {was_sign:7.1f} us")
    print(f"was: Ed25519 verify (libsodium)   {was_verify:7.1f} us")
    print(f"PyJWT decode, same token          {pyjwt:7.1f} us")
    keyed = HS256(key)
    was = wall_us_beside_a_busy_thread(
        lambda: (hmac.digest(key, message, "sha256"), os.urandom(16))
    )
    now = wall_us_beside_a_busy_thread(lambda: (keyed(message), random.getrandbits(128)))
    print("beside a thread that wants the GIL, wall time of a MAC and a random id:")
    print(f"was: hmac.digest, os.urandom      {was:7.1f} us")
    print(f"now: HS256 keyed once, random     {now:7.1f} us")


if __name__ == "__main__":
    main()

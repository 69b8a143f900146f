"""Signing out and guessing (issue 8, attack 6) through real gateways and a real identity.

Logout revokes the token it was made with and an admin can revoke all of a user's tokens; every
gateway instance, including one that starts later, refuses the revoked token within seconds.
Rate limiting runs before token verification, so a flood of bad tokens is answered with 429.
"""

from __future__ import annotations

import uuid

from bazaar_chassis.testing import eventually

from .conftest import GatewayFactory, Platform

ME = "/identity/1/users/me"


async def refused_everywhere(token: str, *gateways: Platform) -> None:
    for gateway in gateways:

        async def refused(gateway: Platform = gateway) -> bool:
            status, problem = await gateway.call("GET", ME, token=token)
            return status == 401 and "revoked" in problem["detail"]

        await eventually(refused, timeout=5, message=f"{gateway.url} still accepts the token")


async def test_after_logout_the_token_is_refused_by_every_gateway_within_seconds(
    platform: Platform, start_gateway: GatewayFactory
) -> None:
    other = Platform(await start_gateway(), platform.http, platform.clock_skew)
    await other.routes_to("identity")
    token = await platform.token("shopper@bazaar.test")
    kept = await platform.token("shopper@bazaar.test")
    for gateway in (platform, other):  # both have verified and cached the token
        assert (await gateway.call("GET", ME, token=token))[0] == 200

    status, _ = await platform.call("POST", "/identity/1/logout", token=token)
    assert status == 204

    await refused_everywhere(token, platform, other)
    later = Platform(await start_gateway(), platform.http, platform.clock_skew)
    await later.routes_to("identity")
    status, problem = await later.call("GET", ME, token=token)
    assert status == 401, problem
    assert (await other.call("GET", ME, token=kept))[0] == 200  # only that one token is out


async def test_a_guest_cannot_log_out_and_a_token_cannot_log_out_twice(platform: Platform) -> None:
    assert (await platform.call("POST", "/identity/1/logout"))[0] == 403
    token = await platform.token("shopper@bazaar.test")
    assert (await platform.call("POST", "/identity/1/logout", token=token))[0] == 204
    await refused_everywhere(token, platform)
    assert (await platform.call("POST", "/identity/1/logout", token=token))[0] == 401


async def test_an_admin_revoking_a_user_signs_them_out_of_every_token_until_they_sign_in_again(
    platform: Platform,
) -> None:
    admin = await platform.token("admin@bazaar.test")
    first = await platform.token("jenn@bazaar.test")
    second = await platform.token("jenn@bazaar.test", organization="bazaar")
    _, jenn = await platform.call("GET", ME, token=first)
    status, revoked = await platform.call(
        "POST", "/identity/1/revocations", token=admin, json={"subject": jenn["id"]}
    )
    assert status == 201, revoked
    await refused_everywhere(first, platform)
    await refused_everywhere(second, platform)

    async def signs_in_again() -> bool:  # a token issued in the revocation's second is out too
        fresh = await platform.token("jenn@bazaar.test")
        return (await platform.call("GET", ME, token=fresh))[0] == 200

    await eventually(signs_in_again, timeout=5, message="jenn could not sign in again")
    assert (await platform.call("GET", ME, token=admin))[0] == 200


async def test_a_flood_of_bad_tokens_is_rate_limited_before_any_is_verified(
    platform: Platform, start_gateway: GatewayFactory
) -> None:
    limited = Platform(
        await start_gateway(rate_limit_per_second=1, rate_limit_burst=5),
        platform.http,
        platform.clock_skew,
    )
    await limited.routes_to("identity")
    statuses = [
        (await limited.call("GET", ME, token=f"bad.{uuid.uuid4().hex}.token"))[0] for _ in range(10)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429] * 5

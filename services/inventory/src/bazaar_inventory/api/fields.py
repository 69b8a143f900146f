"""The request fields v1 and v2 share, spelled once so that both majors check them alike.

Both write the same stock rows: the optimistic version a writer last read means the same in each.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from bazaar_chassis import MAX_INT32, WholeNumber

ExpectedVersion = Annotated[
    WholeNumber | None,
    Field(
        ge=0,
        le=MAX_INT32,  # the stored version's type: a larger one could never be current
        description="the SKU version you last read (0: never stocked); a stale one gets 409",
    ),
]

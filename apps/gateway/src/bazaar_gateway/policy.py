"""Authorization rules (M7): a Casbin RBAC-with-domains model, and its compiled index.

A rule says: callers holding `role` in `organization` (or `*`, any) may (`allow`) or may not
(`deny`) use `action` (an HTTP method, `GET|POST`, or `*`) on `object` (a path pattern).
The decision: deny unless some rule of one of the caller's roles allows; an explicit deny wins.
Every caller also holds the role `guest`, so guest rules apply to everyone.

Object patterns follow Casbin's keyMatch2: segments are literals, `:name` (one segment) or a
final `*` (anything, across segments). The path matched is always `/{service}/{major}/...`,
whichever way the client chose the version.

`CASBIN_MODEL` is the source of truth for these semantics; `PolicyIndex` is the hot-path form,
and a property test checks the two agree on random requests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from bazaar_chassis.kept import KeptByText

CASBIN_MODEL = """
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act, eft

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = g(r.sub, p.sub, r.dom) && (p.dom == "*" || r.dom == p.dom) && keyMatch2(r.obj, p.obj) \
&& (p.act == "*" || regexMatch(r.act, "^(" + p.act + ")$"))
"""

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
EVERYONE = "guest"
_LITERAL_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")  # no '.': Casbin would read it as a regex
_PARAM_SEGMENT = re.compile(r"^:[A-Za-z_][A-Za-z0-9_]*$")
_NAME = re.compile(r"^[A-Za-z0-9_.:-]+$")
DECISIONS_KEPT = 4096


class Rule(BaseModel):
    """One line of the policy: `p, role, organization, object, action, effect`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: str
    organization: str
    object: str
    action: str
    effect: Literal["allow", "deny"] = "allow"

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r} is not a role name")
        return value

    @field_validator("organization")
    @classmethod
    def _organization(cls, value: str) -> str:
        if value != "*" and not _NAME.match(value):
            raise ValueError(f"{value!r} is not an organization name (or '*' for any)")
        return value

    @field_validator("object")
    @classmethod
    def _object(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"object {value!r} must be a path starting with '/'")
        segments = value[1:].split("/")
        for position, segment in enumerate(segments):
            last = position == len(segments) - 1
            if segment == "*" and last:
                continue
            if not (_LITERAL_SEGMENT.match(segment) or _PARAM_SEGMENT.match(segment)):
                raise ValueError(
                    f"object {value!r}: segment {segment!r} must be a literal, ':name', "
                    "or a final '*'"
                )
        return value

    @field_validator("action")
    @classmethod
    def _action(cls, value: str) -> str:
        if value == "*":
            return value
        unknown = [m for m in value.split("|") if m not in METHODS]
        if unknown:
            raise ValueError(f"action {value!r}: {unknown} not HTTP methods (or use '*')")
        return value

    def as_casbin(self) -> list[str]:
        return [self.role, self.organization, self.object, self.action, self.effect]


def object_regex(pattern: str) -> re.Pattern[str]:
    """The regex keyMatch2 builds for a (validated) pattern."""
    parts = []
    for segment in pattern[1:].split("/"):
        if segment == "*":
            parts.append(".*")
        elif segment.startswith(":"):
            parts.append("[^/]+")
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts))


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    rule: Rule | None  # the deny that decided, or an allow that matched; None: nothing matched

    def explain(self) -> str:
        if self.rule is None:
            return "no rule allows it (deny by default)"
        verb = "allowed" if self.allowed else "denied"
        r = self.rule
        return f"{verb} by rule ({r.role}, {r.organization}, {r.object}, {r.action}, {r.effect})"


@dataclass(frozen=True, slots=True)
class _Compiled:
    rule: Rule
    organization: str
    methods: frozenset[str] | None  # None: any
    regex: re.Pattern[str]


class PolicyIndex:
    """The rules, grouped by role and by the first path segment of their object.

    An index never changes (a new policy is a new index), so it keeps what it decided: the same
    few callers' roles ask for the same few paths again and again.
    """

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        self._decided = KeptByText(self._decide, entries=DECISIONS_KEPT)  # the path last
        self._by_role: dict[str, dict[str, list[_Compiled]]] = {}
        for rule in self.rules:
            first = rule.object[1:].split("/", 1)[0]
            bucket = "*" if first == "*" or first.startswith(":") else first
            compiled = _Compiled(
                rule=rule,
                organization=rule.organization,
                methods=None if rule.action == "*" else frozenset(rule.action.split("|")),
                regex=object_regex(rule.object),
            )
            self._by_role.setdefault(rule.role, {}).setdefault(bucket, []).append(compiled)

    def decide(
        self, *, roles: Sequence[str], organization: str, method: str, path: str
    ) -> Decision:
        return self._decided(tuple(roles), organization, method, path)

    def _decide(
        self, roles: tuple[str, ...], organization: str, method: str, path: str
    ) -> Decision:
        service = path[1:].split("/", 1)[0]
        allowed_by: Rule | None = None
        for role in {*roles, EVERYONE}:
            buckets = self._by_role.get(role)
            if not buckets:
                continue
            for candidate in (*buckets.get(service, ()), *buckets.get("*", ())):
                if candidate.organization not in ("*", organization):
                    continue
                if candidate.methods is not None and method not in candidate.methods:
                    continue
                if not candidate.regex.fullmatch(path):
                    continue
                if candidate.rule.effect == "deny":
                    return Decision(False, candidate.rule)
                allowed_by = allowed_by or candidate.rule
        return Decision(allowed_by is not None, allowed_by)


def parse_csv(text: str) -> list[Rule]:
    """Rules from Casbin's CSV policy format (`p, role, org, object, action[, effect]`)."""
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = [f.strip() for f in line.split(",")]
        if fields[0] != "p" or len(fields) not in (5, 6):
            raise ValueError(f"line {number}: expected 'p, role, org, object, action[, effect]'")
        rules.append(
            Rule(
                role=fields[1],
                organization=fields[2],
                object=fields[3],
                action=fields[4],
                effect=fields[5] if len(fields) == 6 else "allow",  # type: ignore[arg-type]
            )
        )
    return rules

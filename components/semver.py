"""Semantic versions and Helm's version constraints, with the semantics of Masterminds/semver v3 (what Helm uses).

Helm refuses to install a chart whose `kubeVersion` constraint rejects the cluster's version
(`chart requires kubeVersion: X which is incompatible with Kubernetes Y`), and Chart v4 fails the preview with it.
The cluster's version is what the API server reports (`v1.35.2-eks-3025e55` on EKS): a *prerelease* in semver
terms, which a constraint without a prerelease part (`>=1.25.0`) rejects; charts write `>=1.25.0-0` for that.
Rules follow Masterminds/semver v3.4 constraints.go (the version pulumi-kubernetes builds Helm with):

* `||` separates alternatives; within one, `,` or spaces separate constraints that must all hold;
  `A - B` means `>= A, <= B`.
* operators `=`/none, `!=`, `>`, `<`, `>=`/`=>`, `<=`/`=<`, `~`/`~>`, `^`; `x`, `X`, `*` or a missing part
  make a wildcard ("dirty") constraint (`1.2.x`, `~1`, `>11`).
* a prerelease version only satisfies an alternative in which some constraint names a prerelease.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

_NUM = r"[0-9xX*]+"
_PRE = r"(?:-([0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?"
_META = r"(?:\+([0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?"
_CV = rf"v?({_NUM})(\.{_NUM})?(\.{_NUM})?{_PRE}{_META}"
_OPS = r"=|!=|>|<|>=|=>|<=|=<|~|~>|\^"
_ONE = re.compile(rf"^\s*({_OPS}|)\s*({_CV})\s*$")
_FIND = re.compile(rf"({_OPS}|)\s*({_CV})")
_VALID = re.compile(rf"^(\s*({_OPS}|)\s*{_CV}\s*)((?:\s+|,\s*)({_OPS}|)\s*{_CV}\s*)*$")
_RANGE = re.compile(rf"\s*({_CV})\s+-\s+({_CV})\s*")
_VERSION = re.compile(
    r"^v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?"
    r"(?:-([0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?(?:\+([0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?$"
)


class SemverError(ValueError):
    """A version or constraint that does not parse."""


def _compare_prerelease(a: str, b: str) -> int:
    """Semver precedence of two prerelease strings ("" = a release, which sorts after any prerelease)."""
    if a == b:
        return 0
    if not a:
        return 1
    if not b:
        return -1
    for x, y in zip(a.split("."), b.split("."), strict=False):
        if x == y:
            continue
        xn, yn = x.isdigit(), y.isdigit()
        if xn and yn:
            return -1 if int(x) < int(y) else 1
        if xn != yn:  # numeric identifiers sort before alphanumeric ones
            return -1 if xn else 1
        return -1 if x < y else 1
    return (len(a.split(".")) > len(b.split("."))) - (len(a.split(".")) < len(b.split(".")))


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: str = ""
    original: str = ""

    @staticmethod
    def parse(text: str) -> Version:
        """A version the way Masterminds' NewVersion reads it: `v` prefix and missing minor/patch allowed."""
        m = _VERSION.match(text.strip())
        if not m:
            raise SemverError(f"{text!r} is not a semantic version")
        major, minor, patch, pre, _ = m.groups()
        return Version(int(major), int(minor or 0), int(patch or 0), pre or "", text.strip())

    def _key(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def compare(self, other: Version) -> int:
        if self._key() != other._key():
            return -1 if self._key() < other._key() else 1
        return _compare_prerelease(self.pre, other.pre)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.compare(other) == 0

    def __lt__(self, other: Version) -> bool:
        return self.compare(other) < 0

    def __hash__(self) -> int:
        return hash((self._key(), self.pre))

    def __str__(self) -> str:
        return self.original or f"{self.major}.{self.minor}.{self.patch}" + (f"-{self.pre}" if self.pre else "")


def _is_x(part: str | None) -> bool:
    return part in ("x", "X", "*")


@dataclass(frozen=True)
class _Constraint:
    op: str
    con: Version
    dirty: bool
    minor_dirty: bool
    patch_dirty: bool

    @staticmethod
    def parse(text: str) -> _Constraint:
        m = _ONE.match(text)
        if not m:
            raise SemverError(f"improper constraint: {text}")
        op, _, major, minor, patch, pre, _meta = m.groups()
        minor, patch = (minor or "").lstrip("."), (patch or "").lstrip(".")
        suffix = f"-{pre}" if pre else ""
        dirty = minor_dirty = patch_dirty = False
        if _is_x(major):
            version, dirty = f"0.0.0{suffix}", True
        elif not minor or _is_x(minor):
            version, dirty, minor_dirty = f"{major}.0.0{suffix}", True, True
        elif not patch or _is_x(patch):
            version, dirty, patch_dirty = f"{major}.{minor}.0{suffix}", True, True
        else:
            version = f"{major}.{minor}.{patch}{suffix}"
        return _Constraint(op, Version.parse(version), dirty, minor_dirty, patch_dirty)

    def check(self, v: Version, include_pre: bool) -> bool:
        if v.pre and not include_pre:
            return False
        c, op = self.con, self.op
        if op in ("", "="):
            return self._tilde(v) if self.dirty else v == c
        if op == "!=":
            return self._not_equal(v)
        if op == ">":
            return self._greater(v)
        if op == "<":
            return v < c
        if op in (">=", "=>"):
            return v >= c
        if op in ("<=", "=<"):
            if not self.dirty:
                return v <= c
            return not (v.major > c.major or (v.major == c.major and v.minor > c.minor and not self.minor_dirty))
        if op in ("~", "~>"):
            return self._tilde(v)
        return self._caret(v)

    def _not_equal(self, v: Version) -> bool:
        c = self.con
        if self.dirty:
            if c.major != v.major:
                return True
            if c.minor != v.minor and not self.minor_dirty:
                return True
            if self.minor_dirty:
                return False
            if c.patch != v.patch and not self.patch_dirty:
                return True
            if self.patch_dirty:
                return bool(v.pre or c.pre) and _compare_prerelease(v.pre, c.pre) != 0
        return v != c

    def _greater(self, v: Version) -> bool:
        c = self.con
        if not self.dirty:
            return v > c
        if v.major != c.major:
            return v.major > c.major
        if self.minor_dirty:
            return False
        if self.patch_dirty:
            return v.minor > c.minor
        return v > c

    def _tilde(self, v: Version) -> bool:
        c = self.con
        if v < c:
            return False
        if (c.major, c.minor, c.patch) == (0, 0, 0) and not self.minor_dirty and not self.patch_dirty:
            return True
        if v.major != c.major:
            return False
        return v.minor == c.minor or self.minor_dirty

    def _caret(self, v: Version) -> bool:
        c = self.con
        if v < c:
            return False
        if c.major > 0 or self.minor_dirty:
            return v.major == c.major
        if v.major > 0:
            return False
        if c.minor > 0 or self.patch_dirty:
            return v.minor == c.minor
        if v.minor > 0:
            return False
        return v.patch == c.patch


@dataclass(frozen=True)
class Constraints:
    text: str
    alternatives: tuple[tuple[_Constraint, ...], ...]

    @staticmethod
    def parse(text: str) -> Constraints:
        rewritten = _RANGE.sub(lambda m: f">= {m.group(1)}, <= {m.group(7)} ", text)
        alternatives = []
        for part in rewritten.split("||"):
            if not _VALID.match(part):
                raise SemverError(f"improper constraint: {part.strip() or text!r}")
            found = [m.group(0) for m in _FIND.finditer(part)] or [part]
            alternatives.append(tuple(_Constraint.parse(f) for f in found))
        return Constraints(text, tuple(alternatives))

    def check(self, version: Version | str) -> bool:
        v = Version.parse(version) if isinstance(version, str) else version
        for group in self.alternatives:
            include_pre = any(c.con.pre for c in group)
            if all(c.check(v, include_pre) for c in group):
                return True
        return False


def is_compatible(constraint: str, version: str) -> bool:
    """Helm's `IsCompatibleRange`: False for an unparsable constraint or version, as Helm does."""
    try:
        return Constraints.parse(constraint).check(version)
    except SemverError:
        return False

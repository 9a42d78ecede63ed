"""Helm's kubeVersion constraints (Masterminds/semver v3 semantics), as Helm checks them against the cluster."""

from __future__ import annotations

import pytest

from components.semver import Constraints, SemverError, Version, is_compatible

EKS = "v1.35.2-eks-3025e55"  # the form of an EKS API server's GitVersion: a semver prerelease


@pytest.mark.parametrize(
    ("constraint", "version", "ok"),
    [
        (">=1.25.0-0", EKS, True),
        # A constraint without a prerelease part rejects EKS's version: a classic "incompatible" install failure.
        (">=1.25.0", EKS, False),
        (">=1.25.0", "v1.35.0", True),
        (">= 1.23.0-0, < 1.36.0-0", EKS, True),
        (">=1.21.0-0 <1.35.0-0", EKS, False),
        ("^1.20.0-0", EKS, True),
        ("~1.35.0-0", EKS, True),
        ("~1.34.0-0", EKS, False),
        ("1.2 - 1.4.5", "1.3.0", True),
        ("1.2 - 1.4.5", "1.5.0", False),
        (">=1.19.0-0 || <1", "1.35.0-x", True),
        ("1.x", "1.5.0", True),
        ("*", "1.2.3", True),
        (">11", "11.5.0", False),
        (">11.1", "11.2.0", True),
        ("!=1.2.x", "1.2.3", False),
        ("!=1.2.x", "1.3.0", True),
        ("<=1.2", "1.2.9", True),
        ("<=1.2", "1.3.0", False),
        ("^0.2.3", "0.2.9", True),
        ("^0.2.3", "0.3.0", False),
        ("=1.2.3", "1.2.3", True),
    ],
)
def test_constraints(constraint, version, ok):
    assert Constraints.parse(constraint).check(version) is ok


def test_prerelease_ordering_follows_semver():
    assert Version.parse("1.0.0-alpha") < Version.parse("1.0.0-alpha.1") < Version.parse("1.0.0-beta")
    assert Version.parse("1.0.0-beta.11") > Version.parse("1.0.0-beta.2")
    assert Version.parse("1.0.0-rc.1") < Version.parse("1.0.0")


def test_bad_input_is_incompatible_as_helm_says():
    with pytest.raises(SemverError):
        Constraints.parse(">= banana")
    assert is_compatible("garbage", "1.0.0") is False
    assert is_compatible(">=1.0.0", "not-a-version") is False

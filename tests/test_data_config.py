"""`platform:data` validation: one clear line per problem, naming the key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from components.config import ConfigError, read_stack_file, validate
from components.versions import AURORA_POSTGRES_VERSIONS, POSTGRES_VERSIONS

ROOT = Path(__file__).resolve().parent.parent
DEV = read_stack_file(ROOT / "Pulumi.dev.yaml")
PROD = read_stack_file(ROOT / "Pulumi.prod.yaml")


def with_data(base: dict, data: dict) -> dict:
    values = copy.deepcopy(base)
    values["platform:data"] = data
    return values


def database(base: dict, **overrides) -> dict:
    data = copy.deepcopy(base["platform:data"])
    data["database"].update(overrides)
    return with_data(base, data)


def lines(values: dict, stack: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        validate(values, stack)
    return info.value.lines


def test_stack_files_have_the_data_sections():
    from components.config.fleet import fleet_of
    from components.config.repository import stack_files

    for stack, path in stack_files(ROOT).items():
        cfg = validate(read_stack_file(path), stack)
        if fleet_of(ROOT, stack) is not None:  # a fleet's images are its global stack's registry (docs/fleets.md)
            assert cfg.data.registries is None and cfg.data.build_access is None
            continue
        assert cfg.data.database is not None and cfg.data.registries is not None and cfg.data.build_access
        assert cfg.data.registries.apps == ["frontend", "api"]


def test_everything_is_optional():
    cfg = validate(with_data(DEV, {}), "dev")
    assert cfg.data.database is None and cfg.data.registries is None and cfg.data.build_access is None


def test_unknown_engine_version():
    assert lines(database(DEV, engineVersion="17.99"), "dev") == [
        f"platform:data.database.engineVersion: is not a supported PostgreSQL version; supported: "
        f'{", ".join(POSTGRES_VERSIONS)} (got "17.99")'
    ]


def test_engine_version_is_checked_for_the_chosen_engine():
    rds_only = next(v for v in POSTGRES_VERSIONS if v not in AURORA_POSTGRES_VERSIONS)
    [line] = lines(database(DEV, aurora=True, engineVersion=rds_only), "dev")
    assert line.startswith("platform:data.database.engineVersion: is not a supported Aurora PostgreSQL version")
    validate(database(DEV, aurora=True, engineVersion=AURORA_POSTGRES_VERSIONS[-1]), "dev")


def test_engine_version_must_be_quoted():
    [line] = lines(database(DEV, engineVersion=17.7), "dev")
    assert line.startswith("platform:data.database.engineVersion: input should be a valid string; quote it in YAML")


def test_backup_retention_below_the_production_minimum():
    assert lines(database(PROD, backupRetentionDays=7), "prod") == [
        "platform:data.database.backupRetentionDays: must be at least 30 in production (got 7)"
    ]
    validate(database(DEV, backupRetentionDays=7), "dev")  # dev: 7 is fine


def test_backup_retention_below_the_minimum_anywhere():
    [line] = lines(database(DEV, backupRetentionDays=3), "dev")
    assert line.startswith("platform:data.database.backupRetentionDays: input should be greater than or equal to 7")


def test_production_needs_multi_az():
    assert lines(database(PROD, multiAz=False), "prod") == [
        "platform:data.database.multiAz: must be true in production (got false)"
    ]


def test_storage_autoscaling_ceiling_above_the_allocation():
    assert lines(database(PROD, maxAllocatedStorage=100), "prod") == [
        "platform:data.database.maxAllocatedStorage: must be greater than allocatedStorage (100) or left out (got 100)"
    ]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("engine", "mysql", "platform:data.database.engine: input should be 'postgres'"),
        ("instanceClass", "m7g.large", "platform:data.database.instanceClass: string should match pattern"),
        ("masterUsername", "rdsadmin", "platform:data.database.masterUsername: 'rdsadmin' is reserved by RDS"),
        ("performanceInsightsRetentionDays", 30, "platform:data.database.performanceInsightsRetentionDays: must be 7"),
        ("logRetentionDays", 10, "platform:data.database.logRetentionDays: input should be 1, 3, 5, 7"),
        ("passwrd", "x", "platform:data.database.passwrd: unknown key"),
    ],
)
def test_database_field_errors(key, value, expected):
    [line] = lines(database(DEV, **{key: value}), "dev")
    assert line.startswith(expected), line


def test_build_access_needs_registries():
    data = copy.deepcopy(DEV["platform:data"])
    del data["registries"]
    assert lines(with_data(DEV, data), "dev") == [
        "platform:data.buildAccess: needs platform:data.registries (the repositories the build role pushes to)"
    ]


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        ({"githubRepository": "eks-platform"}, "must be a GitHub repository as owner/name"),
        ({"githubRepository": "org/repo", "branches": ["release/*"]}, "wildcards are not allowed"),
        ({"githubRepository": "org/repo", "branches": ["refs/heads/main"]}, "without refs/heads/"),
        ({"githubRepository": "org/repo", "branches": []}, "list should have at least 1 item"),
        ({"githubRepository": "org/repo", "branches": ["main", "main"]}, "lists a branch twice"),
        ({"githubRepository": "org/repo", "oidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/x"}, "GitHub"),
        ({"branches": ["main"]}, "platform:data.buildAccess.githubRepository: is required"),
    ],
)
def test_build_access_errors(build, expected):
    data = copy.deepcopy(DEV["platform:data"])
    data["buildAccess"] = build
    [line] = lines(with_data(DEV, data), "dev")
    assert line.startswith("platform:data.buildAccess") and expected in line, line


def test_registry_errors():
    data = copy.deepcopy(DEV["platform:data"])
    data["registries"] = {"apps": ["api", "API", "api"], "keepTaggedReleases": 0}
    got = lines(with_data(DEV, data), "dev")
    assert any(line.startswith("platform:data.registries.apps[1]: string should match pattern") for line in got), got
    assert any(line.startswith("platform:data.registries.keepTaggedReleases: input should be greater") for line in got)

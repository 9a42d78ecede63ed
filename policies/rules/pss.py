"""Pod Security Standards (baseline and restricted), as pure functions over Kubernetes object dicts.

A port of the checks in upstream's `k8s.io/pod-security-admission/policy` (`check_*.go`), keeping their
version history: every check is a list of revisions, each taking effect at a policy minor version, and a
level/version pair resolves exactly as upstream's `registry.go` does it:

* a check applies at version v with its newest revision whose minimum version is <= v (absent before);
* `restricted` is every `baseline` check, minus the ones a restricted check overrides at that version
  (`restrictedVolumes` replaces `hostPathVolumes`, `seccompProfile_restricted` replaces
  `seccompProfile_baseline`, `capabilities_restricted` replaces `capabilities_baseline`,
  `procMount_restricted` replaces `procMount` from v1.35), plus the restricted checks;
* `latest` and any version newer than the newest revision resolve to the newest (upstream clamps to the
  registry's `maxVersion`; for the checks below that is v1.37, where the sysctl safe list last grew).

Containers are init, regular and ephemeral containers (upstream's `visitContainers`). Objects are read as the
Pulumi engine shows them: camelCase keys as in Kubernetes JSON, with any field possibly missing or None.
One deliberate difference in shape, not in verdict: upstream reports one aggregated reason per check, this
module reports one `Violation` per offending field, with its path and what to set, so a pod is rejected
exactly when upstream rejects it.

Two behaviours upstream patched into its v1.0 revisions (so they apply at every pinned version) are kept so:
`image` volumes are allowed under restricted, and the `appArmorProfile` fields are checked next to the
deprecated AppArmor annotations. A volume with no source at all counts as `emptyDir`, as the API server's
defaulting makes it before admission sees it. The user-namespace relaxations (`spec.hostUsers: false` exempts
runAsNonRoot, runAsUser and baseline procMount) start at v1.35, where upstream made them unconditional;
before that they sat behind the alpha feature gate UserNamespacesPodSecurityStandards, off by default, which
is what is modelled here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LEVELS = ("privileged", "baseline", "restricted")

OLDEST_MINOR = 25
NEWEST_MINOR = 37
VERSIONS: tuple[str, ...] = tuple(f"v1.{minor}" for minor in range(OLDEST_MINOR, NEWEST_MINOR + 1))


@dataclass(frozen=True)
class Violation:
    check: str  # upstream check ID, e.g. "allowPrivilegeEscalation"
    message: str  # who, which field, what to set, what was found
    path: str  # field path from the object's root, e.g. "spec.containers[0].securityContext.privileged"


# --------------------------------------------------------------------------------------------- versions


_VERSION = re.compile(r"^v?1\.(\d+)$")


def parse_version(version: str) -> int:
    """The policy minor version that `version` ("latest", "v1.30", "1.30") resolves to.

    Versions newer than the newest revision resolve to it, as upstream does; older than v1.25 is an error.
    """
    if not isinstance(version, str):
        raise ValueError(f"PSS version must be a string like 'v1.31' or 'latest', got {version!r}")
    text = version.strip()
    if text == "latest":
        return NEWEST_MINOR
    match = _VERSION.match(text)
    if not match:
        raise ValueError(f"PSS version must look like 'v1.31' or be 'latest', got {version!r}")
    minor = int(match.group(1))
    if minor < OLDEST_MINOR:
        raise ValueError(f"PSS version {version!r} is older than the oldest supported, {VERSIONS[0]}")
    return min(minor, NEWEST_MINOR)


def _check_level(level: str) -> str:
    if level not in LEVELS:
        raise ValueError(f"PSS level must be one of {', '.join(LEVELS)}, got {level!r}")
    return level


# ----------------------------------------------------------------------------------------- dict access


def _get(obj: Any, *keys: str) -> Any:
    """obj[k1][k2]..., or None where anything along the way is missing, None or not a mapping.

    Mappings and sequences rather than dict and list: the CrossGuard SDK hands policies read-only proxies
    (an unknown preview value raises its UnknownValueError when read, which the SDK reports as such).
    """
    for key in keys:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _list(value: Any) -> Sequence:
    return value if _is_list(value) else []


def _dict(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


def _str(value: Any) -> str:
    """A Go string field: missing/None reads as ""."""
    return "" if value is None else str(value)


def _show(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value)


def _quote_all(values: list[str]) -> str:
    return ", ".join(json.dumps(v) for v in values)


def _is_windows(spec: dict) -> bool:
    return _get(spec, "os", "name") == "windows"


def _user_namespaced(spec: dict) -> bool:
    """upstream relaxPolicyForUserNamespacePod: spec.hostUsers explicitly false."""
    return _is_false(spec.get("hostUsers"))


@dataclass(frozen=True)
class _Container:
    who: str  # 'container "app"', 'init container "setup"', 'ephemeral container "debug"'
    path: str  # "spec.containers[0]"
    body: dict

    @property
    def security_context(self) -> dict | None:
        sc = self.body.get("securityContext")
        return sc if isinstance(sc, Mapping) else None


_CONTAINER_LISTS = (
    ("initContainers", "init container"),
    ("containers", "container"),
    ("ephemeralContainers", "ephemeral container"),
)


def _containers(spec: dict) -> Iterator[_Container]:
    for field, label in _CONTAINER_LISTS:
        for i, body in enumerate(_list(spec.get(field))):
            if isinstance(body, Mapping):
                name = body.get("name") or f"#{i}"
                yield _Container(f'{label} "{name}"', f"spec.{field}[{i}]", body)


Finding = tuple[str, str]  # (path relative to the pod, message)
CheckFn = Callable[[dict, dict], list[Finding]]


# ----------------------------------------------------------------------------------------- baseline


def _host_namespaces(meta: dict, spec: dict) -> list[Finding]:
    return [
        (f"spec.{field}", f"pod: spec.{field} must be unset or false (got true)")
        for field in ("hostNetwork", "hostPID", "hostIPC")
        if _is_true(spec.get(field))
    ]


def _privileged(meta: dict, spec: dict) -> list[Finding]:
    return [
        (
            f"{c.path}.securityContext.privileged",
            f"{c.who}: securityContext.privileged must be unset or false (got true)",
        )
        for c in _containers(spec)
        if _is_true(_get(c.security_context, "privileged"))
    ]


CAPABILITIES_BASELINE = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


def _capabilities_baseline(meta: dict, spec: dict) -> list[Finding]:
    findings = []
    for c in _containers(spec):
        added = [_str(cap) for cap in _list(_get(c.security_context, "capabilities", "add"))]
        bad = sorted({cap for cap in added if cap not in CAPABILITIES_BASELINE})
        if bad:
            findings.append(
                (
                    f"{c.path}.securityContext.capabilities.add",
                    f"{c.who}: securityContext.capabilities.add must not include {_quote_all(bad)} "
                    f"(allowed: {', '.join(sorted(CAPABILITIES_BASELINE))})",
                )
            )
    return findings


def _host_path_volumes(meta: dict, spec: dict) -> list[Finding]:
    findings = []
    for i, volume in enumerate(_list(spec.get("volumes"))):
        if _get(volume, "hostPath") is not None:
            name = _str(_get(volume, "name"))
            findings.append(
                (
                    f"spec.volumes[{i}].hostPath",
                    f'volume "{name}": spec.volumes[{i}].hostPath must be unset (hostPath volumes are forbidden)',
                )
            )
    return findings


def _host_ports(meta: dict, spec: dict) -> list[Finding]:
    findings = []
    for c in _containers(spec):
        for j, port in enumerate(_list(c.body.get("ports"))):
            host_port = _get(port, "hostPort")
            if host_port not in (None, 0):
                findings.append(
                    (
                        f"{c.path}.ports[{j}].hostPort",
                        f"{c.who}: ports[{j}].hostPort must be unset or 0 (got {_show(host_port)})",
                    )
                )
    return findings


APPARMOR_TYPES = ("RuntimeDefault", "Localhost")
APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"


def _app_armor_profile(meta: dict, spec: dict) -> list[Finding]:
    findings = []
    want = 'must be "RuntimeDefault" or "Localhost"'
    profile = _get(spec, "securityContext", "appArmorProfile")
    if profile is not None and _get(profile, "type") not in APPARMOR_TYPES:
        got = _show(_get(profile, "type"))
        findings.append(
            (
                "spec.securityContext.appArmorProfile.type",
                f"pod: spec.securityContext.appArmorProfile.type {want} (got {got})",
            )
        )
    for c in _containers(spec):
        profile = _get(c.security_context, "appArmorProfile")
        if profile is not None and _get(profile, "type") not in APPARMOR_TYPES:
            got = _show(_get(profile, "type"))
            findings.append(
                (
                    f"{c.path}.securityContext.appArmorProfile.type",
                    f"{c.who}: securityContext.appArmorProfile.type {want} (got {got})",
                )
            )
    for key, value in sorted(_dict(meta.get("annotations")).items()):
        value = _str(value)
        if not str(key).startswith(APPARMOR_ANNOTATION_PREFIX):
            continue
        if value == "" or value == "runtime/default" or value.startswith("localhost/"):
            continue
        findings.append(
            (
                f'metadata.annotations["{key}"]',
                f'pod: metadata.annotations["{key}"] must be "runtime/default" or "localhost/<profile>" '
                f"(got {_show(value)}); better, set securityContext.appArmorProfile.type",
            )
        )
    return findings


def _security_contexts(spec: dict) -> list[tuple[str, str, str, dict | None]]:
    """(who, field prefix shown in messages, path, securityContext) for the pod and each container."""
    pod = [("pod", "spec.securityContext", "spec.securityContext", _get(spec, "securityContext"))]
    return pod + [
        (c.who, "securityContext", f"{c.path}.securityContext", c.security_context) for c in _containers(spec)
    ]


SELINUX_TYPES_1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
SELINUX_TYPES_1_31 = SELINUX_TYPES_1_0 | {"container_engine_t"}


def _se_linux_options(allowed_types: frozenset[str]) -> CheckFn:
    allowed = ", ".join(json.dumps(t) for t in sorted(allowed_types))

    def check(meta: dict, spec: dict) -> list[Finding]:
        findings = []
        for who, shown, path, sc in _security_contexts(spec):
            options = _get(sc, "seLinuxOptions")
            if not isinstance(options, Mapping):
                continue
            kind = _str(options.get("type"))
            if kind not in allowed_types:
                findings.append(
                    (
                        f"{path}.seLinuxOptions.type",
                        f"{who}: {shown}.seLinuxOptions.type must be one of {allowed} (got {_show(kind)})",
                    )
                )
            for field in ("user", "role"):
                if _str(options.get(field)):
                    findings.append(
                        (
                            f"{path}.seLinuxOptions.{field}",
                            f"{who}: {shown}.seLinuxOptions.{field} must be unset (got {_show(options.get(field))})",
                        )
                    )
        return findings

    return check


def _proc_mount_1_0(meta: dict, spec: dict) -> list[Finding]:
    findings = []
    for c in _containers(spec):
        mount = _get(c.security_context, "procMount")
        if mount is not None and mount != "Default":
            findings.append(
                (
                    f"{c.path}.securityContext.procMount",
                    f'{c.who}: securityContext.procMount must be unset or "Default" (got {_show(mount)})',
                )
            )
    return findings


def _proc_mount_1_35_baseline(meta: dict, spec: dict) -> list[Finding]:
    if _user_namespaced(spec):
        return []
    hint = " (or run the pod in a user namespace: spec.hostUsers=false)"
    return [(path, message + hint) for path, message in _proc_mount_1_0(meta, spec)]


SECCOMP_TYPES = ("RuntimeDefault", "Localhost")


def _seccomp_profile_baseline_1_19(meta: dict, spec: dict) -> list[Finding]:
    findings = []
    for who, shown, path, sc in _security_contexts(spec):
        profile = _get(sc, "seccompProfile")
        if profile is not None and _get(profile, "type") not in SECCOMP_TYPES:
            findings.append(
                (
                    f"{path}.seccompProfile.type",
                    f'{who}: {shown}.seccompProfile.type must be "RuntimeDefault" or "Localhost" '
                    f"(got {_show(_get(profile, 'type'))})",
                )
            )
    return findings


# Upstream check_sysctls.go: the "safe" (namespaced, isolated) sysctls, growing by policy version.
SYSCTLS_1_0 = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
    }
)
SYSCTLS_1_27 = SYSCTLS_1_0 | {"net.ipv4.ip_local_reserved_ports"}
SYSCTLS_1_29 = SYSCTLS_1_27 | {
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
SYSCTLS_1_32 = SYSCTLS_1_29 | {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}
SYSCTLS_1_37 = SYSCTLS_1_32 | {"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"}


def _sysctls(allowed: frozenset[str], since: str) -> CheckFn:
    def check(meta: dict, spec: dict) -> list[Finding]:
        findings = []
        for i, sysctl in enumerate(_list(_get(spec, "securityContext", "sysctls"))):
            name = _str(_get(sysctl, "name"))
            if name not in allowed:
                findings.append(
                    (
                        f"spec.securityContext.sysctls[{i}].name",
                        f"pod: spec.securityContext.sysctls[{i}] must be one of the safe sysctls of policy {since}+ "
                        f"({', '.join(sorted(allowed))}) (got {_show(name)})",
                    )
                )
        return findings

    return check


def _windows_host_process(meta: dict, spec: dict) -> list[Finding]:
    findings = []
    if _is_true(_get(spec, "securityContext", "windowsOptions", "hostProcess")):
        path = "spec.securityContext.windowsOptions.hostProcess"
        findings.append((path, f"pod: {path} must be unset or false (got true)"))
    for c in _containers(spec):
        if _is_true(_get(c.security_context, "windowsOptions", "hostProcess")):
            findings.append(
                (
                    f"{c.path}.securityContext.windowsOptions.hostProcess",
                    f"{c.who}: securityContext.windowsOptions.hostProcess must be unset or false (got true)",
                )
            )
    return findings


def _host_probes_and_host_lifecycle(meta: dict, spec: dict) -> list[Finding]:
    handlers = [(probe, (probe,)) for probe in ("livenessProbe", "readinessProbe", "startupProbe")]
    handlers += [(f"lifecycle.{hook}", ("lifecycle", hook)) for hook in ("postStart", "preStop")]
    findings = []
    for c in _containers(spec):
        for shown, keys in handlers:
            for action in ("httpGet", "tcpSocket"):
                host = _str(_get(c.body, *keys, action, "host"))
                if host:
                    findings.append(
                        (
                            f"{c.path}.{shown}.{action}.host",
                            f'{c.who}: {shown}.{action}.host must be unset or "" (got {_show(host)})',
                        )
                    )
    return findings


# --------------------------------------------------------------------------------------- restricted

RESTRICTED_VOLUME_TYPES = (
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
)
# upstream's named forbidden types, in its order; any other source is reported as "unknown".
FORBIDDEN_VOLUME_TYPES = (
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
)


def _restricted_volumes(meta: dict, spec: dict) -> list[Finding]:
    findings = []
    allowed = ", ".join(RESTRICTED_VOLUME_TYPES)
    for i, volume in enumerate(_list(spec.get("volumes"))):
        volume = _dict(volume)
        sources = [key for key, value in volume.items() if key != "name" and value is not None]
        if not sources or any(key in RESTRICTED_VOLUME_TYPES for key in sources):
            continue  # no source at all is defaulted to emptyDir by the API server
        kind = next((t for t in FORBIDDEN_VOLUME_TYPES if t in sources), None)
        field = kind or sorted(sources)[0]
        shown = json.dumps(kind) if kind else f'"unknown" ({field})'
        findings.append(
            (
                f"spec.volumes[{i}].{field}",
                f'volume "{_str(volume.get("name"))}": spec.volumes[{i}] uses the restricted volume type {shown}; '
                f"use one of {allowed}",
            )
        )
    return findings


def _allow_privilege_escalation_1_8(meta: dict, spec: dict) -> list[Finding]:
    findings = []
    for c in _containers(spec):
        value = _get(c.security_context, "allowPrivilegeEscalation")
        if not _is_false(value):
            findings.append(
                (
                    f"{c.path}.securityContext.allowPrivilegeEscalation",
                    f"{c.who}: securityContext.allowPrivilegeEscalation must be false (got {_show(value)})",
                )
            )
    return findings


def _windows_exempt(check: CheckFn) -> CheckFn:
    """upstream's v1.25 revisions: pods with spec.os.name=windows are exempt (the fields don't apply there)."""

    def exempted(meta: dict, spec: dict) -> list[Finding]:
        return [] if _is_windows(spec) else check(meta, spec)

    return exempted


def _user_namespace_exempt(check: CheckFn) -> CheckFn:
    """upstream's v1.35 revisions: pods with spec.hostUsers=false are exempt (root there is not host root)."""

    def exempted(meta: dict, spec: dict) -> list[Finding]:
        return [] if _user_namespaced(spec) else check(meta, spec)

    return exempted


def _run_as_non_root_1_0(meta: dict, spec: dict) -> list[Finding]:
    findings = []
    pod_value = _get(spec, "securityContext", "runAsNonRoot")
    if _is_false(pod_value):
        path = "spec.securityContext.runAsNonRoot"
        findings.append((path, f"pod: {path} must be true (got false)"))
    pod_true = _is_true(pod_value)
    for c in _containers(spec):
        value = _get(c.security_context, "runAsNonRoot")
        path = f"{c.path}.securityContext.runAsNonRoot"
        if value is not None:
            if not _is_true(value):
                findings.append((path, f"{c.who}: securityContext.runAsNonRoot must be true (got {_show(value)})"))
        elif not pod_true:
            findings.append(
                (
                    path,
                    f"{c.who}: securityContext.runAsNonRoot must be true (got unset); "
                    "or set spec.securityContext.runAsNonRoot=true for the whole pod",
                )
            )
    return findings


def _is_zero(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == 0


def _run_as_user_1_23(meta: dict, spec: dict) -> list[Finding]:
    findings = []
    if _is_zero(_get(spec, "securityContext", "runAsUser")):
        path = "spec.securityContext.runAsUser"
        findings.append((path, f"pod: {path} must be unset or a non-zero UID (got 0)"))
    for c in _containers(spec):
        if _is_zero(_get(c.security_context, "runAsUser")):
            findings.append(
                (
                    f"{c.path}.securityContext.runAsUser",
                    f"{c.who}: securityContext.runAsUser must be unset or a non-zero UID (got 0)",
                )
            )
    return findings


def _seccomp_profile_restricted_1_19(meta: dict, spec: dict) -> list[Finding]:
    findings = []
    want = 'must be "RuntimeDefault" or "Localhost"'
    pod_profile = _get(spec, "securityContext", "seccompProfile")
    pod_set = pod_profile is not None and _get(pod_profile, "type") in SECCOMP_TYPES
    for who, shown, path, sc in _security_contexts(spec):
        profile = _get(sc, "seccompProfile")
        if profile is not None:
            if _get(profile, "type") not in SECCOMP_TYPES:
                got = _show(_get(profile, "type"))
                findings.append(
                    (f"{path}.seccompProfile.type", f"{who}: {shown}.seccompProfile.type {want} (got {got})")
                )
        elif who != "pod" and not pod_set:
            findings.append(
                (
                    f"{path}.seccompProfile.type",
                    f"{who}: {shown}.seccompProfile.type {want} (got unset); "
                    "or set spec.securityContext.seccompProfile.type for the whole pod",
                )
            )
    return findings


def _capabilities_restricted_1_22(meta: dict, spec: dict) -> list[Finding]:
    findings = []
    for c in _containers(spec):
        caps = _get(c.security_context, "capabilities")
        dropped = [_str(cap) for cap in _list(_get(caps, "drop"))]
        if "ALL" not in dropped:
            got = "unset" if caps is None or _get(caps, "drop") is None else json.dumps(dropped)
            findings.append(
                (
                    f"{c.path}.securityContext.capabilities.drop",
                    f'{c.who}: securityContext.capabilities.drop must include "ALL" (got {got})',
                )
            )
        added = sorted({_str(cap) for cap in _list(_get(caps, "add"))} - {"NET_BIND_SERVICE"})
        if added:
            findings.append(
                (
                    f"{c.path}.securityContext.capabilities.add",
                    f'{c.who}: securityContext.capabilities.add may only contain "NET_BIND_SERVICE" '
                    f"(remove {_quote_all(added)})",
                )
            )
    return findings


# ------------------------------------------------------------------------------------------ registry


@dataclass(frozen=True)
class _Revision:
    since: int  # policy minor version (1.<since>) from which this revision applies
    check: CheckFn
    overrides: tuple[str, ...] = ()  # baseline check IDs this (restricted) revision replaces


@dataclass(frozen=True)
class _Check:
    id: str
    level: str
    revisions: tuple[_Revision, ...]  # strictly increasing `since`

    def at(self, minor: int) -> _Revision | None:
        current = None
        for revision in self.revisions:
            if revision.since <= minor:
                current = revision
        return current


_CHECKS: tuple[_Check, ...] = (
    # baseline
    _Check("appArmorProfile", "baseline", (_Revision(0, _app_armor_profile),)),
    _Check("capabilities_baseline", "baseline", (_Revision(0, _capabilities_baseline),)),
    _Check("hostNamespaces", "baseline", (_Revision(0, _host_namespaces),)),
    _Check("hostPathVolumes", "baseline", (_Revision(0, _host_path_volumes),)),
    _Check("hostPorts", "baseline", (_Revision(0, _host_ports),)),
    _Check("hostProbesAndHostLifecycle", "baseline", (_Revision(34, _host_probes_and_host_lifecycle),)),
    _Check("privileged", "baseline", (_Revision(0, _privileged),)),
    _Check("procMount", "baseline", (_Revision(0, _proc_mount_1_0), _Revision(35, _proc_mount_1_35_baseline))),
    _Check(
        "seLinuxOptions",
        "baseline",
        (_Revision(0, _se_linux_options(SELINUX_TYPES_1_0)), _Revision(31, _se_linux_options(SELINUX_TYPES_1_31))),
    ),
    # v1.0-v1.18 checked the seccomp alpha annotations; every supported version is past that.
    _Check("seccompProfile_baseline", "baseline", (_Revision(19, _seccomp_profile_baseline_1_19),)),
    _Check(
        "sysctls",
        "baseline",
        (
            _Revision(0, _sysctls(SYSCTLS_1_0, "v1.0")),
            _Revision(27, _sysctls(SYSCTLS_1_27, "v1.27")),
            _Revision(29, _sysctls(SYSCTLS_1_29, "v1.29")),
            _Revision(32, _sysctls(SYSCTLS_1_32, "v1.32")),
            _Revision(37, _sysctls(SYSCTLS_1_37, "v1.37")),
        ),
    ),
    _Check("windowsHostProcess", "baseline", (_Revision(0, _windows_host_process),)),
    # restricted
    _Check(
        "allowPrivilegeEscalation",
        "restricted",
        (
            _Revision(8, _allow_privilege_escalation_1_8),
            _Revision(25, _windows_exempt(_allow_privilege_escalation_1_8)),
        ),
    ),
    _Check(
        "capabilities_restricted",
        "restricted",
        (
            _Revision(22, _capabilities_restricted_1_22, ("capabilities_baseline",)),
            _Revision(25, _windows_exempt(_capabilities_restricted_1_22), ("capabilities_baseline",)),
        ),
    ),
    _Check("procMount_restricted", "restricted", (_Revision(35, _proc_mount_1_0, ("procMount",)),)),
    _Check("restrictedVolumes", "restricted", (_Revision(0, _restricted_volumes, ("hostPathVolumes",)),)),
    _Check(
        "runAsNonRoot",
        "restricted",
        (_Revision(0, _run_as_non_root_1_0), _Revision(35, _user_namespace_exempt(_run_as_non_root_1_0))),
    ),
    _Check(
        "runAsUser",
        "restricted",
        (_Revision(23, _run_as_user_1_23), _Revision(35, _user_namespace_exempt(_run_as_user_1_23))),
    ),
    _Check(
        "seccompProfile_restricted",
        "restricted",
        (
            _Revision(19, _seccomp_profile_restricted_1_19, ("seccompProfile_baseline",)),
            _Revision(25, _windows_exempt(_seccomp_profile_restricted_1_19), ("seccompProfile_baseline",)),
        ),
    ),
)


def checks_for(level: str, version: str = "latest") -> list[tuple[str, CheckFn]]:
    """(check ID, check function) applying at level/version, baseline IDs first, as upstream orders them."""
    _check_level(level)
    minor = parse_version(version)
    if level == "privileged":
        return []
    baseline = [(c.id, r) for c in _CHECKS if c.level == "baseline" and (r := c.at(minor))]
    if level == "baseline":
        return [(check_id, r.check) for check_id, r in baseline]
    restricted = [(c.id, r) for c in _CHECKS if c.level == "restricted" and (r := c.at(minor))]
    overridden = {override for _, r in restricted for override in r.overrides}
    return [(check_id, r.check) for check_id, r in baseline if check_id not in overridden] + [
        (check_id, r.check) for check_id, r in restricted
    ]


def check_ids(level: str, version: str = "latest") -> list[str]:
    """The upstream check IDs that apply at level/version."""
    return [check_id for check_id, _ in checks_for(level, version)]


# --------------------------------------------------------------------------------------------- public


def check_pod(pod_metadata: dict, pod_spec: dict, level: str, version: str = "latest") -> list[Violation]:
    """Violations of the Pod Security Standard `level` at `version` by one pod (metadata + spec).

    Paths are relative to the pod: "spec.containers[0].securityContext.privileged".
    """
    checks = checks_for(level, version)
    meta, spec = _dict(pod_metadata), _dict(pod_spec)
    return [
        Violation(check=check_id, message=message, path=path)
        for check_id, check in checks
        for path, message in check(meta, spec)
    ]


# kind -> path to the pod template inside the object ("" = the object is the pod)
POD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": (),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "PodTemplate": ("template",),
}


def kind_of_type(resource_type: str) -> str:
    """The Kubernetes kind of a Pulumi type token: "kubernetes:apps/v1:Deployment" -> "Deployment"."""
    return resource_type.rsplit(":", 1)[-1]


def pod_templates(obj: dict, kind: str | None = None) -> list[tuple[str, dict, dict]]:
    """For any Kubernetes object dict: (path_prefix, pod_metadata, pod_spec) for each pod template it carries.

    Pod -> ("", metadata, spec); Deployment/StatefulSet/DaemonSet/ReplicaSet/ReplicationController/Job ->
    ("spec.template.", ...); CronJob -> ("spec.jobTemplate.spec.template.", ...); PodTemplate -> ("template.", ...).
    Other kinds, or a workload without a template, -> []. `kind` overrides obj["kind"] (e.g. from kind_of_type).
    """
    obj = _dict(obj)
    kind = kind or obj.get("kind")
    if kind not in POD_TEMPLATE_PATHS:
        return []
    keys = POD_TEMPLATE_PATHS[kind]
    if not keys:
        return [("", _dict(obj.get("metadata")), _dict(obj.get("spec")))]
    template = _get(obj, *keys)
    if not isinstance(template, Mapping):
        return []
    return [(".".join(keys) + ".", _dict(template.get("metadata")), _dict(template.get("spec")))]


def evaluate(obj: dict, level: str, version: str = "latest", kind: str | None = None) -> list[Violation]:
    """Violations of `level`/`version` by every pod template `obj` carries; paths are from the object's root."""
    checks_for(level, version)  # validate level and version even for objects without pods
    return [
        Violation(check=v.check, message=v.message, path=prefix + v.path)
        for prefix, meta, spec in pod_templates(obj, kind)
        for v in check_pod(meta, spec, level, version)
    ]

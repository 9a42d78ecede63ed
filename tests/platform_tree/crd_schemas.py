"""JSON schemas for the custom resources in `platform/`, which kubernetes-validate has no schema for.

They cover the Argo CD fields this repository uses (and reject any other field, so a typo such as `valueFile` fails)
rather than all of Argo CD's API. ExternalSecret is only checked for its envelope (apiVersion, kind, metadata, spec).
"""

from __future__ import annotations

from typing import Any

_NAME = {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", "maxLength": 253}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_SYNC_OPTION = (
    r"^((Validate|CreateNamespace|PruneLast|ApplyOutOfSyncOnly|Replace|ServerSideApply|RespectIgnoreDifferences"
    r"|FailOnSharedResource)=(true|false)|PrunePropagationPolicy=(foreground|background|orphan))$"
)

_DEFS: dict[str, Any] = {
    "metadata": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": _NAME,
            "namespace": _NAME,
            "labels": _STRING_MAP,
            "annotations": _STRING_MAP,
            "finalizers": _STRINGS,
        },
    },
    # An Application metadata inside an ApplicationSet template: the name is a Go template.
    "templateMetadata": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "labels": _STRING_MAP,
            "annotations": _STRING_MAP,
            "finalizers": _STRINGS,
        },
    },
    "helm": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "releaseName": {"type": "string", "minLength": 1},
            "valueFiles": _STRINGS,
            "ignoreMissingValueFiles": {"type": "boolean"},
            "values": {"type": "string"},
            "valuesObject": {"type": "object"},
            "parameters": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "value"],
                    "additionalProperties": False,
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "value": {"type": "string"},
                        "forceString": {"type": "boolean"},
                    },
                },
            },
        },
    },
    "source": {
        "type": "object",
        "required": ["repoURL"],
        "additionalProperties": False,
        "properties": {
            "repoURL": {"type": "string", "minLength": 1},
            "targetRevision": {"type": "string", "minLength": 1},
            "path": {"type": "string", "minLength": 1},
            "chart": {"type": "string", "minLength": 1},
            "ref": {"type": "string", "minLength": 1},
            "helm": {"$ref": "#/$defs/helm"},
        },
        # A source is a chart of a Helm repository, a path in a Git repository, or a `ref` to one for value files.
        "oneOf": [{"required": ["chart"]}, {"required": ["path"]}, {"required": ["ref"]}],
        "dependentRequired": {"chart": ["targetRevision"]},
    },
    "destination": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"server": {"type": "string"}, "name": {"type": "string"}, "namespace": {"type": "string"}},
        "oneOf": [{"required": ["server"]}, {"required": ["name"]}],
    },
    "retry": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "limit": {"type": "integer"},
            "backoff": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "duration": {"type": "string"},
                    "factor": {"type": "integer"},
                    "maxDuration": {"type": "string"},
                },
            },
        },
    },
    "syncPolicy": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "automated": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "prune": {"type": "boolean"},
                    "selfHeal": {"type": "boolean"},
                    "allowEmpty": {"type": "boolean"},
                },
            },
            "syncOptions": {"type": "array", "items": {"type": "string", "pattern": _SYNC_OPTION}},
            "managedNamespaceMetadata": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"labels": _STRING_MAP, "annotations": _STRING_MAP},
            },
            "retry": {"$ref": "#/$defs/retry"},
        },
    },
    "applicationSpec": {
        "type": "object",
        "required": ["project", "destination"],
        "additionalProperties": False,
        "properties": {
            "project": {"type": "string", "minLength": 1},
            "source": {"$ref": "#/$defs/source"},
            "sources": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/source"}},
            "destination": {"$ref": "#/$defs/destination"},
            "syncPolicy": {"$ref": "#/$defs/syncPolicy"},
        },
        "oneOf": [{"required": ["source"]}, {"required": ["sources"]}],
    },
    "labelSelector": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "matchLabels": _STRING_MAP,
            "matchExpressions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "operator"],
                    "additionalProperties": False,
                    "properties": {
                        "key": {"type": "string"},
                        "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                        "values": _STRINGS,
                    },
                },
            },
        },
    },
}


def _schema(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"argoproj.io/v1alpha1 {kind} (fields used in platform/)",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": "argoproj.io/v1alpha1"},
            "kind": {"const": kind},
            "metadata": {"$ref": "#/$defs/metadata"},
            "spec": spec,
        },
        "$defs": _DEFS,
    }


APPLICATION = _schema("Application", {"$ref": "#/$defs/applicationSpec"})

APPLICATION_SET = _schema(
    "ApplicationSet",
    {
        "type": "object",
        "required": ["generators", "template"],
        "additionalProperties": False,
        "properties": {
            "goTemplate": {"type": "boolean"},
            "goTemplateOptions": _STRINGS,
            "syncPolicy": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "preserveResourcesOnDeletion": {"type": "boolean"},
                    "applicationsSync": {"enum": ["create-only", "create-update", "create-delete", "sync"]},
                },
            },
            "generators": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "clusters": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "selector": {"$ref": "#/$defs/labelSelector"},
                                "values": _STRING_MAP,
                            },
                        },
                    },
                    "minProperties": 1,
                },
            },
            "template": {
                "type": "object",
                "required": ["metadata", "spec"],
                "additionalProperties": False,
                "properties": {
                    "metadata": {"$ref": "#/$defs/templateMetadata"},
                    "spec": {"$ref": "#/$defs/applicationSpec"},
                },
            },
        },
    },
)

APP_PROJECT = _schema(
    "AppProject",
    {
        "type": "object",
        "required": ["sourceRepos", "destinations"],
        "additionalProperties": False,
        "properties": {
            "description": {"type": "string"},
            "sourceRepos": {"type": "array", "minItems": 1, "items": {"type": "string"}},
            "destinations": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["namespace"],
                    "additionalProperties": False,
                    "properties": {"server": {"type": "string"}, "name": {"type": "string"}, "namespace": _NAME},
                },
            },
            "clusterResourceWhitelist": {"$ref": "#/$defs/groupKinds"},
            "clusterResourceBlacklist": {"$ref": "#/$defs/groupKinds"},
            "namespaceResourceWhitelist": {"$ref": "#/$defs/groupKinds"},
            "namespaceResourceBlacklist": {"$ref": "#/$defs/groupKinds"},
        },
    },
)
APP_PROJECT["$defs"] = {
    **_DEFS,
    "groupKinds": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["group", "kind"],
            "additionalProperties": False,
            "properties": {"group": {"type": "string"}, "kind": {"type": "string", "minLength": 1}},
        },
    },
}

# Envelope only: the ExternalSecret template belongs to another part of the project.
EXTERNAL_SECRET: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"enum": ["external-secrets.io/v1", "external-secrets.io/v1beta1"]},
        "kind": {"const": "ExternalSecret"},
        "metadata": {"type": "object", "required": ["name"], "properties": {"name": _NAME}},
        "spec": {"type": "object"},
    },
}

# (API group, kind) -> schema. Objects of these kinds are validated here instead of by kubernetes-validate.
CUSTOM_RESOURCE_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("argoproj.io", "Application"): APPLICATION,
    ("argoproj.io", "ApplicationSet"): APPLICATION_SET,
    ("argoproj.io", "AppProject"): APP_PROJECT,
    ("external-secrets.io", "ExternalSecret"): EXTERNAL_SECRET,
}

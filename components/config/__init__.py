"""Stack configuration models (pydantic v2) and their validation.

Import cost matters: this package is imported by the Pulumi program and by `platformctl`, but never
imports pulumi itself at module level.
"""

from .problems import ConfigError, Problem
from .stack import SECRET_KEYS, SECTIONS, SecretValue, StackConfig, load_stack_config, read_stack_file, validate

__all__ = [
    "SECRET_KEYS",
    "SECTIONS",
    "ConfigError",
    "Problem",
    "SecretValue",
    "StackConfig",
    "load_stack_config",
    "read_stack_file",
    "validate",
]

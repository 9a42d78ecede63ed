"""Where the project lives: the program's own helper (components.paths), re-exported for the CLI."""

from components.paths import PACKAGE_ROOT, project_root

__all__ = ["PACKAGE_ROOT", "project_root"]

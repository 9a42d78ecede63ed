"""One module per add-on, each defining `SPEC` (see components/addons/spec.py). Registered in catalog.py."""

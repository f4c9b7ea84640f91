"""Small, framework-light helpers shared by every app (as Healthchecks' ``hc/lib``).

A module belongs here when it is a few functions that any layer may need and that need no
app of ours: identifier check digits, HTTP download responses, the client's address, the
API's error shape, chart colours. Each module has its own test in ``lib/tests/``. Nothing
here imports an app (the layer contract in ``pyproject.toml`` enforces it).
"""

"""What the runtime carries (docs/architecture.md, "Dependencies"): optional extras stay
optional, every lock pins hashes, and the licence is the canonical Apache-2.0 text."""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# MD5 of https://www.apache.org/licenses/LICENSE-2.0.txt (also Debian's common-licenses copy).
APACHE_2_MD5 = "3b83ef96387f14655fc854ddc3c6bd57"


def _pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text()
    return dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+)", text, flags=re.MULTILINE))


def _name(requirement: str) -> str:
    return re.split(r"[<>=\[ ;]", requirement, maxsplit=1)[0].lower()


def test_the_licence_is_apache_2_verbatim_and_declared():
    assert hashlib.md5((ROOT / "LICENSE").read_bytes()).hexdigest() == APACHE_2_MD5  # noqa: S324
    assert PROJECT["license"] == "Apache-2.0"


def test_heavy_or_demo_only_packages_are_extras_not_runtime_dependencies():
    runtime = {_name(r) for r in PROJECT["dependencies"]}
    assert not {"neurokit2", "faker", "pyarrow"} & runtime
    extras = PROJECT["optional-dependencies"]
    assert [_name(r) for r in extras["hrv-reference"]] == ["neurokit2"]
    assert [_name(r) for r in extras["demo"]] == ["faker"]


def test_the_production_lock_leaves_them_out_and_the_others_add_them():
    production, demo, dev = (_pins(f) for f in ("lock.txt", "demo-lock.txt", "dev-lock.txt"))
    assert not {"neurokit2", "faker", "pyarrow", "scikit-learn", "matplotlib"} & production.keys()
    assert "faker" in demo and "neurokit2" not in demo
    assert {"faker", "neurokit2", "pytest"} <= dev.keys()
    assert "pyarrow" not in dev  # the suite runs without it
    # demo and dev are resolved within the production versions (make lock's -c).
    for pins in (demo, dev):
        assert {k: pins[k] for k in production} == production


@pytest.mark.parametrize("lock", ["lock.txt", "demo-lock.txt", "dev-lock.txt"])
def test_every_locked_package_carries_its_hashes(lock):
    text = (ROOT / "requirements" / lock).read_text()
    blocks = re.split(r"\n(?=[a-z0-9])", text.split("\n", 2)[2])
    pinned = [b for b in blocks if "==" in b.split("\n", 1)[0]]
    assert pinned and all("--hash=sha256:" in b for b in pinned)

"""Print pip constraints pinning every core dependency of pyproject.toml at its declared minimum (>=X -> ==X)."""

import re
from pathlib import Path

import tomllib

project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]
for requirement in project["dependencies"]:
    match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)>=([0-9][0-9.]*)", requirement.replace(" ", ""))
    if match is None:
        raise SystemExit(f"cannot read a minimum version from {requirement!r}: declare it as 'name>=X'")
    name = match.group(1).split("[")[0]
    print(f"{name}=={match.group(2)}")

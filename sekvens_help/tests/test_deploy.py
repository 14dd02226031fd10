"""The systemd units in deploy/ run commands that exist, and the README names every one."""

import configparser
import re
import shlex
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands

DEPLOY = Path(settings.BASE_DIR) / "deploy"
UNITS = sorted(DEPLOY.glob("*.service")) + sorted(DEPLOY.glob("*.timer"))


def unit_read(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(path)
    return unit


def test_deploy_has_the_web_server_the_worker_and_timers():
    names = {path.name for path in UNITS}

    assert {"sekvens-web.service", "sekvens-worker.service", "sekvens-purge.timer"} <= names


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_readme_names_the_unit(path):
    assert f"deploy/{path.name}" in (Path(settings.BASE_DIR) / "README.md").read_text()


@pytest.mark.parametrize("path", sorted(DEPLOY.glob("*.timer")), ids=lambda p: p.name)
def test_timer_has_a_service_to_start(path):
    assert path.with_suffix(".service").exists()
    assert unit_read(path)["Timer"].get("OnCalendar")


@pytest.mark.parametrize("path", sorted(DEPLOY.glob("*.service")), ids=lambda p: p.name)
def test_service_runs_only_commands_this_project_has(path):
    service = unit_read(path)["Service"]
    lines = [v for k, v in service.items() if k in {"ExecStart", "ExecStartPre"}]
    commands = [m for line in lines for m in re.findall(r"manage\.py (\w+)", line)]
    programs = [shlex.split(line)[0] for line in lines]

    assert commands or any(p.endswith(("gunicorn", "daphne")) for p in programs)
    assert set(commands) <= set(get_commands())

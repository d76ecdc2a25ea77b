"""The deployment files in deploy/: systemd accepts the units and rates them well confined, each runs a command
dailypapers has, Caddy accepts its configuration and forwards to where the site listens, and every setting the
environment template names is one dailypapers reads."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import typer
from dotenv import dotenv_values

from dailypapers.cli import load_commands, main
from dailypapers.commands import app
from dailypapers.config import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
INSTALLED = "/opt/dailypapers/.venv/bin/dailypapers"  # where the units expect the program (README, "Run it for a lab")
SERVICES = (
    "dailypapers-web.service",
    "dailypapers-worker.service",
    "dailypapers-scheduler.service",
    "dailypapers-backup.service",
)
ENV_TEMPLATE = DEPLOY / "dailypapers.env.example"
MOST_EXPOSED = 15  # systemd-analyze security's scale, tenths: "1.5 OK" at most


def units_here(tmp_path: Path) -> list[Path]:
    """The units, the installed program's path replaced by a program that exists here (systemd checks it)."""
    copies = []
    for unit in sorted(DEPLOY.glob("*.service")) + sorted(DEPLOY.glob("*.timer")):
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text().replace(INSTALLED, sys.executable))
        copies.append(copy)
    return copies


def test_systemd_accepts_every_unit_without_a_warning(tmp_path):
    units = units_here(tmp_path)
    assert {u.name for u in units} == {*SERVICES, "dailypapers-backup.timer"}
    verified = subprocess.run(["systemd-analyze", "verify", *map(str, units)], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout + verified.stderr == ""  # an unknown or misspelt setting is only a warning


def test_every_service_is_confined(tmp_path):
    for unit in units_here(tmp_path):
        if unit.suffix == ".service":
            rated = subprocess.run(
                ["systemd-analyze", "security", "--offline=yes", f"--threshold={MOST_EXPOSED}", str(unit)],
                capture_output=True,
                text=True,
            )
            assert rated.returncode == 0, rated.stdout[-2000:] + rated.stderr


def dailypapers_commands(unit: Path) -> list[list[str]]:
    """The `dailypapers` command lines a unit runs, inside a `sh -c` script too."""
    found = []
    for line in unit.read_text().splitlines():
        if not line.startswith(("ExecStart=", "ExecStartPost=")):
            continue
        words = shlex.split(line.split("=", 1)[1].replace("%%", "%"))
        if words[:2] == ["/bin/sh", "-c"]:
            words = shlex.split(words[2])
        command: list[str] = []
        for word in [*words, "&&"]:
            if word != "&&":
                command.append(word)
                continue
            if command[:1] == [INSTALLED]:
                found.append(command[1:])
            command = []
    return found


def test_each_service_runs_a_command_dailypapers_has(capsys):
    commands = {name: dailypapers_commands(DEPLOY / name) for name in SERVICES}
    assert [c[0] for c in commands["dailypapers-web.service"]] == ["serve"]
    assert [c[0] for c in commands["dailypapers-worker.service"]] == ["worker"]
    assert [c[0] for c in commands["dailypapers-scheduler.service"]] == ["scheduler"]
    assert commands["dailypapers-backup.service"] == [["backup", "$dest"], ["backup", "--check", "$dest"]]
    for command in sum(commands.values(), []):
        assert main([*command, "--help"]) == 0, capsys.readouterr().err  # every option is one it takes


def command_envvars() -> dict[str, set[str]]:
    """{command: the variables its options read}, for every command of the CLI."""
    load_commands([])
    found: dict[str, set[str]] = {}

    def walk(command, path: str) -> None:
        found[path] = {p.envvar for p in command.params if isinstance(p.envvar, str)}
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(typer.main.get_command(app), "")
    return found


def test_the_environment_template_names_only_settings_dailypapers_reads(monkeypatch):
    text = ENV_TEMPLATE.read_text()
    named = set(re.findall(r"^#?(DAILYPAPERS_[A-Z0-9_]+)=", text, re.MULTILINE))
    envvars = command_envvars()
    read = {f"DAILYPAPERS_{field.upper()}" for field in Settings.model_fields} | set().union(*envvars.values())
    assert named and named <= read, named - read
    # The background services take their categories and digest time from it, whichever of the two runs.
    for command in ("worker", "scheduler"):
        assert {"DAILYPAPERS_INGEST_CATEGORIES", "DAILYPAPERS_DIGEST_AT"} <= envvars[command]
    # No secret in it: those stay commented out, to be made by the commands it gives.
    values = dotenv_values(ENV_TEMPLATE)
    assert not {"DAILYPAPERS_SECRET_KEY", "DAILYPAPERS_SMTP_PASSWORD"} & set(values)
    for name in [n for n in os.environ if n.startswith("DAILYPAPERS_")]:
        monkeypatch.delenv(name)
    settings = Settings(_env_file=ENV_TEMPLATE)  # each value has the type its setting takes
    assert settings.base_url == values["DAILYPAPERS_BASE_URL"] and settings.smtp_port == 587


def test_caddy_serves_the_base_url_and_forwards_to_the_web_service():
    adapted = subprocess.run(
        ["caddy", "adapt", "--config", str(DEPLOY / "Caddyfile"), "--validate"], capture_output=True, text=True
    )
    assert adapted.returncode == 0, adapted.stderr
    config = json.loads(adapted.stdout)
    [server] = config["apps"]["http"]["servers"].values()
    [route] = server["routes"]
    values = dotenv_values(ENV_TEMPLATE)
    assert route["match"] == [{"host": [urlsplit(values["DAILYPAPERS_BASE_URL"]).hostname]}]
    dials = re.findall(r'"dial":\s*"([^"]+)"', json.dumps(route))
    [serve] = dailypapers_commands(DEPLOY / "dailypapers-web.service")
    listens = f"{serve[serve.index('--host') + 1]}:{serve[serve.index('--port') + 1]}"
    assert dials == [listens]
    # Caddy reaches the site over loopback, so requests come from there: the proxy the site is told to believe.
    assert values["DAILYPAPERS_TRUSTED_PROXIES"] == listens.rsplit(":", 1)[0] == "127.0.0.1"


def test_the_readme_commands_of_an_install_are_ones_dailypapers_takes(capsys):
    readme = (DEPLOY.parent / "README.md").read_text()
    section = readme.split("## Run it for a lab", 1)[1].split("\n## Many machines", 1)[0]
    commands = [
        shlex.split(part.strip().removeprefix("dp "), comments=True)
        for line in re.findall(r"^dp (.+)$", section, re.MULTILINE)
        for part in f"dp {line}".split("&&")
    ]
    assert {c[0] for c in commands} >= {"users", "ingest", "index", "backup", "restore"}
    for command in commands:
        assert main([*command, "--help"]) == 0, (command, capsys.readouterr().err)

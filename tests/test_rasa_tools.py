"""Rasa's own command line keeps working on the project's files (docs/rasa.md): `rasa data validate`
finds nothing wrong, and the test stories of tests/stories/ pass `rasa test core` with the trained model.

Both run Rasa as a separate process, as a developer would type it."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAIN, DATA, CONFIG, STORIES = "bot/domain", "bot/data", "config.yml", "tests/stories"


def rasa(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    from bot.plumbing.build import _env, _rasa

    # LOG_LEVEL: Rasa run in-process by earlier tests leaves its own level in os.environ
    return subprocess.run(_rasa() + list(args), cwd=ROOT, env={**_env(), "LOG_LEVEL": "INFO"},
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_rasa_data_validate_finds_nothing_wrong():
    done = rasa("data", "validate", "--domain", DOMAIN, "--data", DATA, "--config", CONFIG)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "No story structure conflicts found" in done.stdout + done.stderr


def test_the_generated_part_of_the_domain_is_what_the_facts_make():
    from bot.plumbing import rasa_domain

    assert rasa_domain.current(), "bot/domain/facts.yml is out of date: run python -m bot.plumbing.rasa_domain"


@pytest.mark.slow
def test_the_test_stories_pass_rasa_test(tmp_path):
    from bot.plumbing.build import ensure_model

    model = ensure_model()
    out = tmp_path / "results"
    done = rasa("test", "core", "--model", str(model), "--stories", STORIES, "--out", str(out),
                "--fail-on-prediction-errors")
    report = out / "story_report.json"
    failed = (out / "failed_test_stories.yml").read_text(encoding="utf-8") if (out / "failed_test_stories.yml").exists() else ""
    assert done.returncode == 0, failed or (done.stdout[-3000:] + done.stderr[-3000:])
    if report.exists():
        scores = json.loads(report.read_text(encoding="utf-8"))
        assert scores.get("conversation_accuracy", {}).get("accuracy", 1.0) == 1.0

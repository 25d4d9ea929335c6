"""The step runner: a state file per procedure, resume skipping only a verified-complete prefix, and every
failure a StepFailedError naming the step and the state it left; private files are 0600 in 0700 dirs."""

from __future__ import annotations

import json
import stat

import pytest

from quayops.backup.steps import (
    Procedure,
    Step,
    create_private_directory,
    open_private,
    write_private_file,
)
from quayops.errors import PreconditionFailed, StepFailedError


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class Calls:
    """Steps a, b, c recording their runs; `fail` names a step that raises once."""

    def __init__(self, fail: str | None = None) -> None:
        self.ran: list[str] = []
        self.fail = fail
        self.valid = {"a": True, "b": True, "c": True}

    def step(self, name: str) -> Step:
        def run(ctx):
            self.ran.append(name)
            if self.fail == name:
                self.fail = None
                raise RuntimeError(f"{name} broke at postgresql://quay:hunter22@db:5432/quay")
            return {"seen": sorted(ctx.outputs)}
        return Step(name, run, verify=lambda ctx, out: [] if self.valid[name] else [f"{name} undone"])

    def procedure(self, **kwargs) -> Procedure:
        return Procedure("backup", [self.step(n) for n in "abc"], **kwargs)


def test_steps_run_in_order_and_see_earlier_outputs(tmp_path):
    calls = Calls()

    result = calls.procedure().run(tmp_path / "b")

    assert calls.ran == ["a", "b", "c"]
    assert result.outputs == {"a": {"seen": []}, "b": {"seen": ["a"]}, "c": {"seen": ["a", "b"]}}
    state = json.loads((tmp_path / "b" / "backup.state.json").read_text())
    assert {n: s["status"] for n, s in state["steps"].items()} == {"a": "completed", "b": "completed",
                                                                   "c": "completed"}


def test_a_failure_names_the_step_and_how_to_resume_and_hides_passwords(tmp_path):
    calls = Calls(fail="b")

    with pytest.raises(StepFailedError) as caught:
        calls.procedure().run(tmp_path / "b")

    error = caught.value
    assert error.step == "b" and isinstance(error.__cause__, RuntimeError)
    assert str(error) == (
        "backup: step 'b' failed: b broke at postgresql://quay:*****@db:5432/quay. Steps completed: a "
        f"(recorded in {tmp_path / 'b' / 'backup.state.json'}). Run again with resume to continue from 'b'.")
    state = (tmp_path / "b" / "backup.state.json").read_text()
    assert "hunter22" not in state and json.loads(state)["steps"]["b"]["status"] == "failed"


def test_resume_skips_verified_steps_and_runs_the_rest(tmp_path):
    calls = Calls(fail="b")
    with pytest.raises(StepFailedError):
        calls.procedure().run(tmp_path / "b")

    result = calls.procedure().run(tmp_path / "b", resume=True)

    assert calls.ran == ["a", "b", "b", "c"]
    assert [(r.name, r.status) for r in result.steps] == [("a", "resumed"), ("b", "completed"), ("c", "completed")]


def test_a_step_that_no_longer_verifies_runs_again_and_so_does_everything_after_it(tmp_path):
    calls = Calls()
    calls.procedure().run(tmp_path / "b")
    calls.valid["b"] = False

    with pytest.raises(StepFailedError, match="step 'b' failed: ran but did not verify: b undone"):
        calls.procedure().run(tmp_path / "b", resume=True)
    calls.valid["b"] = True
    calls.procedure().run(tmp_path / "b", resume=True)

    assert calls.ran == ["a", "b", "c", "b", "b", "c"]


def test_on_failure_says_what_state_was_left(tmp_path):
    seen = []

    def scale_back_up(step, error, ctx):
        seen.append((step, type(error).__name__, sorted(ctx.outputs)))
        return "Quay was scaled back up; resume with `quayops backup create r -n ns --resume`."

    with pytest.raises(StepFailedError) as caught:
        Calls(fail="c").procedure(on_failure=scale_back_up).run(tmp_path / "b")

    assert seen == [("c", "RuntimeError", ["a", "b"])]
    assert caught.value.hint == "Quay was scaled back up; resume with `quayops backup create r -n ns --resume`."


def test_a_failing_hook_is_reported_without_hiding_the_step_error(tmp_path):
    def broken(step, error, ctx):
        raise OSError("cannot reach the API")

    with pytest.raises(StepFailedError) as caught:
        Calls(fail="a").procedure(on_failure=broken).run(tmp_path / "b")

    assert caught.value.step == "a"
    assert caught.value.hint == "Cleaning up after the failure also failed: cannot reach the API."


def test_an_unmet_precondition_fails_the_step_before_it_runs(tmp_path):
    ran = []
    step = Step("quiesce", lambda ctx: ran.append(1), check=lambda ctx: ["quay-app pods still running: 2"])

    with pytest.raises(StepFailedError) as caught:
        Procedure("backup", [step]).run(tmp_path / "b")

    assert ran == [] and isinstance(caught.value.__cause__, PreconditionFailed)
    assert "step 'quiesce' failed: precondition not met: quay-app pods still running: 2." in str(caught.value)


def test_a_directory_with_a_finished_run_is_not_reused_without_resume(tmp_path):
    Calls().procedure().run(tmp_path / "b")

    with pytest.raises(PreconditionFailed, match="already holds a run of 'backup'"):
        Calls().procedure().run(tmp_path / "b")


def test_private_files_are_0600_in_a_0700_directory(tmp_path):
    directory = create_private_directory(tmp_path / "secrets")
    write_private_file(directory / "managed-secret-keys.yaml", "DB_ROOT_PW: x")
    with open_private(directory / "dump.sql") as out:
        out.write(b"--")

    assert mode(directory) == 0o700
    assert mode(directory / "managed-secret-keys.yaml") == mode(directory / "dump.sql") == 0o600
    (tmp_path / "loose").mkdir(mode=0o755)
    assert mode(create_private_directory(tmp_path / "loose")) == 0o700


def test_a_failed_private_write_leaves_nothing_behind(tmp_path):
    with pytest.raises(ValueError), open_private(tmp_path / "dump.sql") as out:
        out.write(b"half")
        raise ValueError("stream cut")

    assert list(tmp_path.iterdir()) == []


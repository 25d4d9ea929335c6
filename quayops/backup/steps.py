"""Resumable ordered steps with a JSON state file in the backup directory, and the private-file helpers
(0600 files in 0700 directories) every backup writer uses."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NoReturn

from quayops.errors import PreconditionFailed, QuayopsError, StepFailedError
from quayops.redaction import mask_uri

STATE_SUFFIX = ".state.json"  # <procedure>.state.json: a backup and its restore keep separate records
FILE_MODE = 0o600
DIR_MODE = 0o700
MAX_REASON = 500  # foreign error text is truncated (STYLE §7)


def create_private_directory(path: str | Path) -> Path:
    """Create `path` (and parents) and make it 0700, also when it already existed."""
    path = Path(path)
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    path.chmod(DIR_MODE)
    return path


@contextlib.contextmanager
def open_private(path: str | Path, *, temp_dir: str | Path | None = None) -> Iterator[IO[bytes]]:
    """A binary file opened for writing that appears at `path`, mode 0600, only when the block succeeds.

    It is written under a temporary name (in `temp_dir`, which must be on the same filesystem, else beside
    `path`) and renamed into place, so a killed writer never leaves a partial file under the real name.
    """
    path = Path(path)
    fd, temp = tempfile.mkstemp(prefix=".partial-", dir=temp_dir or path.parent)  # mkstemp creates 0600
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_private_file(path: str | Path, data: bytes | str) -> None:
    """Write `data` to `path` atomically, mode 0600."""
    with open_private(path) as out:
        out.write(data.encode() if isinstance(data, str) else data)
        out.flush()
        os.fsync(out.fileno())


def write_json(path: str | Path, value: Any) -> None:
    """Write `value` as indented JSON to `path` atomically, mode 0600."""
    write_private_file(path, json.dumps(value, indent=2, sort_keys=True) + "\n")


def describe_error(error: BaseException) -> str:
    """An error as one line for a state file or a message: URI passwords masked, truncated; a quayops
    error without its hint, which the caller places."""
    text = error.message if isinstance(error, QuayopsError) else str(error)
    text = " ".join(text.split()) or type(error).__name__
    text = mask_uri(text)
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


@dataclass
class StepContext:
    """What a step sees: the backup directory, the outputs and durations of the steps before it, whether this is
    a resume, and how each step ended in earlier runs (`recorded`, from the state file)."""

    directory: Path
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    resuming: bool = False
    recorded: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """One step: `check` lists unmet preconditions, `run` acts and returns JSON-able outputs, `verify` lists
    problems with the outputs. A completed step whose `verify` still passes is skipped on resume."""

    name: str
    run: Callable[[StepContext], Mapping[str, Any] | None]
    check: Callable[[StepContext], Iterable[str]] | None = None
    verify: Callable[[StepContext, Mapping[str, Any]], Iterable[str]] | None = None


@dataclass(frozen=True)
class StepRecord:
    """How one step went in this run: `completed`, or `resumed` (done in an earlier run and verified again)."""

    name: str
    status: str
    seconds: float
    outputs: dict[str, Any]


@dataclass
class ProcedureResult:
    name: str
    directory: Path
    steps: list[StepRecord] = field(default_factory=list)

    @property
    def outputs(self) -> dict[str, dict[str, Any]]:
        return {r.name: r.outputs for r in self.steps}

    @property
    def timings(self) -> dict[str, float]:
        return {r.name: r.seconds for r in self.steps}

    def __str__(self) -> str:
        done = ", ".join(f"{r.name} {r.status}" for r in self.steps)
        return f"{self.name} in {self.directory}: {done}"


# on_failure(step name, error, context) -> what state the failure left, e.g. "Quay is scaled down; ..."
FailureHook = Callable[[str, BaseException, StepContext], str | None]


class Procedure:
    """Runs steps in order and records each in `<directory>/<name>.state.json`; every failure is a StepFailedError.

    `on_failure` runs before the error is raised (to scale Quay back up, say) and returns the sentence that
    tells the user what state was left; without it the message names the completed steps and how to resume.
    """

    def __init__(self, name: str, steps: Sequence[Step], *, on_failure: FailureHook | None = None) -> None:
        names = [s.name for s in steps]
        if len(set(names)) != len(names):
            raise ValueError(f"procedure {name!r} has duplicate step names: {names}")
        self.name = name
        self.steps = list(steps)
        self.on_failure = on_failure

    def run(self, directory: str | Path, *, resume: bool = False) -> ProcedureResult:
        """Run every step (skipping verified-complete ones when resuming); returns their records."""
        directory = create_private_directory(directory)
        state_path = directory / (self.name + STATE_SUFFIX)
        state = self._load_state(state_path, resume=resume)
        ctx = StepContext(directory=directory, resuming=resume,
                          recorded={k: dict(v) for k, v in state["steps"].items()})
        result = ProcedureResult(self.name, directory)
        # only a verified-complete prefix is skipped: once a step runs again (a new quiesced moment, say),
        # every step after it must run too
        skipping = resume
        for step in self.steps:
            done = state["steps"].get(step.name, {})
            skipping = skipping and done.get("status") == "completed" and not self._problems(
                step.verify, ctx, done["outputs"])
            if skipping:
                ctx.outputs[step.name], ctx.timings[step.name] = done["outputs"], done.get("seconds", 0.0)
                result.steps.append(StepRecord(step.name, "resumed", ctx.timings[step.name], done["outputs"]))
                continue
            started = time.monotonic()
            try:
                outputs = self._run_step(step, ctx, state, state_path)
            except Exception as e:  # noqa: BLE001 - every failure becomes a StepFailedError naming the step
                self._fail(step, e, ctx, state, state_path, completed=[r.name for r in result.steps])
            seconds = round(time.monotonic() - started, 3)
            state["steps"][step.name] = {"status": "completed", "outputs": outputs, "seconds": seconds,
                                         "finished": time.time()}
            write_json(state_path, state)
            ctx.outputs[step.name], ctx.timings[step.name] = outputs, seconds
            result.steps.append(StepRecord(step.name, "completed", seconds, outputs))
        return result

    def _load_state(self, state_path: Path, *, resume: bool) -> dict[str, Any]:
        if not state_path.exists():
            return {"procedure": self.name, "steps": {}}
        state = json.loads(state_path.read_text())
        if not resume and any(s.get("status") == "completed" for s in state["steps"].values()):
            raise PreconditionFailed(
                f"{state_path.parent} already holds a run of {self.name!r}.",
                hint="Resume it (resume=True) or use an empty directory. Nothing was changed.")
        return state

    @staticmethod
    def _problems(fn: Callable[..., Iterable[str]] | None, *args: Any) -> list[str]:
        return [] if fn is None else list(fn(*args))

    def _run_step(self, step: Step, ctx: StepContext, state: dict[str, Any], state_path: Path) -> dict[str, Any]:
        if unmet := self._problems(step.check, ctx):
            raise PreconditionFailed("precondition not met: " + "; ".join(unmet), step=step.name)
        state["steps"][step.name] = {"status": "running", "started": time.time()}
        write_json(state_path, state)
        outputs = dict(step.run(ctx) or {})
        json.dumps(outputs)  # outputs go to the state file: fail here, naming the step, if they cannot
        if problems := self._problems(step.verify, ctx, outputs):
            raise RuntimeError("ran but did not verify: " + "; ".join(problems))
        return outputs

    def _fail(self, step: Step, error: Exception, ctx: StepContext, state: dict[str, Any], state_path: Path,
              *, completed: list[str]) -> NoReturn:
        reason = describe_error(error)
        state["steps"][step.name] = {"status": "failed", "error": reason, "error_type": type(error).__name__,
                                     "finished": time.time()}
        write_json(state_path, state)
        left = None
        if self.on_failure is not None:
            try:
                left = self.on_failure(step.name, error, ctx)
            except Exception as hook_error:  # noqa: BLE001 - the step's error stays the one raised
                left = f"Cleaning up after the failure also failed: {describe_error(hook_error)}."
        if left is None:
            done = ", ".join(completed) if completed else "none"
            left = (f"Steps completed: {done} (recorded in {state_path}). "
                    f"Run again with resume to continue from {step.name!r}.")
        cause_hint = error.hint if isinstance(error, QuayopsError) and error.hint else None
        raise StepFailedError(f"{self.name}: step {step.name!r} failed: {reason}.", step=step.name,
                              hint=f"{cause_hint} {left}" if cause_hint else left) from error

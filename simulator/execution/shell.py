"""A small POSIX-like shell and the built-in commands of a simulated container.

Supported: `sh -c` / `bash -c` scripts (or a script on stdin) made of simple commands joined by `|`, `;`,
`&&`, `||` and newlines; redirections `<`, `>`, `>>`, `2>`, `2>&1`, `>&2` (writable: /tmp, /var/tmp; /dev/null);
single and double quotes, backslash escapes, `$VAR`, `${VAR}` and `$?` (expanded per line). Not supported:
quotes across lines, subshells, `$(...)`, globbing, functions, control flow. Built-ins: cat, echo, env, printenv, ls, rm, true, false, hostname, sleep, exit.
Errors read as dash's (`sh: 1: foo: not found`, exit 127) or bash's for `bash -c`.
"""

from __future__ import annotations

import asyncio
import posixpath
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from simulator.execution.containers import Container
from simulator.execution.pipes import Discard, Empty, Pipe, Sink, Source

CHUNK = 64 * 1024
SHELLS = ("sh", "bash")
_VAR = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<name>[A-Za-z_][A-Za-z0-9_]*|\?))")
_OPERATORS = ("&&", "||", ">>", ">", "<", "|", ";", "\n")


@dataclass
class Invocation:
    """One command's argv and standard streams, in its container."""

    argv: list[str]
    stdin: Source
    stdout: Sink
    stderr: Sink
    container: Container
    env: dict[str, str] = field(default_factory=dict)


Program = Callable[[Invocation], Awaitable[int]]


class ShellSyntaxError(Exception):
    pass


class _Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


@dataclass
class _Command:
    words: list[str] = field(default_factory=list)
    redirects: list[tuple[str, str]] = field(default_factory=list)


def tokenize(script: str, env: Mapping[str, str], status: int = 0) -> list[tuple[str, str]]:
    """(`word`, text) and (`op`, operator) tokens; quotes removed, variables expanded (no field splitting)."""
    tokens: list[tuple[str, str]] = []
    word: list[str] = []
    in_word = False
    i, n = 0, len(script)

    def expand(text: str) -> str:
        return _VAR.sub(lambda m: str(status) if m.group("name") == "?" else
                        env.get(m.group("braced") or m.group("name"), ""), text)

    def end_word() -> None:
        nonlocal in_word
        if in_word:
            tokens.append(("word", "".join(word)))
        word.clear()
        in_word = False

    while i < n:
        ch = script[i]
        if ch in " \t":
            end_word()
            i += 1
        elif ch == "#" and not in_word:
            while i < n and script[i] != "\n":
                i += 1
        elif ch == "'":
            end = script.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("Unterminated quoted string")
            word.append(script[i + 1:end])
            in_word, i = True, end + 1
        elif ch == '"':
            j, part = i + 1, []
            while j < n and script[j] != '"':
                if script[j] == "\\" and j + 1 < n and script[j + 1] in '"\\$`':
                    part.append(script[j + 1])
                    j += 2
                else:
                    part.append(script[j])
                    j += 1
            if j >= n:
                raise ShellSyntaxError("Unterminated quoted string")
            word.append(expand("".join(part)))
            in_word, i = True, j + 1
        elif ch == "\\" and i + 1 < n:
            if script[i + 1] != "\n":
                word.append(script[i + 1])
                in_word = True
            i += 2
        elif ch == "$":
            m = _VAR.match(script, i)
            if m:
                word.append(expand(m.group(0)))
                in_word, i = True, m.end()
            else:
                word.append(ch)
                in_word, i = True, i + 1
        elif ch == ">" and "".join(word) == "2" and in_word:
            word.clear()
            in_word = False
            if script.startswith(">&1", i):
                tokens.append(("op", "2>&1"))
                i += 3
            else:
                tokens.append(("op", "2>"))
                i += 1
        elif script.startswith(">&2", i) and "".join(word) in ("", "1"):
            word.clear()
            in_word = False
            tokens.append(("op", ">&2"))
            i += 3
        elif any(script.startswith(op, i) for op in _OPERATORS) or ch == "&":
            end_word()
            op = next((op for op in _OPERATORS if script.startswith(op, i)), ch)
            if op == "&":
                raise ShellSyntaxError('"&" unexpected')  # background jobs are out of scope
            tokens.append(("op", ";" if op == "\n" else op))
            i += len(op)
        else:
            word.append(ch)
            in_word, i = True, i + 1
    end_word()
    return tokens


def parse(tokens: list[tuple[str, str]]) -> list[tuple[str, list[_Command]]]:
    """[(connector, pipeline)]: the connector (`;`, `&&`, `||`) before each pipeline of commands."""
    items: list[tuple[str, list[_Command]]] = []
    connector, pipeline, command = ";", [], _Command()
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        if kind == "word":
            command.words.append(text)
        elif text in ("<", ">", ">>", "2>"):
            if i + 1 >= len(tokens) or tokens[i + 1][0] != "word":
                following = tokens[i + 1][1] if i + 1 < len(tokens) else "end of file"
                raise ShellSyntaxError(f'"{following}" unexpected' if i + 1 < len(tokens) else
                                       "redirection unexpected")
            command.redirects.append((text, tokens[i + 1][1]))
            i += 1
        elif text in ("2>&1", ">&2"):
            command.redirects.append((text, ""))
        else:  # | ; && ||
            if not command.words and not command.redirects:
                if text == ";" and not pipeline:
                    i += 1
                    continue
                raise ShellSyntaxError(f'"{text}" unexpected')
            pipeline.append(command)
            command = _Command()
            if text != "|":
                items.append((connector, pipeline))
                connector, pipeline = text, []
        i += 1
    if command.words or command.redirects:
        pipeline.append(command)
    elif pipeline:
        raise ShellSyntaxError("end of file unexpected")
    if pipeline:
        items.append((connector, pipeline))
    elif connector in ("&&", "||"):
        raise ShellSyntaxError("end of file unexpected")
    return items


class Shell:
    """Runs argv (as the container runtime would) or scripts, with `programs` on the container's PATH."""

    def __init__(self, container: Container, programs: Mapping[str, Program]) -> None:
        self.container = container
        self.programs = {**BUILTINS, **programs}
        for name in SHELLS:
            self.programs[name] = self._shell_program(name)

    def which(self, name: str) -> Program | None:
        """A bare name, or a path in a PATH directory (`/usr/bin/psql`), → its program."""
        if "/" in name:
            directory, base = posixpath.split(posixpath.normpath(name))
            path_dirs = self.container.env.get("PATH", "").split(":")
            return self.programs.get(base) if directory in path_dirs else None
        return self.programs.get(name)

    async def exec(self, argv: list[str], *, stdin: Source, stdout: Sink, stderr: Sink) -> int:
        """Run argv without a shell; an unknown executable fails as runc reports it, exit 126."""
        program = self.which(argv[0])
        if program is None:
            await stderr.write(
                f'OCI runtime exec failed: exec failed: unable to start container process: exec: "{argv[0]}": '
                "executable file not found in $PATH: unknown\n".encode())
            return 126
        return await program(Invocation(list(argv), stdin, stdout, stderr, self.container,
                                        dict(self.container.env)))

    def _shell_program(self, shell: str) -> Program:
        async def run(inv: Invocation) -> int:
            args = inv.argv[1:]
            if args[:1] == ["-c"]:
                if len(args) < 2:
                    await inv.stderr.write(f"{shell}: -c: option requires an argument\n".encode())
                    return 2
                return await self.run_script(args[1], shell=shell, stdin=inv.stdin, stdout=inv.stdout,
                                             stderr=inv.stderr, env=inv.env)
            if args and not args[0].startswith("-"):
                try:
                    script = self.container.read(args[0]).decode()
                except OSError:
                    await inv.stderr.write(f"{shell}: 0: cannot open {args[0]}: No such file\n".encode())
                    return 2
                return await self.run_script(script, shell=shell, stdin=inv.stdin, stdout=inv.stdout,
                                             stderr=inv.stderr, env=inv.env)
            chunks = []
            while chunk := await inv.stdin.read():
                chunks.append(chunk)
            return await self.run_script(b"".join(chunks).decode(errors="replace"), shell=shell, stdin=Empty(),
                                         stdout=inv.stdout, stderr=inv.stderr, env=inv.env)
        return run

    async def run_script(self, script: str, *, shell: str, stdin: Source, stdout: Sink, stderr: Sink,
                         env: dict[str, str]) -> int:
        """Run a script's pipelines in order, honouring `&&`/`||`; the status of the last one that ran."""
        status = 0
        lines = script.split("\n")
        for number, line in enumerate(lines, start=1):
            say = _Reporter(shell, number, stderr)
            try:
                items = parse(tokenize(line, env, status))
            except ShellSyntaxError as e:
                await say.syntax(str(e))
                return 2
            for connector, pipeline in items:
                if (connector == "&&" and status != 0) or (connector == "||" and status == 0):
                    continue
                try:
                    status = await self._pipeline(pipeline, say, stdin, stdout, stderr, env)
                except _Exit as e:
                    return e.code
        return status

    async def _pipeline(self, pipeline: list[_Command], say: _Reporter, stdin: Source, stdout: Sink,
                        stderr: Sink, env: dict[str, str]) -> int:
        if len(pipeline) == 1:
            return await self._command(pipeline[0], say, stdin, stdout, stderr, env)
        pipes = [Pipe() for _ in pipeline[1:]]
        sources: list[Source] = [stdin, *pipes]
        sinks: list[Sink] = [*pipes, stdout]

        async def stage(i: int) -> int:
            try:
                return await self._command(pipeline[i], say, sources[i], sinks[i], stderr, env)
            finally:
                if i < len(pipes):
                    await pipes[i].close()
                if i > 0:
                    pipes[i - 1].abandon()

        codes = await asyncio.gather(*(stage(i) for i in range(len(pipeline))), return_exceptions=True)
        for code in codes:
            if isinstance(code, BaseException) and not isinstance(code, _Exit):
                raise code
        last = codes[-1]
        return last.code if isinstance(last, _Exit) else int(last)

    async def _command(self, command: _Command, say: _Reporter, stdin: Source, stdout: Sink, stderr: Sink,
                       env: dict[str, str]) -> int:
        opened: list[_FileSink] = []
        try:
            for op, target in command.redirects:
                if op == "2>&1":
                    stderr = stdout
                elif op == ">&2":
                    stdout = stderr
                elif op == "<":
                    if target == "/dev/null":
                        stdin = Empty()
                        continue
                    try:
                        stdin = _BytesSource(self.container.read(target))
                    except OSError:
                        await say.error(f"cannot open {target}: No such file")
                        return 2
                else:
                    sink = self._open_for_writing(target, append=op == ">>")
                    if sink is None:
                        await say.error(f"cannot create {target}: Permission denied")
                        return 2
                    if isinstance(sink, _FileSink):
                        opened.append(sink)
                    if op == "2>":
                        stderr = sink
                    else:
                        stdout = sink
            if not command.words:
                return 0
            name = command.words[0]
            if name == "exit":
                raise _Exit(int(command.words[1]) if len(command.words) > 1 and command.words[1].isdigit() else 0)
            program = self.which(name)
            if program is None:
                await say.not_found(name)
                return 127
            return await program(Invocation(command.words, stdin, stdout, stderr, self.container, env))
        finally:
            for sink in opened:
                await sink.close()

    def _open_for_writing(self, path: str, *, append: bool) -> Sink | None:
        if path == "/dev/null":
            return Discard()
        host = self.container.host_path(path)
        if host is None:
            return None
        host.parent.mkdir(parents=True, exist_ok=True)
        return _FileSink(host.open("ab" if append else "wb"))


class _Reporter:
    """Shell diagnostics in dash's (`sh: 1: ...`) or bash's (`bash: line 1: ...`) words."""

    def __init__(self, shell: str, line: int, stderr: Sink) -> None:
        self.shell, self.line, self.stderr = shell, line, stderr

    def _prefix(self) -> str:
        return f"bash: line {self.line}: " if self.shell == "bash" else f"sh: {self.line}: "

    async def error(self, message: str) -> None:
        await self.stderr.write(f"{self._prefix()}{message}\n".encode())

    async def not_found(self, name: str) -> None:
        await self.error(f"{name}: command not found" if self.shell == "bash" else f"{name}: not found")

    async def syntax(self, message: str) -> None:
        if self.shell == "bash":
            await self.error(f"syntax error: {message}")
        else:
            await self.error(f"Syntax error: {message}")


class _BytesSource:
    def __init__(self, data: bytes) -> None:
        self._chunks = [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]

    async def read(self) -> bytes:
        return self._chunks.pop(0) if self._chunks else b""


class _FileSink:
    def __init__(self, file) -> None:
        self._file = file

    async def write(self, data: bytes) -> None:
        self._file.write(data)

    async def close(self) -> None:
        self._file.close()


# ---- built-ins ----------------------------------------------------------------------------------

async def _cat(inv: Invocation) -> int:
    paths = [a for a in inv.argv[1:] if a != "-u"] or ["-"]
    status = 0
    for path in paths:
        if path == "-":
            while chunk := await inv.stdin.read():
                await inv.stdout.write(chunk)
            continue
        try:
            data = inv.container.read(path)
        except IsADirectoryError:
            await inv.stderr.write(f"cat: {path}: Is a directory\n".encode())
            status = 1
            continue
        except OSError:
            await inv.stderr.write(f"cat: {path}: No such file or directory\n".encode())
            status = 1
            continue
        for i in range(0, len(data), CHUNK):
            await inv.stdout.write(data[i:i + CHUNK])
    return status


async def _ls(inv: Invocation) -> int:
    flags = "".join(a[1:] for a in inv.argv[1:] if a.startswith("-"))
    paths = [a for a in inv.argv[1:] if not a.startswith("-")] or ["."]
    status, out = 0, []
    for path in paths:
        full = posixpath.normpath(posixpath.join("/", path))
        names = None
        if inv.container.is_dir(full):
            names = [n for n in inv.container.listdir(full) if "a" in flags or not n.startswith(".")]
        else:
            try:
                inv.container.read(full)
            except OSError:
                await inv.stderr.write(f"ls: cannot access '{path}': No such file or directory\n".encode())
                status = 2
                continue
        out.append((path, names))
    text = []
    for path, names in out:
        if names is None:
            text.append(path + "\n")
        elif len(out) > 1:
            text.append(f"{path}:\n" + "".join(n + "\n" for n in names) + "\n")
        else:
            text.append("".join(n + "\n" for n in names))
    await inv.stdout.write("".join(text).rstrip("\n").encode() + (b"\n" if text and "".join(text).strip() else b""))
    return status


async def _env(inv: Invocation) -> int:
    if len(inv.argv) > 1:
        await inv.stderr.write(f"env: '{inv.argv[1]}': No such file or directory\n".encode())
        return 127
    await inv.stdout.write("".join(f"{k}={v}\n" for k, v in inv.env.items()).encode())
    return 0


async def _printenv(inv: Invocation) -> int:
    if len(inv.argv) == 1:
        return await _env(Invocation(["env"], inv.stdin, inv.stdout, inv.stderr, inv.container, inv.env))
    found = [inv.env[name] for name in inv.argv[1:] if name in inv.env]
    await inv.stdout.write("".join(v + "\n" for v in found).encode())
    return 0 if len(found) == len(inv.argv) - 1 else 1


async def _echo(inv: Invocation) -> int:
    args = inv.argv[1:]
    newline = args[:1] != ["-n"]
    text = " ".join(args[1:] if not newline else args)
    await inv.stdout.write((text + ("\n" if newline else "")).encode())
    return 0


async def _rm(inv: Invocation) -> int:
    force = any(a.startswith("-") and "f" in a for a in inv.argv[1:])
    status = 0
    for path in (a for a in inv.argv[1:] if not a.startswith("-")):
        host = inv.container.host_path(path)
        if host is not None and host.is_file():
            host.unlink()
        elif host is None and (inv.container.is_dir(path) or posixpath.normpath(path) in inv.container.files):
            await inv.stderr.write(f"rm: cannot remove '{path}': Read-only file system\n".encode())
            status = 1
        elif not force:
            await inv.stderr.write(f"rm: cannot remove '{path}': No such file or directory\n".encode())
            status = 1
    return status


async def _hostname(inv: Invocation) -> int:
    await inv.stdout.write(f"{inv.container.pod_name}\n".encode())
    return 0


async def _sleep(inv: Invocation) -> int:
    try:
        await asyncio.sleep(float(inv.argv[1]) if len(inv.argv) > 1 else 0)
    except ValueError:
        await inv.stderr.write(f"sleep: invalid time interval '{inv.argv[1]}'\n".encode())
        return 1
    return 0


async def _true(inv: Invocation) -> int:
    return 0


async def _false(inv: Invocation) -> int:
    return 1


BUILTINS: dict[str, Program] = {"cat": _cat, "ls": _ls, "env": _env, "printenv": _printenv, "echo": _echo,
                                "rm": _rm, "hostname": _hostname, "sleep": _sleep, "true": _true,
                                "false": _false}

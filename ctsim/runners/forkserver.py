"""The warm task server ("zygote"): a Python process that has imported heavy third-party modules once and forks
one child per kfp.local task, so a task starts in milliseconds instead of re-importing pandas and scikit-learn.

It runs as a *script* (``python forkserver.py FD``), standard library only, so nothing of ctsim or of the team's
code is ever imported here: the child imports those itself, fresh, exactly as a new interpreter would. It talks
to its parent only, over one end of a ``socketpair`` inherited as FD (no path anyone else could connect to),
in length-prefixed JSON frames; a task's stdin/stdout/stderr travel as file descriptors (SCM_RIGHTS).

    parent -> {"preload": [...], "main_thread": bool}
    server -> {"ready": ..., "loaded", "failed", "env_read"}
    parent -> {"program", "args", "env", "cwd"} + 3 fds
    server -> {"pid": n} | {"refused": why}, then {"status": n}

The child replays what kfp.local's task command (``sh -ec 'program_path=$(mktemp -d); printf "%s" "$0" >
$program_path/ephemeral_component.py; _KFP_RUNTIME=true python3 -m kfp.dsl.executor_main ...' PROGRAM ARGS``)
does: the same temp file, environment, working directory, argv, streams and exit status (a child killed by
signal N reports 128+N, as ``sh`` does). A module that reads a variable at import time would have frozen it
here: every variable read during the preload is recorded, and a task whose environment differs in one of them,
or in a variable native libraries read at load (thread counts, allocator, locale), is refused and runs cold.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import struct
import sys

# Variables C libraries read when loaded (no Python-level read to record) and interpreter start-up settings.
NATIVE_PREFIXES = (
    "PYTHON",
    "OMP_",
    "OPENBLAS_",
    "GOTO",
    "MKL_",
    "KMP_",
    "NUMEXPR_",
    "VECLIB_",
    "BLIS_",
    "ARROW_",
    "PYARROW_",
    "NPY_",
    "MALLOC_",
    "LD_",
    "LC_",
    "LANG",
    "TZ",
)
IDLE_POLL_S = 0.5
_HEADER = struct.Struct("!I")
_PR_SET_PDEATHSIG = 1


# framing ------------------------------------------------------------------------------------------------
def send(conn: socket.socket, message: dict, fds: list[int] | None = None) -> None:
    data = json.dumps(message).encode()
    frame = _HEADER.pack(len(data)) + data
    if fds:
        sent = socket.send_fds(conn, [frame], fds)
        frame = frame[sent:]
    conn.sendall(frame)


def receive(conn: socket.socket) -> tuple[dict | None, list[int]]:
    """One frame and the descriptors that came with it; (None, []) once the other end is gone."""
    head, fds, _, _ = socket.recv_fds(conn, _HEADER.size, 8)
    if not head:
        return None, fds
    head += _read_exact(conn, _HEADER.size - len(head))
    (size,) = _HEADER.unpack(head)
    return json.loads(_read_exact(conn, size)), fds


def _read_exact(conn: socket.socket, size: int) -> bytes:
    chunks = []
    while size:
        chunk = conn.recv(min(size, 1 << 20))
        if not chunk:
            raise EOFError("the other end closed mid-frame")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


# preload ------------------------------------------------------------------------------------------------
class _RecordingEnviron(os._Environ):
    """os.environ that remembers every key read, so import-time reads are known (``in``/``get`` go through here)."""

    read: set[str] = set()

    def __getitem__(self, key):
        _RecordingEnviron.read.add(key)
        return super().__getitem__(key)

    def __iter__(self):
        _RecordingEnviron.read.add("*")  # iterating reads every variable
        return super().__iter__()


# Variables a preloaded module set itself (scikit-learn sets KMP_DUPLICATE_LIB_OK and KMP_INIT_AT_FORK): a task
# whose environment lacks them is what a fresh interpreter would be before that same import sets them.
SET_BY_PRELOAD: set[str] = set()


def preload(modules: list[str]) -> tuple[list[str], dict[str, str], list[str]]:
    import importlib

    loaded, failed = [], {}
    before = dict(os.environ)
    plain = os.environ.__class__
    os.environ.__class__ = _RecordingEnviron
    try:
        for name in modules:
            try:
                importlib.import_module(name)
                loaded.append(name)
            except Exception as exc:  # a module missing here is imported by the task itself, as before
                failed[name] = f"{type(exc).__name__}: {exc}"
    finally:
        os.environ.__class__ = plain
    SET_BY_PRELOAD.update(k for k, v in os.environ.items() if before.get(k) != v)
    return loaded, failed, sorted(_RecordingEnviron.read)


def refusal(env: dict[str, str], env_read: list[str]) -> str | None:
    """Why a task with environment ``env`` must not start from this server's imports, if it must not."""
    if "*" in env_read:
        return "a preloaded module read the whole environment at import"
    keys = set(env_read) | {k for k in set(env) | set(os.environ) if k.startswith(NATIVE_PREFIXES)}
    changed = sorted(k for k in keys if env.get(k) != os.environ.get(k) and not (k in SET_BY_PRELOAD and k not in env))
    return f"the task's environment differs in {', '.join(changed)}, read at import" if changed else None


# serving ------------------------------------------------------------------------------------------------
def serve(conn: socket.socket) -> None:
    hello, _ = receive(conn)
    if hello is None:
        return
    if hello.get("main_thread"):
        _die_with_parent()
    parent = os.getppid()
    loaded, failed, env_read = preload(list(hello["preload"]))
    send(conn, {"ready": True, "loaded": loaded, "failed": failed, "env_read": env_read})
    while True:
        readable, _, _ = select.select([conn], [], [], IDLE_POLL_S)
        if os.getppid() != parent:
            return  # the parent is gone without closing (killed): nothing left to serve
        if not readable:
            continue
        request, fds = receive(conn)
        if request is None:
            return
        try:
            why = refusal(request["env"], env_read)
            if why:
                send(conn, {"refused": why})
                continue
            pid = os.fork()
            if pid == 0:
                conn_fd = conn.detach()
                _become_task(request, fds, conn_fd)  # never returns
        finally:
            for fd in fds:
                os.close(fd)
        send(conn, {"pid": pid})
        if not _wait_for(conn, pid, parent):
            return


def _wait_for(conn: socket.socket, pid: int, parent: int) -> bool:
    """Report the child's exit status; if the parent goes away first, kill the child. False: stop serving."""
    pidfd = os.pidfd_open(pid)
    conn_fd = conn.fileno()  # select on descriptors alone: one element type for the list it returns
    try:
        while True:
            readable, _, _ = select.select([conn_fd, pidfd], [], [], IDLE_POLL_S)
            if pidfd in readable:
                _, status = os.waitpid(pid, 0)
                send(conn, {"status": _shell_status(status)})
                return True
            if conn_fd in readable or os.getppid() != parent:
                os.kill(pid, signal.SIGKILL)  # parent closed or died mid-task: the task must not outlive it
                os.waitpid(pid, 0)
                return False
    finally:
        os.close(pidfd)


def _shell_status(status: int) -> int:
    """The exit status ``sh -ec`` reports for its python: the code, or 128+N for a child killed by signal N."""
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def _die_with_parent() -> None:
    """Linux: the kernel kills this process when the thread that started it ends (ctsim killed outright)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the getppid() poll still ends the server within IDLE_POLL_S


# the child ----------------------------------------------------------------------------------------------
def _become_task(request: dict, fds: list[int], conn_fd: int) -> None:
    code = 1
    try:
        os.close(conn_fd)
        _die_with_parent()
        _fresh_process(request, fds)
        code = _run_executor(request)
    except BaseException:  # anything before the task's code ran: say it on the task's stderr
        import traceback

        traceback.print_exc()
    finally:
        _finish(code)


def _fresh_process(request: dict, fds: list[int]) -> None:
    import tempfile

    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    for signum, handler in (
        (signal.SIGINT, signal.default_int_handler),
        (signal.SIGTERM, signal.SIG_DFL),
        (signal.SIGCHLD, signal.SIG_DFL),
        (signal.SIGPIPE, signal.SIG_IGN),
    ):
        signal.signal(signum, handler)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    tempfile.tempdir = None  # re-read TMPDIR from the task's environment, as mktemp does
    sys.stdin, sys.stdout, sys.stderr = _standard_streams(request["env"])
    sys.path[0] = os.getcwd()  # `python -m` puts the working directory first, not this script's folder
    if "numpy" in sys.modules:  # a fresh interpreter seeds numpy's global generator from the OS, not the parent's
        sys.modules["numpy"].random.seed()


def _standard_streams(env: dict[str, str]):
    import io

    unbuffered = bool(env.get("PYTHONUNBUFFERED"))
    encoding = env.get("PYTHONIOENCODING", "utf-8").split(":")[0] or "utf-8"

    def stream(fd: int, mode: str, errors: str, line: bool):
        raw = open(fd, mode + "b", buffering=0 if unbuffered and mode == "w" else -1, closefd=False)
        return io.TextIOWrapper(raw, encoding=encoding, errors=errors, line_buffering=line, write_through=unbuffered)

    return (
        stream(0, "r", "strict", False),
        stream(1, "w", "strict", os.isatty(1)),
        stream(2, "w", "backslashreplace", True),
    )


def _run_executor(request: dict) -> int:
    import runpy
    import tempfile

    program_path = tempfile.mkdtemp(prefix="tmp.")
    module_path = os.path.join(program_path, "ephemeral_component.py")
    with open(module_path, "wb") as handle:
        handle.write(os.fsencode(request["program"]))
    sys.argv = ["-m", "--component_module_path", module_path, *request["args"]]
    try:
        runpy.run_module("kfp.dsl.executor_main", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        return _exit_code(exc.code)
    except KeyboardInterrupt:
        import traceback

        traceback.print_exc()
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # a fresh interpreter dies of SIGINT, and says so
        os.kill(os.getpid(), signal.SIGINT)
    return 0


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _finish(code: int) -> None:
    """Exit as the interpreter does: atexit handlers, then flushed streams; never back into the server loop."""
    try:
        import atexit
        import threading

        getattr(threading, "_shutdown", lambda: None)()  # non-daemon threads are waited for, as at exit
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    except BaseException:
        code = code or 1
    finally:
        os._exit(code)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the parent decides the end
    conn = socket.socket(fileno=int(sys.argv[1]))
    try:
        serve(conn)
    finally:
        conn.close()


if __name__ == "__main__":
    # ``python path/forkserver.py`` puts ctsim/runners first on sys.path; preloads must not find ctsim's modules there.
    sys.path[0] = os.getcwd()
    main()

"""What the parts of the local stack share: the error, waiting for an answer, pid files."""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path


class StackError(RuntimeError):
    """A part of the stack could not be started or reached."""


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for(predicate, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise StackError(f"{what} did not answer within {timeout:.0f} s")


def pid_alive(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None
    return pid

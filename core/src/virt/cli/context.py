"""What a command's run function receives besides its arguments: the connection and output helpers."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

if TYPE_CHECKING:
    from virt.cli.registry import CommandRegistry
    from virt.connection import Connection, Domain, Network, StoragePool


class CommandError(Exception):
    """A failure to report as ``error: ...`` lines; the command's exit status is 1."""

    def __init__(self, *lines: str) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


T = TypeVar("T")


def failing_as(action: Callable[[], T], *failure: str) -> T:
    """``action()``; its VirtError becomes a CommandError of the ``failure`` lines (virsh's own words,
    if any) and the error's message."""
    from virt.errors import VirtError

    try:
        return action()
    except VirtError as exc:
        raise CommandError(*failure, exc.message) from exc


class Context:
    """Shared by the commands of one ``virt`` run; the connection opens on first use."""

    def __init__(
        self,
        uri: str | None = None,
        *,
        readonly: bool = False,
        quiet: bool = False,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.uri = uri
        self.readonly = readonly
        self.quiet = quiet
        self._stdout = stdout
        self._stderr = stderr
        self._conn: Connection | None = None
        self.registry: CommandRegistry | None = None
        """The commands of this run (for ``help``)."""
        self.trailer = True
        """Whether the blank line virsh prints after a command follows this one (``--json`` clears it)."""

    @property
    def stdout(self) -> TextIO:
        return self._stdout or sys.stdout

    @property
    def stderr(self) -> TextIO:
        return self._stderr or sys.stderr

    # -- connection ------------------------------------------------------------------------------
    @property
    def conn(self) -> Connection:
        """The connection, opened now if it is not yet; failing, ``failed to connect to the hypervisor``."""
        if self._conn is None:
            import virt
            from virt.cli.auth import terminal_auth
            from virt.errors import VirtError

            try:
                # drivers that log into a server ask on the terminal for what the URI and auth.conf lack
                self._conn = virt.open(self.uri, readonly=self.readonly, auth=terminal_auth)
            except VirtError as exc:
                raise CommandError("failed to connect to the hypervisor", exc.message) from exc
            if self.stderr.isatty():
                from virt.cli.progress import TerminalProgress

                self._conn.set_progress_callback(TerminalProgress(self.stderr))
        return self._conn

    @property
    def connected(self) -> bool:
        return self._conn is not None

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()

    def domain(self, key: str) -> Domain:
        """The domain by id, UUID or name (virsh's order); ``failed to get domain 'key'`` otherwise."""
        from virt.errors import NotFound

        _domain_given(key)
        try:
            return self.conn.lookup_domain(key)
        except NotFound as exc:
            raise CommandError(f"failed to get domain '{key}'") from exc

    def domain_by(self, key: str, *, by_id: bool = True, by_uuid: bool = True, by_name: bool = True) -> Domain:
        """The domain by the kinds of key allowed (``domname`` takes no name, ``domid`` no id)."""
        import uuid

        from virt.errors import NotFound

        _domain_given(key)
        conn = self.conn
        if by_id and key.isdigit():
            try:
                return conn.lookup_domain_by_id(int(key))
            except NotFound:
                pass
        if by_uuid:
            try:
                parsed = uuid.UUID(key)
            except ValueError:
                pass
            else:
                try:
                    return conn.lookup_domain_by_uuid(parsed)
                except NotFound:
                    pass
        if by_name:
            try:
                return conn.lookup_domain_by_name(key)
            except NotFound:
                pass
        raise CommandError(f"failed to get domain '{key}'")

    def network(self, key: str) -> Network:
        """The network by name or UUID."""
        from virt.errors import NotFound

        try:
            return self.conn.lookup_network(key)
        except NotFound as exc:
            raise CommandError(f"failed to get network '{key}'", exc.message) from exc

    def pool(self, key: str) -> StoragePool:
        """The storage pool by name or UUID."""
        from virt.errors import NotFound

        try:
            return self.conn.lookup_storage_pool(key)
        except NotFound as exc:
            raise CommandError(f"failed to get pool '{key}'", exc.message) from exc

    # -- output ----------------------------------------------------------------------------------
    def print(self, text: str = "", end: str = "\n") -> None:
        """Write ``text`` to standard output."""
        self.stdout.write(text + end)

    def print_extra(self, text: str = "", end: str = "\n") -> None:
        """Write ``text`` unless ``--quiet``: confirmations like ``Domain 'x' started``."""
        if not self.quiet:
            self.stdout.write(text + end)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """A virsh table; ``--quiet`` leaves out the header and the dashes."""
        from virt.cli.table import format_table

        self.stdout.write(format_table(headers, rows, header=not self.quiet))

    def json(self, data: Any) -> None:
        """``data`` as indented JSON, with no blank line after it."""
        import json

        self.stdout.write(json.dumps(data, indent=2) + "\n")
        self.trailer = False

    def warn(self, text: str) -> None:
        self.stderr.write(f"warning: {text}\n")


def _domain_given(key: str) -> None:
    """virsh reads a domain option with vshCommandOptStringReq, which refuses an empty one."""
    if key == "":
        raise CommandError("Failed to get option 'domain': Option argument is empty")

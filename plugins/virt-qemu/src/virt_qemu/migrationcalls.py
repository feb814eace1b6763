"""The migration calls of ``qemu:///`` connections (a mixin of QemuConnection): protocol v3's phases,
the job's information and abort, and the migration tunables, with libvirt 9.0's flags and words;
the work is ``virt_qemu.migration``'s."""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.domainstats import JobInfo, JobType
from virt.errors import ErrorNumber
from virt.migration import MigrateFlags, check_flags

from virt_qemu import errors, migration

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.migration import MigrationParams

    from virt_qemu.driver import QemuDriver

# What the driver does of virDomainMigrateFlags; the rest (tunnelled, RDMA, TLS, parallel
# connections, zero-copy, post-copy recovery) is refused.
_TAKEN = (
    MigrateFlags.LIVE
    | MigrateFlags.PEER2PEER
    | MigrateFlags.PERSIST_DEST
    | MigrateFlags.UNDEFINE_SOURCE
    | MigrateFlags.PAUSED
    | MigrateFlags.NON_SHARED_DISK
    | MigrateFlags.NON_SHARED_INC
    | MigrateFlags.CHANGE_PROTECTION
    | MigrateFlags.UNSAFE
    | MigrateFlags.OFFLINE
    | MigrateFlags.COMPRESSED
    | MigrateFlags.ABORT_ON_ERROR
    | MigrateFlags.AUTO_CONVERGE
    | MigrateFlags.POSTCOPY
)


def _check(flags: MigrateFlags, params: MigrationParams, function: str) -> MigrateFlags:
    refused = int(flags) & ~int(_TAKEN)
    if refused:
        names = "|".join(f.name or "" for f in MigrateFlags if f & refused and f.name)
        raise errors.error(
            ErrorNumber.ARGUMENT_UNSUPPORTED, f"migration flags 0x{refused:x} ({names}) are not supported by {function}"
        )
    check_flags(flags, params)
    if params.disks_uri:
        raise errors.error(ErrorNumber.ARGUMENT_UNSUPPORTED, "a disks URI (NBD over a unix socket) is not supported")
    return MigrateFlags(flags)


class QemuMigrationOperations:
    """Migration methods of QemuConnection."""

    if TYPE_CHECKING:

        @property
        def qemu(self) -> QemuDriver: ...

    def migrate_begin(self, ref: DomainRef, params: MigrationParams, flags: MigrateFlags) -> tuple[bytes, str]:
        return migration.begin(self.qemu, ref, params, _check(flags, params, "qemuDomainMigrateBegin3Params"))

    def migrate_prepare(self, cookie: bytes, params: MigrationParams, flags: MigrateFlags) -> tuple[bytes, str | None]:
        answer = migration.prepare(self.qemu, cookie, params, _check(flags, params, "qemuDomainMigratePrepare3Params"))
        self._prepared().add(migration.Cookie.decode(answer[0]).name)  # type: ignore[union-attr]
        return answer

    def _prepared(self) -> set[str]:
        """The incoming migrations this connection prepared and has not finished yet."""
        prepared: set[str] | None = self.__dict__.get("_migrations_prepared")
        if prepared is None:
            prepared = self.__dict__["_migrations_prepared"] = set()
        return prepared

    def close(self) -> None:
        # as libvirt's close callback: a client gone between prepare and finish leaves no paused guest
        for name in self.__dict__.pop("_migrations_prepared", set()):
            migration.abandon(self.qemu, name)
        super().close()  # type: ignore[misc]

    def migrate_perform(
        self, ref: DomainRef, dconnuri: str | None, params: MigrationParams, cookie: bytes, flags: MigrateFlags
    ) -> bytes:
        checked = _check(flags, params, "qemuDomainMigratePerform3Params")
        return migration.perform(self.qemu, ref, dconnuri, params, cookie, checked)

    def migrate_finish(
        self, params: MigrationParams, cookie: bytes, flags: MigrateFlags, cancelled: bool
    ) -> tuple[DomainRef | None, bytes]:
        checked = _check(flags, params, "qemuDomainMigrateFinish3Params")
        source = migration.Cookie.decode(cookie)
        self._prepared().discard(params.dest_name or (source.name if source is not None else ""))
        return migration.finish(self.qemu, params, cookie, checked, cancelled)

    def migrate_confirm(
        self, ref: DomainRef, params: MigrationParams, cookie: bytes, flags: MigrateFlags, cancelled: bool
    ) -> None:
        checked = _check(flags, params, "qemuDomainMigrateConfirm3Params")
        migration.confirm(self.qemu, ref, params, cookie, checked, cancelled)

    def get_domain_job_info(self, ref: DomainRef, *, completed: bool = False) -> JobInfo:
        found = migration.job_info(self.qemu, ref, completed)
        if found is not None:
            return found
        self.qemu.find(ref)
        return JobInfo(JobType.NONE)

    def abort_domain_job(self, ref: DomainRef) -> None:
        migration.abort(self.qemu, ref)

    def migrate_set_max_speed(self, ref: DomainRef, bandwidth: int, *, postcopy: bool = False) -> None:
        migration.set_max_speed(self.qemu, ref, bandwidth, postcopy)

    def migrate_get_max_speed(self, ref: DomainRef, *, postcopy: bool = False) -> int:
        return migration.get_max_speed(self.qemu, ref, postcopy)

    def migrate_set_max_downtime(self, ref: DomainRef, milliseconds: int) -> None:
        migration.set_max_downtime(self.qemu, ref, milliseconds)

    def migrate_get_max_downtime(self, ref: DomainRef) -> int:
        return migration.get_max_downtime(self.qemu, ref)

    def migrate_set_compression_cache(self, ref: DomainRef, size: int) -> None:
        migration.set_compression_cache(self.qemu, ref, size)

    def migrate_get_compression_cache(self, ref: DomainRef) -> int:
        return migration.get_compression_cache(self.qemu, ref)

    def migrate_start_post_copy(self, ref: DomainRef) -> None:
        migration.start_post_copy(self.qemu, ref)

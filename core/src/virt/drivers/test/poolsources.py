"""libvirt 9.0's test driver's storage pool source discovery (testConnectFindStoragePoolSources):
two made-up LVM volume groups for "logical", the asked host's /testshare for "netfs", and a refusal
for every other type. As libvirt's, it looks the type up by name and takes the first, "dir", whose
number is 0, for an unknown one."""

from __future__ import annotations

from lxml import etree

from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError

POOL_TYPES = (
    "dir", "fs", "netfs", "logical", "disk", "iscsi", "iscsi-direct", "scsi", "mpath", "rbd", "sheepdog", "gluster",
    "zfs", "vstorage",
)  # fmt: skip
"""virStoragePoolType's names, in its order."""

LOGICAL_SOURCES = """<sources>
  <source>
    <device path='/dev/sda20'/>
    <name>testvg1</name>
    <format type='lvm2'/>
  </source>
  <source>
    <device path='/dev/sda21'/>
    <name>testvg2</name>
    <format type='lvm2'/>
  </source>
</sources>
"""

NETFS_SOURCES = """<sources>
  <source>
    <host name='{host}'/>
    <dir path='/testshare'/>
    <format type='nfs'/>
  </source>
</sources>
"""


def _spec_host(spec: str) -> str | None:
    """The first <host name='...'/> of a <source> specification."""
    try:
        root = etree.fromstring(spec.encode())
    except etree.XMLSyntaxError as exc:
        raise VirtError(
            f"(storage_source_specification):1: {exc.msg}", ErrorNumber.XML_DETAIL, ErrorDomain.STORAGE
        ) from None
    host = root.find(".//host") if root.tag != "host" else root
    return host.get("name") if host is not None else None


class PoolSourceOperations:
    """Pool source discovery of TestConnection."""

    def find_storage_pool_sources(self, pool_type: str, spec: str | None, flags: int) -> str:
        if flags:
            raise InvalidArgument(
                f"unsupported flags (0x{flags:x}) in function testConnectFindStoragePoolSources",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.TEST,
            )
        if pool_type == POOL_TYPES[0]:
            raise VirtError(
                f"internal error: unknown storage pool type {pool_type}", ErrorNumber.INTERNAL_ERROR, ErrorDomain.TEST
            )
        host = _spec_host(spec) if spec else None
        if pool_type == "logical":
            return LOGICAL_SOURCES
        if pool_type == "netfs":
            if not host:
                raise InvalidArgument(
                    "invalid argument: hostname must be specified for netfs sources",
                    ErrorNumber.INVALID_ARG,
                    ErrorDomain.TEST,
                )
            return NETFS_SOURCES.format(host=host)
        raise VirtError(
            "this function is not supported by the connection driver: "
            f"pool type '{pool_type}' does not support source discovery",
            ErrorNumber.NO_SUPPORT,
            ErrorDomain.TEST,
        )

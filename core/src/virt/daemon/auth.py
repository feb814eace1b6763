"""Who is on the other end of a connection: peer credentials on unix sockets, the verified
certificate's distinguished name on TLS, the address alone on plain TCP."""

from __future__ import annotations

import grp
import os
import pwd
import socket
import struct
from collections.abc import Iterable
from typing import Any, Literal

import attrs

Transport = Literal["unix", "tcp", "tls"]

_UCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid

# The attribute names GnuTLS (hence libvirt's tls_allowed_dn_list) writes in a distinguished name.
_DN_SHORT_NAMES = {
    "countryName": "C",
    "stateOrProvinceName": "ST",
    "localityName": "L",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "commonName": "CN",
    "emailAddress": "EMAIL",
    "domainComponent": "DC",
    "userId": "UID",
    "streetAddress": "STREET",
    "serialNumber": "serialNumber",
    "givenName": "givenName",
    "surname": "surname",
    "title": "title",
}


@attrs.frozen
class Identity:
    transport: Transport
    uid: int | None = None
    gid: int | None = None
    pid: int | None = None
    user: str | None = None
    groups: tuple[str, ...] = ()
    x509_dname: str | None = None
    address: str | None = None

    def describe(self) -> str:
        """How logs and error messages name this peer."""
        if self.x509_dname is not None:
            return f"'{self.x509_dname}'"
        if self.user is not None:
            return f"user '{self.user}'"
        if self.uid is not None:
            return f"uid {self.uid}"
        return f"{self.transport} peer {self.address or 'unknown'}"


def unix_identity(sock: Any) -> Identity:
    """The credentials of the process that connected to a unix socket, as the kernel reports them."""
    pid, uid, gid = _UCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size))
    user, groups = _user_and_groups(uid, gid)
    return Identity("unix", uid=uid, gid=gid, pid=pid, user=user, groups=groups)


def _user_and_groups(uid: int, gid: int) -> tuple[str | None, tuple[str, ...]]:
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        return None, _group_names([gid])
    try:
        gids = os.getgrouplist(user, gid)
    except OSError:
        gids = [gid]
    return user, _group_names(gids)


def _group_names(gids: Iterable[int]) -> tuple[str, ...]:
    names: list[str] = []
    for gid in dict.fromkeys(gids):
        try:
            names.append(grp.getgrgid(gid).gr_name)
        except KeyError:
            continue
    return tuple(names)


def tls_identity(peercert: dict[str, Any] | None, address: str | None) -> Identity:
    """A TLS peer named by its verified certificate's subject."""
    dname = distinguished_name(peercert["subject"]) if peercert and "subject" in peercert else None
    return Identity("tls", x509_dname=dname, address=address)


def tcp_identity(address: str | None) -> Identity:
    return Identity("tcp", address=address)


def distinguished_name(subject: Iterable[Iterable[tuple[str, str]]]) -> str:
    """``C=GB,O=Example,CN=client``: the subject in certificate order with GnuTLS's attribute names,
    special characters escaped as RFC 4514 says, which is the form libvirt's DN lists are written in."""
    parts = []
    for rdn in subject:
        parts.append("+".join(f"{_DN_SHORT_NAMES.get(name, name)}={_escape(value)}" for name, value in rdn))
    return ",".join(parts)


def _escape(value: str) -> str:
    escaped = "".join("\\" + ch if ch in ',+"\\<>;=' else ch for ch in value)
    if escaped.startswith((" ", "#")):
        escaped = "\\" + escaped
    if escaped.endswith(" ") and not escaped.endswith("\\ "):
        escaped = escaped[:-1] + "\\ "
    return escaped

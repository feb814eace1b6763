"""One logged-in vSphere API session: the SOAP stub, the service content, the server's identity.

The server is reached before any credential is asked for, so that a wrong host name fails without
a password prompt; every request is bounded by the URI's ``timeout``. The API version is the newest
both sides know, read from the server's ``vimServiceVersions.xml`` (as pyVmomi's SmartConnect does,
but with the timeout and the certificate policy of this connection).
"""

from __future__ import annotations

import http.client
import ssl
import threading
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree

import attrs
from pyVmomi import vim
from pyVmomi.SoapAdapter import SoapStubAdapter, StubAdapterBase
from pyVmomi.VmomiSupport import GetServiceVersions, versionIdMap
from virt.errors import AuthError, ErrorDomain, ErrorNumber, VirtError

from virt_esx.faults import calling, fault_text, transport_error
from virt_esx.params import EsxParams

# what each URI scheme expects the server to be (about.apiType, about.productLineId)
_EXPECTED = {
    "esx": ("HostAgent", ("esx", "embeddedEsx")),
    "gsx": ("HostAgent", ("gsx",)),
    "vpx": ("VirtualCenter", ("vpx",)),
}
_FALLBACK_VERSION = "vim.version.version5"  # vSphere 4.0: what a server without vimServiceVersions.xml speaks


def ssl_context(params: EsxParams) -> ssl.SSLContext:
    """Verification on (system CAs, host name), unless ``no_verify=1``."""
    if params.no_verify:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context()


def _http_connection(params: EsxParams) -> http.client.HTTPConnection:
    target_host, target_port = (params.proxy.host, params.proxy.port) if params.proxy else (params.host, params.port)
    connection: http.client.HTTPConnection
    if params.transport == "https":
        connection = http.client.HTTPSConnection(
            target_host, target_port, timeout=params.timeout, context=ssl_context(params)
        )
    else:
        connection = http.client.HTTPConnection(target_host, target_port, timeout=params.timeout)
    if params.proxy:
        connection.set_tunnel(params.host, params.port)
    return connection


def negotiate_version(params: EsxParams) -> str:
    """The newest API version pyVmomi and the server both speak (one GET of vimServiceVersions.xml)."""
    with calling("cannot connect", params.url):
        connection = _http_connection(params)
        try:
            connection.request("GET", "/sdk/vimServiceVersions.xml")
            response = connection.getresponse()
            body = response.read()
            status = response.status
        finally:
            connection.close()
    if status != 200:
        return _FALLBACK_VERSION
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return _FALLBACK_VERSION
    offered = {text for text in (node.text for node in root.iter("version")) if text}
    for candidate in GetServiceVersions("vim25"):
        if versionIdMap.get(candidate, "").removeprefix("vim25/") in offered or versionIdMap.get(candidate) in offered:
            return str(candidate)
    return _FALLBACK_VERSION


class RenewingStub(StubAdapterBase):  # type: ignore[misc]
    """The SOAP stub, logging in again (once per call) when the server says the session is gone.

    ESX ends sessions idle for 30 minutes; a connection kept open (by virtd, or a long script) then
    carries on as libvirt's does, with the credentials it opened with. pyVmomi's own
    SessionOrientedStub would also retry network failures, multiplying every timeout.
    """

    def __init__(self, soap: SoapStubAdapter) -> None:
        StubAdapterBase.__init__(self, version=soap.version)
        self.soap = soap
        self.relogin: Callable[[], None] | None = None
        self._lock = threading.Lock()

    def DropConnections(self) -> None:
        self.soap.DropConnections()

    def InvokeMethod(self, mo: Any, info: Any, args: Any) -> Any:
        status, result = self.soap.InvokeMethod(mo, info, args, self)
        if status != 200 and isinstance(result, vim.fault.NotAuthenticated) and self.relogin is not None:
            with self._lock:
                self.relogin()
            status, result = self.soap.InvokeMethod(mo, info, args, self)
        if status != 200:
            raise result
        return result


@attrs.define
class Session:
    """A logged-in session; ``close()`` logs out."""

    params: EsxParams
    stub: RenewingStub
    instance: vim.ServiceInstance
    content: vim.ServiceInstanceContent
    username: str = ""

    @property
    def about(self) -> vim.AboutInfo:
        return self.content.about

    @property
    def sessions(self) -> vim.SessionManager:
        manager = self.content.sessionManager
        if manager is None:
            raise VirtError(
                "the server offers no session manager: it cannot log anyone in", ErrorNumber.NO_CONNECT, ErrorDomain.ESX
            )
        return manager

    def close(self) -> None:
        try:
            with calling("cannot log out", self.params.url):
                self.sessions.Logout()
        except VirtError:
            pass  # the session ends with the server's timeout anyway; closing must not fail
        finally:
            self.stub.DropConnections()


def connect(params: EsxParams) -> Session:
    """Reach the server and read what it is (no login yet); VirtError if it is not what the URI says."""
    version = negotiate_version(params)
    soap = SoapStubAdapter(
        host=params.host,
        port=params.port if params.transport == "https" else -params.port,
        version=version,
        sslContext=ssl_context(params) if params.transport == "https" else None,
        httpConnectionTimeout=params.timeout,
        httpProxyHost=params.proxy.host if params.proxy else None,
        httpProxyPort=params.proxy.port if params.proxy else 80,
    )
    stub = RenewingStub(soap)
    instance = vim.ServiceInstance("ServiceInstance", stub)
    with calling("cannot connect", params.url):
        content = instance.RetrieveContent()
    session = Session(params, stub, instance, content)
    _check_product(params, content.about)
    return session


def _check_product(params: EsxParams, about: vim.AboutInfo) -> None:
    api_type, product_lines = _EXPECTED[params.scheme]
    if about.apiType != api_type or about.productLineId not in product_lines:
        expected = {"esx": "an ESX(i) host", "gsx": "a VMware GSX server", "vpx": "a vCenter"}[params.scheme]
        raise VirtError(
            f"{params.scheme}://{params.host} expects {expected}, but the server is {about.fullName}"
            f" (API type {about.apiType}, product {about.productLineId})",
            ErrorNumber.INVALID_ARG,
            ErrorDomain.ESX,
        )


def login(session: Session, username: str, password: Callable[[], str]) -> None:
    """Log in as ``username``; ``password`` is asked only now, after the server answered."""
    secret = password()
    session.stub.relogin = None  # a refused login is no expired session
    try:
        with calling(f"cannot log in to {session.params.host} as '{username}'", session.params.url):
            session.sessions.Login(username, secret, None)
    except VirtError as error:
        if error.code == ErrorNumber.AUTH_FAILED:
            cause = error.__cause__
            reason = fault_text(cause) if cause is not None else error.message
            raise AuthError(
                f"authentication failed: {session.params.host} refused user '{username}': {reason}",
                ErrorNumber.AUTH_FAILED,
                ErrorDomain.ESX,
            ) from cause
        raise
    session.username = username
    manager = session.sessions

    def relogin() -> None:
        # on the SOAP stub itself: a refusal now is an error, not another renewal
        vim.SessionManager(manager._moId, session.stub.soap).Login(username, secret, None)

    session.stub.relogin = relogin


__all__ = ["Session", "connect", "login", "negotiate_version", "ssl_context", "transport_error"]

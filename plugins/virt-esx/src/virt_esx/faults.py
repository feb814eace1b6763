"""Failures of the vSphere API and of the network under it, as VirtErrors that say what failed.

Every call to the server goes through ``calling(action)``: a fault the server raises, a host that
cannot be reached, a certificate that does not verify, a request that times out, all leave as a
VirtError whose message starts with ``action`` and ends with the server's own words.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
from collections.abc import Iterator

from pyVmomi import vim, vmodl
from virt.errors import ErrorDomain, ErrorNumber, VirtError, error_class

# The faults that mean something a caller can act on; everything else is OPERATION_FAILED.
_FAULT_CODES: tuple[tuple[type[BaseException], ErrorNumber], ...] = (
    (vim.fault.InvalidLogin, ErrorNumber.AUTH_FAILED),
    (vim.fault.NotAuthenticated, ErrorNumber.AUTH_FAILED),
    (vim.fault.NoPermission, ErrorNumber.ACCESS_DENIED),
    (vim.fault.InvalidPowerState, ErrorNumber.OPERATION_INVALID),
    (vim.fault.ToolsUnavailable, ErrorNumber.OPERATION_INVALID),
    (vim.fault.InvalidState, ErrorNumber.OPERATION_INVALID),
    (vim.fault.TaskInProgress, ErrorNumber.RESOURCE_BUSY),
    (vim.fault.DuplicateName, ErrorNumber.DOM_EXIST),
    (vim.fault.AlreadyExists, ErrorNumber.DOM_EXIST),
    (vim.fault.FileNotFound, ErrorNumber.NO_STORAGE_VOL),
    (vmodl.fault.ManagedObjectNotFound, ErrorNumber.OPERATION_FAILED),
    (vmodl.fault.MethodNotFound, ErrorNumber.NO_SUPPORT),
    (vmodl.fault.NotImplemented, ErrorNumber.NO_SUPPORT),
    (vmodl.fault.NotSupported, ErrorNumber.NO_SUPPORT),
    (vim.fault.InvalidDatastore, ErrorNumber.INVALID_ARG),
    (vmodl.fault.InvalidArgument, ErrorNumber.INVALID_ARG),
    (vim.fault.InvalidName, ErrorNumber.INVALID_ARG),
)


def fault_text(fault: BaseException) -> str:
    """The server's words for ``fault``; some servers (the simulator) send only the type's name."""
    message = str(getattr(fault, "msg", "") or "").strip()
    if isinstance(fault, vim.fault.InvalidPowerState) and fault.existingState:
        wanted = fault.requestedState or "otherwise"
        return f"the virtual machine is {fault.existingState}, the operation needs it {wanted}"
    if isinstance(fault, vmodl.fault.MethodNotFound) and fault.method:
        return f"the server does not implement {fault.method}"
    if isinstance(fault, vim.fault.FileFault) and fault.file and (not message or message.startswith("*types.")):
        kind = type(fault).__name__.rpartition(".")[2]
        return f"{kind}: {fault.file}"
    if isinstance(fault, vmodl.fault.ManagedObjectNotFound) and not message:
        return f"the object {getattr(fault.obj, '_moId', fault.obj)} no longer exists"
    if not message or message.startswith("*types."):
        faults = getattr(fault, "faultMessage", None) or []
        detail = "; ".join(str(m.message) for m in faults if getattr(m, "message", None))
        return detail or type(fault).__name__.rpartition(".")[2]
    return message


def fault_error(action: str, fault: BaseException) -> VirtError:
    """The VirtError for a fault the server raised while doing ``action``."""
    code = next((code for kind, code in _FAULT_CODES if isinstance(fault, kind)), ErrorNumber.OPERATION_FAILED)
    return error_class(code)(f"{action}: {fault_text(fault)}", code, ErrorDomain.ESX)


def transport_error(action: str, server: str, error: BaseException) -> VirtError:
    """The VirtError for a network failure talking to ``server`` while doing ``action``."""
    if isinstance(error, ssl.SSLCertVerificationError):
        reason = f"the server's certificate does not verify ({error.verify_message}); no_verify=1 skips the check"
    elif isinstance(error, socket.gaierror):
        reason = f"unknown host ({error.strerror})"
    elif isinstance(error, TimeoutError | socket.timeout):
        reason = "no answer in time (the URI's timeout=SECONDS sets the limit)"
    elif isinstance(error, ConnectionRefusedError):
        reason = "connection refused"
    elif isinstance(error, ssl.SSLError):
        reason = f"TLS failed ({error.reason or error}); is the server speaking https (transport=http if not)?"
    elif isinstance(error, http.client.HTTPException):
        reason = f"unexpected HTTP answer ({type(error).__name__}: {error}); is this a vSphere server?"
    elif isinstance(error, OSError):
        reason = error.strerror or str(error)
    else:
        reason = f"{type(error).__name__}: {error}"
    return VirtError(f"{action}: cannot talk to {server}: {reason}", ErrorNumber.NO_CONNECT, ErrorDomain.ESX)


@contextlib.contextmanager
def calling(action: str, server: str) -> Iterator[None]:
    """Turn whatever the server or the network raises inside into a VirtError about ``action``."""
    try:
        yield
    except VirtError:
        raise
    except vmodl.MethodFault as fault:
        raise fault_error(action, fault) from fault
    except (OSError, http.client.HTTPException) as error:
        raise transport_error(action, server, error) from error

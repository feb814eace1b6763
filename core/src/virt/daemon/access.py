"""The ACL applied to calls: which operation a call is, and which domain it is about.

A call is checked before it runs, against the domain it names; the name is the domain's real one
(looked up by UUID, as the driver finds it), never the name the client put in the reference, so a
client cannot borrow an allowed domain's name. Define and create are checked against the name in
the XML, restore and the save-image calls against the domain the image holds; lookups, whose domain
is only known once found, are checked on what they found. Listings and events leave out the domains
the peer may not see (``Session.visible``).

Calls every client needs to get going or to leave (authentication, features, close) are not checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from virt.daemon.apinames import api_name
from virt.errors import NotFound, VirtError
from virt.remote.procedure_numbers import RemoteProcedure as P

if TYPE_CHECKING:
    from virt.daemon.acl import ACL
    from virt.daemon.procedures.registry import Call
    from virt.daemon.session import ClientHandle
    from virt.remote.message_types import Procedure

_UNCHECKED = frozenset(
    {
        P.AUTH_LIST,
        P.AUTH_SASL_INIT,
        P.AUTH_SASL_START,
        P.AUTH_SASL_STEP,
        P.AUTH_POLKIT,
        P.CONNECT_SUPPORTS_FEATURE,
        P.CONNECT_CLOSE,
    }
)
_LOOKUPS = frozenset({P.DOMAIN_LOOKUP_BY_ID, P.DOMAIN_LOOKUP_BY_NAME, P.DOMAIN_LOOKUP_BY_UUID})
# Calls that make a domain from XML, and the argument holding it.
_FROM_XML = {
    P.DOMAIN_DEFINE_XML: "xml",
    P.DOMAIN_DEFINE_XML_FLAGS: "xml",
    P.DOMAIN_CREATE_XML: "xml_desc",
    P.DOMAIN_CREATE_XML_WITH_FILES: "xml_desc",
}
# Calls on a save image, and the argument naming its file: checked against the domain it holds.
_FROM_IMAGE = {
    P.DOMAIN_RESTORE: "from",
    P.DOMAIN_RESTORE_FLAGS: "from",
    P.DOMAIN_SAVE_IMAGE_GET_XML_DESC: "file",
    P.DOMAIN_SAVE_IMAGE_DEFINE_XML: "file",
}


class AccessControl:
    """Applies one ACL to the calls of every client."""

    def __init__(self, acl: ACL) -> None:
        self.acl = acl

    def visible(self, client: ClientHandle, domain_name: str) -> bool:
        return self.acl.sees_domain(client.identity, domain_name)

    def before(self, call: Call, procedure: Procedure) -> None:
        """Refuse the call (ACCESS_DENIED) unless the ACL allows it; may look the domain up."""
        if procedure.number in _UNCHECKED or procedure.number in _LOOKUPS:
            return
        self.acl.check(call.client.identity, api_name(procedure), self._domain_name(call, procedure))

    def after(self, call: Call, procedure: Procedure, result: Any) -> None:
        """Refuse a lookup's result the peer may not have."""
        if procedure.number in _LOOKUPS:
            self.acl.check(call.client.identity, api_name(procedure), result["dom"]["name"])

    @staticmethod
    def _domain_name(call: Call, procedure: Procedure) -> str | None:
        args = call.args
        if not isinstance(args, dict):
            return None
        reference = args.get("dom")
        for moment in ("snap", "snapshot", "checkpoint"):  # a snapshot or checkpoint names its domain inside
            if reference is None and isinstance(args.get(moment), dict):
                reference = args[moment].get("dom")
        if reference is not None:
            try:
                return call.conn.lookup_domain_by_uuid(reference["uuid"]).name
            except NotFound:
                return None  # the call itself then reports the domain missing
        image = _FROM_IMAGE.get(procedure.number)  # type: ignore[call-overload]
        if image is not None:
            return _image_domain(call, args[image])
        field = _FROM_XML.get(procedure.number)  # type: ignore[call-overload]
        if field is not None:
            from virt.xml import Domain as DomainModel

            try:
                return DomainModel.from_xml(args[field]).name
            except VirtError:
                return None  # the call itself then reports the XML wrong
        return None


def _image_domain(call: Call, path: str) -> str | None:
    """The name of the domain a save image holds (as libvirt checks a restore against the domain it
    starts, so that an image cannot start a domain the peer may not touch); None when it cannot be
    read, the call itself then reporting why."""
    from virt.xml import Domain as DomainModel

    try:
        return DomainModel.from_xml(call.conn.driver.get_save_image_xml(path, False)).name
    except VirtError:
        return None

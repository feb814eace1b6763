"""The ``<filterbinding>`` parser's errors, checked against libvirtd 9.0's nwfilter driver.

Only documents libvirt refuses while parsing are sent: a binding it accepted would be
instantiated as firewall rules on this host.
"""

from __future__ import annotations

import json

from binding_sides import assert_same_errors, nwfilter_driver_rows
from virt.xml.nwfilterbinding import FilterBinding

OWNER = "<owner><name>g</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid></owner>"
BAD = [
    f"<filterbinding>{OWNER}<mac address='52:54:00:ab:01:02'/></filterbinding>",
    f"<filterbinding>{OWNER}<portdev name='v'/><linkdev/></filterbinding>",
    "<filterbinding><portdev name='v'/><owner><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid></owner></filterbinding>",
    "<filterbinding><portdev name='v'/><owner><name>g</name></owner></filterbinding>",
    "<filterbinding><portdev name='v'/><owner><name>g</name><uuid>bad</uuid></owner></filterbinding>",
    f"<filterbinding>{OWNER}<portdev name='v'/></filterbinding>",
    f"<filterbinding>{OWNER}<portdev name='v'/><mac address='zz'/></filterbinding>",
    f"<filterbinding>{OWNER}<portdev name='v'/><mac address='52:54:00:ab:01:02'/></filterbinding>",
    "<binding/>",
]


def test_parse_errors_as_libvirtd() -> None:
    calls = f"xmls = {json.dumps(BAD)}\ncalls = [(x, lambda x=x: conn.nwfilterBindingCreateXML(x, 0)) for x in xmls]\n"
    rows = nwfilter_driver_rows(calls)
    assert_same_errors(FilterBinding.from_xml, BAD, rows)

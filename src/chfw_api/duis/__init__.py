"""The DUIS-style XML adapter: hardened parsing, our XSDs, and DCC Alert rendering.

The only package that imports lxml (and, later, signxml/xmlschema): the domain and services
speak dataclasses, and this package turns them into DUIS XML and back.
"""

from chfw_api.duis.alerts import (
    ALERT_ELEMENTS,
    AlertInvalid,
    Signer,
    alert_body,
    alert_element,
    format_datetime,
    render_alert,
    render_batch,
)
from chfw_api.duis.errors import CODES, XmlProblem, XmlRejected
from chfw_api.duis.parser import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEPTH,
    parse_request,
    parse_validated,
    parse_xml,
)
from chfw_api.duis.schema import (
    ALERT_BATCH,
    NS_DS,
    NS_SR,
    REQUEST,
    RESPONSE,
    SCHEMA_VERSION,
    default_schema_dir,
    load_schema,
    require_root,
    validate,
)

__all__ = [
    "ALERT_BATCH",
    "ALERT_ELEMENTS",
    "CODES",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "NS_DS",
    "NS_SR",
    "REQUEST",
    "RESPONSE",
    "SCHEMA_VERSION",
    "AlertInvalid",
    "Signer",
    "XmlProblem",
    "XmlRejected",
    "alert_body",
    "alert_element",
    "default_schema_dir",
    "format_datetime",
    "load_schema",
    "parse_request",
    "parse_validated",
    "parse_xml",
    "render_alert",
    "render_batch",
    "require_root",
    "validate",
]

"""Which webhook URLs may be registered and which addresses may be connected to (SSRF rules).

A webhook URL is chosen by a Service User but fetched from inside DCC's network, so it must not
reach DCC's own services: only http/https; no credentials in the URL; and every address the
host resolves to must be public. Private, loopback, link-local (cloud metadata lives at
169.254.169.254), shared, reserved and multicast addresses are refused unless the operator
allows a network explicitly (`CHFW_WEBHOOK_ALLOWED_NETWORKS`; the tests allow 127.0.0.0/8 for
their loopback receivers). The same check runs again at connection time (`http.py`), so a name
that later resolves somewhere private (DNS rebinding) is refused then too.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from chfw_api.domain.errors import Problem

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], list[str]]
"""Host name -> its addresses (raises OSError when it does not resolve)."""

MAX_URL_LENGTH = 2048
METADATA_NAMES = frozenset({"metadata", "metadata.google.internal", "instance-data"})


def parse_networks(values: Iterable[str]) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


def system_resolver(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def refusal(address: str, allowed: Sequence[IpNetwork]) -> str | None:
    """Why `address` may not be connected to, or None if it may."""
    try:
        ip: IpAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in allowed):
        return None
    if ip.is_multicast:
        return f"{ip} is a multicast address"
    if ip.is_loopback:
        return f"{ip} is a loopback address"
    if ip.is_link_local:
        return f"{ip} is a link-local address (cloud metadata lives there)"
    if not ip.is_global:
        return f"{ip} is a private or reserved address"
    return None


def check_url(
    url: str, *, allowed: Sequence[IpNetwork], resolve: Resolver = system_resolver
) -> list[Problem]:
    """Every reason `url` cannot be a webhook endpoint (empty when it can)."""

    def bad(reason: str) -> list[Problem]:
        return [Problem(reason, field="url")]

    if len(url) > MAX_URL_LENGTH:
        return bad(f"longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return bad(f"not a valid URL: {exc}")
    if parts.scheme not in ("http", "https"):
        return bad("only http and https URLs are allowed")
    if not parts.hostname:
        return bad("the URL has no host")
    if parts.username is not None or parts.password is not None:
        return bad("credentials in the URL are not allowed; authenticate with the signature")
    if parts.fragment:
        return bad("a URL fragment is never sent; remove it")
    if port == 0:
        return bad("port 0 is not a valid port")
    host = parts.hostname
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        if host.rstrip(".").lower() in METADATA_NAMES:
            return bad(f"{host} is a cloud metadata service")
        try:
            addresses = resolve(host)
        except OSError as exc:
            return bad(f"the host {host} does not resolve ({exc})")
        if not addresses:
            return bad(f"the host {host} does not resolve")
    problems = []
    for address in addresses:
        reason = refusal(address, allowed)
        if reason is not None:
            problems.append(Problem(f"{host} is refused: {reason}", field="url"))
    return problems


@dataclass(frozen=True)
class UrlPolicy:
    """The configured exceptions and the resolver, bound once (services take one of these)."""

    allowed: tuple[IpNetwork, ...] = ()
    resolve: Resolver = field(default=system_resolver)

    @classmethod
    def of(cls, networks: Iterable[str], resolve: Resolver = system_resolver) -> UrlPolicy:
        return cls(parse_networks(networks), resolve)

    def check(self, url: str) -> list[Problem]:
        return check_url(url, allowed=self.allowed, resolve=self.resolve)

"""Webhook URL rules: no private, loopback, link-local or metadata targets; http(s) only."""

from __future__ import annotations

import pytest

from chfw_api.delivery.urls import UrlPolicy, check_url, parse_networks, refusal


def _resolver(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def resolve(host: str) -> list[str]:
        if host not in table:
            raise OSError("Name or service not known")
        return table[host]

    return resolve


NAMES = _resolver(
    {
        "hooks.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
        "sneaky.example.com": ["93.184.215.14", "10.0.0.5"],
        "localhost": ["127.0.0.1", "::1"],
    }
)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/dcc",
        "http://hooks.example.com:8443/alerts?tenant=7",
        "https://93.184.215.14/x",
        "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/x",
    ],
)
def test_public_http_and_https_urls_are_accepted(url: str) -> None:
    assert check_url(url, allowed=(), resolve=NAMES) == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example.com/x", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("https:///nohost", "no host"),
        ("https://user:pw@hooks.example.com/", "credentials"),
        ("https://hooks.example.com/#frag", "fragment"),
        ("https://hooks.example.com:99999/", "not a valid URL"),
        ("http://127.0.0.1:8080/", "loopback"),
        ("http://localhost/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://10.1.2.3/", "private"),
        ("http://172.16.0.1/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://100.64.0.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[fd00:ec2::254]/", "private"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://0.0.0.0/", "private"),
        ("http://224.0.0.1/", "multicast"),
        ("http://metadata.google.internal/", "metadata"),
        ("https://sneaky.example.com/", "10.0.0.5"),
        ("https://nowhere.invalid/", "does not resolve"),
        ("https://x.example/" + "a" * 2100, "longer than"),
    ],
)
def test_unsafe_urls_are_refused_with_a_reason(url: str, reason: str) -> None:
    # covers: X5
    problems = check_url(url, allowed=(), resolve=NAMES)
    assert problems, url
    assert all(p.field == "url" for p in problems)
    assert any(reason in p.reason for p in problems), [p.reason for p in problems]


def test_configured_networks_are_allowed_and_nothing_else() -> None:
    policy = UrlPolicy.of(["127.0.0.0/8", "::1/128"], resolve=NAMES)
    assert policy.check("http://127.0.0.1:9000/hook") == []
    assert policy.check("http://localhost:9000/hook") == []
    assert policy.check("http://10.0.0.1/") != []
    assert refusal("127.0.0.1", parse_networks(["127.0.0.0/8"])) is None
    assert refusal("not-an-ip", ()) is not None

"""The page shell of the DCC dashboard: inline CSS, header, login and error pages, headers.

Everything a page needs is in the page (no CDN, fonts or scripts), so it reads offline and
prints. The Content-Security-Policy allows no script at all and only this exact stylesheet
(by hash), so even a value that escaped escaping could not run.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import datetime

from chfw_api.api.html.markup import Markup, render, when

CSS = """
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --line: #d0d7de;
  --accent: #0b5cad; --bad: #a40e26; --bg: #ffffff; --band: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica,
  Arial, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
a:focus, button:focus, input:focus { outline: 3px solid #ffbf47; outline-offset: 1px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; }
header.top { display: flex; align-items: center; gap: 24px; padding: 10px 24px;
  background: #0d2a4a; color: #fff; }
header.top a { color: #fff; }
header.top .brand { font-weight: 600; margin: 0; }
header.top nav ul { list-style: none; display: flex; gap: 16px; margin: 0; padding: 0; }
header.top form { margin-left: auto; }
main { padding: 16px 24px 32px; max-width: 1600px; }
h1 { font-size: 1.6rem; margin: 8px 0 4px; }
h2 { font-size: 1.25rem; margin: 28px 0 8px; border-bottom: 2px solid var(--line);
  padding-bottom: 4px; }
h3 { font-size: 1.05rem; margin: 18px 0 6px; }
p.meta, .muted { color: var(--muted); margin: 0 0 8px; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 12px; font-size: 14px; }
caption { text-align: left; color: var(--muted); padding: 2px 0 6px; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 7px; text-align: left;
  vertical-align: top; }
tbody th[scope=row] { white-space: nowrap; }
.scroll { overflow-x: auto; }
thead th { background: var(--band); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.stage { display: inline-block; padding: 1px 8px; border-radius: 10px; background: #e7f0fa;
  border: 1px solid #b6cfe8; font-weight: 600; white-space: nowrap; }
.stage.ended { background: #eeeeee; border-color: #cccccc; color: var(--muted); }
.overdue { color: var(--bad); font-weight: 600; }
.due { white-space: nowrap; }
ul.legend { list-style: none; display: flex; gap: 14px; padding: 0; margin: 0 0 6px;
  color: var(--muted); font-size: 0.9rem; }
ul.actions { margin: 0; padding-left: 18px; }
svg.bar { display: block; box-sizing: content-box; border: 1px solid var(--line); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.desc { white-space: pre-wrap; overflow-wrap: anywhere; max-width: 60ch; }
form.login { max-width: 420px; display: grid; gap: 8px; }
input[type=password] { font: inherit; padding: 6px 8px; border: 1px solid #8c959f; }
button { font: inherit; padding: 6px 14px; cursor: pointer; }
.notice { border-left: 4px solid var(--bad); background: #fff5f5; padding: 8px 12px; }
footer { color: var(--muted); padding: 8px 24px 24px; font-size: 0.9rem; }
"""

_CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()

HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; img-src data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title} &middot; chfw DCC dashboard</title>
<style>{css}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<p class="brand">chfw &middot; CH firmware campaigns (SECMP0024)</p>
{nav}
</header>
<main id="main">
{body}
</main>
<footer>{footer}</footer>
</body>
</html>
"""

_NAV = """<nav aria-label="Dashboard"><ul><li><a href="/dashboard">Overview</a></li></ul></nav>
<form method="post" action="/dashboard/logout"><button type="submit">Sign out</button></form>"""


def page(
    title: str, body: Markup, *, generated_at: datetime | None = None, signed_in: bool = True
) -> Markup:
    footer = (
        render("Read-only view generated at {at}. Times are UTC.", at=when(generated_at))
        if generated_at is not None
        else Markup("Read-only view for DCC operators.")
    )
    return render(
        _PAGE,
        title=title,
        css=Markup(CSS),
        nav=Markup(_NAV) if signed_in else Markup(""),
        body=body,
        footer=footer,
    )


def login_page(message: str | None = None) -> Markup:
    """The sign-in form; `message` says why the caller is here (never echoes the key)."""
    notice = render('<p class="notice" role="alert">{m}</p>', m=message) if message else ""
    body = render(
        """<h1>Sign in</h1>
<p class="meta">The dashboard is for DCC operators. Paste a DCC API key; it is kept in an
HttpOnly cookie for this dashboard only.</p>
{notice}
<form class="login" method="post" action="/dashboard/login">
<label for="key">DCC API key</label>
<input id="key" name="key" type="password" autocomplete="current-password" required
 spellcheck="false" placeholder="chfw_...">
<button type="submit">Sign in</button>
</form>""",
        notice=notice,
    )
    return page("Sign in", body, signed_in=False)


def error_page(title: str, message: str, *, signed_in: bool = True) -> Markup:
    body = render(
        '<h1>{title}</h1><p class="notice" role="alert">{message}</p>'
        '<p><a href="/dashboard">Back to the overview</a></p>',
        title=title,
        message=message,
    )
    return page(title, body, signed_in=signed_in)

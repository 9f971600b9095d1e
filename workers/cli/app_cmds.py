"""`leadmem app install-url`: the link that installs the GHL Marketplace app.

An agency admin who opens it chooses a location (or, for an agency install, its locations) on
GHL's page and is sent back to the receiver's `GET /oauth/callback` (the app's redirect URI),
which stores the tokens and shows what to do next. The link asks for exactly the scopes the
project uses (`workers.ghl.oauth.SCOPES`; `--explain` says why each is needed).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from workers.cli.errors import CliError
from workers.ghl.oauth import SCOPES, authorize_url

Sub = Any  # argparse's private _SubParsersAction


def register(sub: Sub) -> None:
    p = sub.add_parser("app", help="the GHL Marketplace app: the link that installs it")
    asub = p.add_subparsers(dest="app_command", required=True)
    c = asub.add_parser(
        "install-url",
        help="print the URL that installs the app (GHL's authorize page), with exactly the "
             "scopes the project uses")
    c.add_argument("--client-id", help="the app's OAuth client id (default "
                                       "LEADMEM_GHL_OAUTH_CLIENT_ID)")
    c.add_argument("--redirect-uri", help="where GHL sends the admin back: the receiver's "
                   "/oauth/callback (default LEADMEM_GHL_OAUTH_REDIRECT_URI)")
    c.add_argument("--explain", action="store_true",
                   help="also list each scope and why it is needed (on standard error)")
    c.set_defaults(func=cmd_install_url)


def cmd_install_url(args: argparse.Namespace) -> int:
    s = args.settings
    client_id = args.client_id or s.ghl_oauth_client_id
    redirect_uri = args.redirect_uri or s.ghl_oauth_redirect_uri
    if not client_id:
        raise CliError("no OAuth client id: set LEADMEM_GHL_OAUTH_CLIENT_ID or pass --client-id")
    if not redirect_uri:
        raise CliError("no redirect URI: set LEADMEM_GHL_OAUTH_REDIRECT_URI (the receiver's "
                       "/oauth/callback as GHL reaches it) or pass --redirect-uri")
    try:
        url = authorize_url(client_id, redirect_uri)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    print(url)
    if args.explain:
        width = max(len(s.name) for s in SCOPES)
        for scope in SCOPES:
            print(f"{scope.name:<{width}}  {scope.why}", file=sys.stderr)
    return 0

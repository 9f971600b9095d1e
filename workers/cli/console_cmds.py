"""`leadmem console user add|disable|enable|list`: who may log in to the admin console
(workers/console). Passwords are read from standard input (a prompt without echo, asked
twice, on a terminal) or from an environment variable (`--password-env VAR`), never from the
command line; they are checked by the console's policy and kept as Argon2id hashes. Every
change is in the console's audit log. The console's tables are used over the admin
connection (the workers' role sees none of them)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import cast

from workers.cli.errors import CliError
from workers.cli.ops_common import Sub, admin_conn, run, table
from workers.console import accounts, audit, passwords
from workers.console.access import ROLES, Role


def register(sub: Sub) -> None:
    c = sub.add_parser("console", help="the admin console's users")
    cs = c.add_subparsers(dest="console_command", required=True, metavar="WHAT")
    u = cs.add_parser("user", help="add, disable, enable or list console users")
    us = u.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    p = us.add_parser("add", help="a new user; the password from standard input, or "
                      "--password-env VAR")
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("--role", required=True, choices=ROLES,
                   help="operator (every tenant) or agency (one tenant's admin)")
    p.add_argument("--tenant", metavar="ID", help="the agency admin's tenant (GHL locationId)")
    p.add_argument("--password-env", metavar="VAR",
                   help="read the password from environment variable VAR (else standard "
                        "input)")
    p.set_defaults(func=lambda a: run(user_add(a), a.settings))
    for name, text in (("disable", "the user can no longer log in; its sessions end now"),
                       ("enable", "a disabled user may log in again")):
        p = us.add_parser(name, help=text)
        p.add_argument("email", metavar="EMAIL")
        p.set_defaults(func=lambda a: run(user_disable(a), a.settings))
    us.add_parser("list", help="every console user").set_defaults(
        func=lambda a: run(user_list(a), a.settings))


def actor() -> audit.Actor:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return audit.Actor(f"cli:{who}")


def read_password(args: argparse.Namespace) -> str:
    """The new user's password: from `--password-env VAR`, or standard input (all of it,
    without its final line break; on a terminal a prompt without echo, asked twice)."""
    if args.password_env is not None:
        value = os.environ.get(args.password_env)
        if not value:
            raise CliError(f"--password-env: environment variable {args.password_env} is not "
                           "set or empty")
        return value
    if sys.stdin is None:
        raise CliError("no standard input to read the password from (or use --password-env)")
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            raise CliError("the two passwords differ")
        return first
    value = sys.stdin.read().removesuffix("\n").removesuffix("\r")
    if not value:
        raise CliError("standard input was empty: give the password on standard input")
    return value


async def user_add(args: argparse.Namespace) -> int:
    try:
        email = accounts.normal_email(args.email)
    except accounts.AccountError as exc:
        raise CliError(str(exc)) from exc
    password = read_password(args)
    try:
        passwords.check(password, email)
    except passwords.PasswordError as exc:
        raise CliError(str(exc)) from exc
    encoded = passwords.hash_password(password)
    async with admin_conn(args.settings) as conn, conn.transaction():
        try:
            user = await accounts.add_user(conn, email, encoded, cast(Role, args.role),
                                           args.tenant)
        except accounts.AccountError as exc:
            raise CliError(str(exc)) from exc
        await audit.record(conn, actor(), "user.add", tenant=user.tenant, target=email,
                           after={"role": user.role, "tenant": user.tenant})
    scope = f"tenant {user.tenant}" if user.tenant else "every tenant"
    print(f"added {user.role} {email} ({scope})")
    return 0


async def user_disable(args: argparse.Namespace) -> int:
    disable = args.user_command == "disable"
    try:
        email = accounts.normal_email(args.email)
    except accounts.AccountError as exc:
        raise CliError(str(exc)) from exc
    async with admin_conn(args.settings) as conn, conn.transaction():
        user = await accounts.set_disabled(conn, email, disable)
        if user is None:
            raise CliError(f"no console user {email}")
        await audit.record(conn, actor(), f"user.{args.user_command}", tenant=user.tenant,
                           target=email, after={"disabled": disable})
    print(f"{'disabled' if disable else 'enabled'} {email}"
          + (" (its sessions ended)" if disable else ""))
    return 0


async def user_list(args: argparse.Namespace) -> int:
    async with admin_conn(args.settings) as conn:
        found = await accounts.users(conn)
    table([("EMAIL", "ROLE", "TENANT", "STATE")] + [
        (u.email, u.role, u.tenant or "-", "disabled" if u.disabled else "active")
        for u in found])
    print(f"{len(found)} user(s)")
    return 0

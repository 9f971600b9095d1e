"""The `leadmem` command line."""


def main() -> None:
    raise SystemExit("leadmem: not built yet")

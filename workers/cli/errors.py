"""The error a command raises for bad arguments or state: one line, exit status 2."""


class CliError(Exception):
    pass

"""Errors caused by what a person asked for. Their message is shown as is: one clear line."""


class UserError(Exception):
    """Bad input: the CLI prints the message and exits non-zero; the API answers 4xx."""


class NotFound(UserError):
    pass


class Conflict(UserError):
    pass

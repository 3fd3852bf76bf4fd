"""The one exception every service raises for a request it refuses."""


class ServiceError(Exception):
    """A request SkyLedger refuses, with a code for the API and a sentence for people."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message

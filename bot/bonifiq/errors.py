"""The points API's failures, one class for each thing a caller does differently."""


class BonifiqError(Exception):
    """Base for every points API failure."""


class BonifiqAuthError(BonifiqError):
    """The API refused our credentials (401/403): only the operator can fix this."""


class CustomerNotFoundError(BonifiqError):
    """The store has no customer with this id (`CustomerExists: false`)."""

    def __init__(self, customer_id: str) -> None:
        super().__init__(f"no BonifiQ customer with id {customer_id!r}")
        self.customer_id = customer_id


class InvalidCustomerIdError(CustomerNotFoundError, ValueError):
    """The id cannot name a BonifiQ customer (blank, too long, `..`): nothing was requested."""

    def __init__(self, customer_id: str, problem: str) -> None:
        super().__init__(customer_id)
        self.args = (problem,)
        self.problem = problem


class BonifiqUnavailableError(BonifiqError):
    """The API could not be reached or kept failing (timeouts, 5xx, 429) within the deadline."""


class BonifiqResponseError(BonifiqError):
    """The API answered something we cannot trust: malformed, unexpected or an error envelope."""

"""One exception family for the whole engine.

Every error the engine raises on purpose derives from :class:`EngineError`,
and each class says once how it is reported: the HTTP status the API answers
with and the exit code of the ``promise`` command.  Anything else that escapes
(a ``KeyError`` deep in a solver) is a bug: the API answers 500 and the CLI
exits 1, never "bad input".

``InputError`` and its family are the caller's mistake; they carry the item
(``"order 'o7'"``) and the field (``"windows"``) so the API can point at the
field without parsing message text.  They also derive from ``ValueError`` so
code written against the earlier, ValueError-based errors keeps working.
"""

from __future__ import annotations

__all__ = [
    "EngineError",
    "InputError",
    "FormatError",
    "TooLargeError",
    "NotFoundError",
    "ConflictError",
    "UnavailableError",
    "EXIT_OK",
    "EXIT_BUG",
    "EXIT_INPUT",
    "EXIT_UNAVAILABLE",
]

EXIT_OK = 0
#: An internal error: a bug to report, not the user's fault.
EXIT_BUG = 1
#: Bad input: the message names the item and the field.
EXIT_INPUT = 2
#: A service the command needs (the database) is down; trying again may work.
EXIT_UNAVAILABLE = 3


class EngineError(Exception):
    """Base of every deliberate engine error."""

    http_status: int = 500
    exit_code: int = EXIT_BUG


class InputError(EngineError, ValueError):
    """The caller's input is wrong; names the item and the field when they are known."""

    http_status = 422
    exit_code = EXIT_INPUT

    def __init__(self, message: str, *, item: str | None = None, field: str | None = None) -> None:
        self.item = item
        self.field = field
        self.message = message
        super().__init__(message)

    @property
    def loc(self) -> list[str]:
        """Where the error is, as FastAPI's ``loc`` (without the leading ``"body"``)."""
        return [p for p in (self.item, self.field) if p]


class FormatError(InputError):
    """A file or document could not be read in its format (OSM, VROOM, history CSV, model)."""


class TooLargeError(InputError):
    """The input is well-formed but over a size or memory limit."""

    http_status = 413


class NotFoundError(EngineError, LookupError):
    """A named thing (plan, ticket, network file) does not exist."""

    http_status = 404
    exit_code = EXIT_INPUT


class ConflictError(EngineError):
    """The request conflicts with the current state (an action on a finished plan)."""

    http_status = 409
    exit_code = EXIT_INPUT


class UnavailableError(EngineError):
    """A dependency is down (database, worker pool full); the request may succeed later."""

    http_status = 503
    exit_code = EXIT_UNAVAILABLE

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message)


# --------------------------------------------------------------------------- the family, by stage


class ProblemError(InputError):
    """Bad input in a dispatch problem: names the item and the field that is wrong."""

    def __init__(self, item: str, field_name: str, message: str) -> None:
        super().__init__(f"{item}: {field_name}: {message}", item=item, field=field_name)
        self.message = message


#: The earlier name, kept so callers that catch it still work.
ModelError = ProblemError


class NetworkError(InputError):
    """A road network could not be built or loaded: names the source and the problem."""


class OffNetworkError(NetworkError):
    """Points lie farther from the road network than allowed.

    ``indices`` are the positions of the offending points in the query and
    ``distances_m`` how far each is from its nearest node.
    """

    def __init__(self, indices: object, distances_m: object, max_distance_m: float) -> None:
        import numpy as np  # only when raised: keeps this module import-light

        self.indices = np.asarray(indices, dtype=np.int64)
        self.distances_m = np.asarray(distances_m, dtype=np.float64)
        self.max_distance_m = float(max_distance_m)
        shown = ", ".join(f"#{i} ({d:,.0f} m)" for i, d in zip(self.indices[:10], self.distances_m[:10]))
        more = f" and {self.indices.size - 10} more" if self.indices.size > 10 else ""
        super().__init__(
            f"{self.indices.size} point(s) farther than {self.max_distance_m:,.0f} m from the road network: "
            f"{shown}{more}"
        )


class OSMReadError(FormatError, NetworkError):
    """The OSM input could not be read or holds no drivable roads."""


class MatrixError(InputError):
    """Bad input to a matrix query: names the argument and the problem."""


class VroomFormatError(FormatError):
    """The VROOM document is malformed: names the job/vehicle and the key."""


class HistoryError(FormatError):
    """A delivery-history file as a whole cannot be used (missing columns, unreadable)."""


class ModelLoadError(FormatError):
    """An ETA model directory is missing, incomplete or from another format version."""


class QuoteError(InputError):
    """Bad input to a quote or a promise check; names the field."""


__all__ += [
    "ProblemError",
    "ModelError",
    "NetworkError",
    "OffNetworkError",
    "OSMReadError",
    "MatrixError",
    "VroomFormatError",
    "HistoryError",
    "ModelLoadError",
    "QuoteError",
]


class BusyError(EngineError):
    """The server has no room for this request now (a full solve queue, a per-key limit): 429."""

    http_status = 429
    exit_code = EXIT_UNAVAILABLE

    def __init__(self, message: str, *, retry_after_s: float = 5.0) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message)


__all__ += ["BusyError"]


class ScenarioError(InputError):
    """A simulation scenario (TOML or an override) is malformed: names the file, the dotted key and what is wrong."""


__all__ += ["ScenarioError"]

"""Memo machinery: the small bounded caches that keep an assessment to a few dict lookups.

Routing assesses about nine crossings per request, so what does not depend on the amounts is
worked out once and remembered. Each part of the engine that remembers something is a
:class:`Memoized` component: its memos wrap its own pure methods with :func:`memo`, under the
method's name plus ``_at`` (``Borders.zone`` is remembered as ``Borders.zone_at``), and the
unwrapped method stays the reference. A memo only remembers answers; whatever an answer cites
and notes is replayed into each assessment in order, so a hit and a miss give the same
assessment.

Keys are codes, a channel, a reason, flags and the assessment date, which all requests of a day
share; a few memos also key on a request's own dates (a miss costs only the date arithmetic) or
its amounts (:data:`AMOUNT_MEMO_SIZE`, a few requests' worth). Memos are not pickled: a component
is pickled without them and rebuilds them, empty, when loaded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ClassVar, TypeVar

__all__ = ["AMOUNT_MEMO_SIZE", "MEMO_SIZE", "Memoized", "memo"]

# Entries per memo. Keys are a few codes, a channel, a reason and dates: a day's traffic is a
# few hundred of them, so this holds several days of it and bounds memory when dates vary.
MEMO_SIZE = 4096
# ``amounts`` memoizes the reclaims of a request's crossings, keyed on its amounts: a few entries
# per request are enough (its crossings differ only by channel and exit in these keys)
AMOUNT_MEMO_SIZE = 256

_V = TypeVar("_V")


def memo(function: Callable[..., _V], size: int = MEMO_SIZE) -> Callable[..., _V]:
    """``function`` memoized on its (hashable) arguments, bounded to ``size`` entries."""
    return functools.lru_cache(maxsize=size)(function)


class Memoized:
    """A component with memos: ``_memoize`` (re)creates them, empty (an engine new to it all);
    ``_MEMOS`` names the attributes that hold them, which pickling leaves out."""

    _MEMOS: ClassVar[tuple[str, ...]] = ()

    def _memoize(self) -> None:
        """Create (or empty) every memo named in ``_MEMOS``."""

    def __getstate__(self) -> dict[str, object]:
        """Pickled without the memos (they are rebuilt on load)."""
        return {k: v for k, v in self.__dict__.items() if k not in self._MEMOS}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._memoize()

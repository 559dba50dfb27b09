"""Small bases for value classes on the validate path, in place of ``dataclasses``.

``import dataclasses`` pulls in ``inspect`` (with ``ast``, ``dis``, ``tokenize``) and costs ~8-10 ms
per process; ``comfyreel validate GRAPH.json`` as a whole must stay ~10x faster than comfy-cli's
(issue 7), so the classes it loads (``Finding``, ``Graph``, ``ModelInventory``, ``ObjectInfo``'s
node schemas, the rule registry) are plain classes that list their fields in ``FIELDS`` and write
their own ``__init__``. These bases give them what ``@dataclass`` did: equality by fields (same class
only), a ``Name(field=value, ...)`` repr and, for :class:`Frozen`, hashing by fields and no
assignment after ``__init__``.
"""

from __future__ import annotations

from typing import Any, ClassVar


class Value:
    """Equality and repr by the fields named in ``FIELDS`` (mutable: not hashable)."""

    FIELDS: ClassVar[tuple[str, ...]] = ()
    __hash__ = None  # type: ignore[assignment]  # mutable values, like @dataclass(eq=True)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"{type(self).__qualname__}({fields})"


class FrozenError(AttributeError):
    """Assigning to a field of a frozen value (an AttributeError, like dataclasses' FrozenInstanceError)."""


class Frozen(Value):
    """A :class:`Value` that cannot change after ``__init__`` (set fields with :meth:`_set`)."""

    def _set(self, **fields: Any) -> None:
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenError(f"cannot delete field {name!r}")

    def __hash__(self) -> int:
        return hash(self._values())

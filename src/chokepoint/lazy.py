"""Public names imported on first use (PEP 562), for the package facades ``chokepoint`` and
``chokepoint.api``: ``import chokepoint`` and ``chokepoint --help`` stay fast, and a command
loads only the modules it uses."""

from importlib import import_module


def lazy_names(package: str, table: dict[str, str]):
    """The module-level ``__getattr__`` and ``__dir__`` of ``package``: a name in ``table`` is
    imported from its module (relative to ``package``) on first use and then kept in the package."""
    namespace = import_module(package).__dict__

    def __getattr__(name: str):
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f".{module}", package), name)
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(table))

    return __getattr__, __dir__

"""Sources of row blocks: every solver sees data only through :meth:`Source.reduce`."""

from oneuron.data.memory import MemorySource, Source

__all__ = ["MemorySource", "Source"]

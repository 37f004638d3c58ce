"""Sources of row blocks: every solver sees data only through :meth:`Source.reduce`.

- :class:`MemorySource`: arrays, memmaps and sparse matrices in memory.
- :func:`parquet`, :func:`csv`, :func:`npy`: files streamed in row batches (bounded memory), for ``fit(source)``.
- dask arrays and DataFrames are accepted by ``fit`` directly (see :mod:`oneuron.data.dask`).
"""

from oneuron.data.files import CSVSource, NpySource, ParquetSource, StreamSource, csv, npy, parquet
from oneuron.data.memory import MemorySource, Source

__all__ = [
    "CSVSource",
    "MemorySource",
    "NpySource",
    "ParquetSource",
    "Source",
    "StreamSource",
    "csv",
    "npy",
    "parquet",
]

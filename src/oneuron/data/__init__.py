"""Data sources: every solver sees data only through a :class:`Source`.

- :class:`MemorySource`: arrays, memmaps and sparse matrices in memory.
- :func:`parquet`, :func:`csv`, :func:`npy`: files streamed in row batches (bounded memory), for ``fit(source)``.
- dask arrays and DataFrames are accepted by ``fit`` directly.
"""

from oneuron.data._files import CSVSource, NpySource, ParquetSource, StreamSource, csv, npy, parquet
from oneuron.data._memory import MemorySource, Source

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

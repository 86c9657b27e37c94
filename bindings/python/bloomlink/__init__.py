"""bloomlink: privacy-preserving record linkage with keyed Bloom filters.

Each organisation encodes its own records with a secret shared only between the organisations;
the linkage unit links the encodings without ever seeing names, dates or NHS numbers.

>>> import bloomlink
>>> data = bloomlink.synth(1000, seed=7)                       # synthetic extracts
>>> schema = bloomlink.Schema.starter()
>>> trust = bloomlink.encode(data.trust, schema, secret=b"a secret shared by the data holders")
>>> council = bloomlink.encode(data.council, schema, secret=b"a secret shared by the data holders")
>>> linkage = bloomlink.link(trust, council, threshold=0.8)   # the linkage unit's side
>>> bloomlink.evaluate(linkage, data.truth).f1 > 0.9
True

Several organisations' encodings make a person index, a stable pseudonymous person ID for every
record: ``bloomlink.PersonIndex.build({"trust": trust, "council": council})``, then ``.add``,
``.crosswalk()``, ``.stats()`` (with disclosure control), ``.save``/``PersonIndex.open``.

Everything heavy runs in the C++ core, with the GIL released. Errors arrive as InputError (a
ValueError) or FileError (an OSError) with the library's message, naming the record and field.
"""
from ._api import (AuditReport, ClusterMetrics, ClusterScores, CrosswalkComparison,
                   EncodedDataset, Estimate, FsModel, IndexStats, IndexUpdate, Linkage, Metrics,
                   PersonIndex, Revealed, Schema, SyntheticExtracts, SyntheticSources, audit,
                   compare_crosswalks, encode, evaluate, kernel, link, reveal, synth,
                   synth_sources)
from ._core import Error, FileError, InputError, __version__

__all__ = [
    "AuditReport", "ClusterMetrics", "ClusterScores", "CrosswalkComparison", "EncodedDataset",
    "Error", "Estimate", "FileError", "FsModel", "IndexStats", "IndexUpdate", "InputError",
    "Linkage", "Metrics", "PersonIndex", "Revealed", "Schema", "SyntheticExtracts",
    "SyntheticSources", "audit", "compare_crosswalks", "encode", "evaluate", "kernel", "link",
    "reveal", "synth",
    "synth_sources", "__version__",
]

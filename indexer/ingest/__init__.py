"""Where an uploaded or dropped file goes, in the order it goes there:

    runner     the JobRunner seam: start a job of files, read its progress, resume it
    broker_runner / broker_jobs   jobs on a message broker, run by `khlang worker`
    jobs       a job (a Batch row) that survives being killed: owner, resume, status
    sources    files and folders -> Sources; what each file's outcome is (FileResult)
    names      file names as staff's systems wrote them (cp874, cp437, NFC)
    bundles    ZIP/7z unpacked, each member ingested on its own
    pipeline   the Ingestor: one batch, its worker processes, one file after another
    steps      one file's way: receive, prepare, store, record, replicate, suggest
    identify   what a file is, by its content (libmagic)
    prepare    text and metadata out of it (extract, repair, OCR, understand)
    events     the submission and provenance events each outcome leaves
    batches    the job's row, its counters and stage timings
    suggesting inventory links suggested for new documents
    index_queue / indexing   into the search index, which the database keeps in step

May import ``records``, ``inventory``, ``extract``, ``understand``, ``thai``, ``search``,
``preserve`` and ``runtime``. Other layers import the names below from ``indexer.ingest``.
"""

from indexer.exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "runner": ("RUNNERS", "JobRunner", "LocalJobRunner", "job_runner"),
        "jobs": (
            "job_status",
            "resume_interrupted_uploads",
            "run_ingest_job",
            "start_background_job",
        ),
        "sources": ("FileResult", "Source", "expand_paths"),
        "pipeline": ("Ingestor",),
        "identify": ("Identification", "identify"),
        "indexing": ("document_for_index", "index_documents", "reindex", "reindex_quietly"),
    },
)

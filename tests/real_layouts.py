"""Expected file layouts written out for tests (not taken from the code under test)."""

# the ENCODE portal's metadata.tsv header since 2021, in this order: 59 columns (as in real
# portal reports, e.g. an ENCODE4 v1.1.0 RNA-seq report)
ENCODE_HEADER_2021 = [
    "File accession", "File format", "File type", "File format type", "Output type",
    "File assembly", "Experiment accession", "Assay", "Donor(s)", "Biosample term id",
    "Biosample term name", "Biosample type", "Biosample organism", "Biosample treatments",
    "Biosample treatments amount", "Biosample treatments duration",
    "Biosample genetic modifications methods", "Biosample genetic modifications categories",
    "Biosample genetic modifications targets", "Biosample genetic modifications gene targets",
    "Biosample genetic modifications site coordinates",
    "Biosample genetic modifications zygosity", "Experiment target", "Library made from",
    "Library depleted in", "Library extraction method", "Library lysis method",
    "Library crosslinking method", "Library strand specific", "Experiment date released",
    "Project", "RBNS protein concentration", "Library fragmentation method", "Library size range",
    "Biological replicate(s)", "Technical replicate(s)", "Read length", "Mapped read length",
    "Run type", "Paired end", "Paired with", "Index of", "Derived from", "Size", "Lab", "md5sum",
    "dbxrefs", "File download URL", "Genome annotation", "Platform", "Controlled by",
    "File Status", "s3_uri", "Azure URL", "File analysis title", "File analysis status",
    "Audit WARNING", "Audit NOT_COMPLIANT", "Audit ERROR",
]  # fmt: skip

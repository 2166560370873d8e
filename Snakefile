# DNABERT pipeline: hg38 -> datasets -> k-mer tokens -> MLM pretraining -> fine-tuning ->
# baselines -> report. All logic lives in the `dnabert` package (src/); rules are glue.
#
#   snakemake --cores N --use-conda                          # paper-scale run (config/config.yaml)
#   snakemake --cores 2 --configfile config/demo.yaml        # offline demo on a generated genome
from snakemake.utils import min_version

min_version("9.0")


report: "workflow/report/workflow.rst"


# config/config.yaml is the default: a --configfile on the command line replaces it, while
# --config key=value alone is merged over it.
if not workflow.overwrite_configfiles:

    configfile: f"{workflow.basedir}/config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/genome.smk"
include: "workflow/rules/datasets.smk"
include: "workflow/rules/splice.smk"
include: "workflow/rules/tfbs.smk"
include: "workflow/rules/tokenize.smk"
include: "workflow/rules/pretrain.smk"
include: "workflow/rules/baselines.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/finetune.smk"
include: "workflow/rules/variants.smk"


# Downloads run on the submitting host: compute nodes of most clusters have no internet.
localrules:
    download_resource,
    download_tf_index,
    download_peaks,


rule all:
    default_target: True
    input:
        get_fixed_targets,
        get_tf_targets,
        paths.METRICS_TABLE,

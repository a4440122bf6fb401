# The ctsim component image: the base image of every KFP component in the pipeline.
# kfp and ctsim are installed here, so the compiled components use install_kfp_package=False
# and run the same code on kfp.local's DockerRunner, in docker compose and on a cluster.
#
# The tag is pinned in ONE place, COMPONENT_IMAGE in ctsim/pipeline/components.py; build with:
#   docker build -t "$(python -c 'from ctsim.pipeline.components import COMPONENT_IMAGE; print(COMPONENT_IMAGE)')" .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/ctsim
# Dependencies first (pyproject only), so code edits do not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir ctsim && touch ctsim/__init__.py && pip install . && pip uninstall -y ctsim && rm -rf ctsim build

# The shipped scenarios are package data (ctsim/_data), so copying the package brings them.
COPY ctsim ./ctsim
RUN pip install --no-deps -e . && python -c "import kfp, ctsim.pipeline.tasks" \
    && useradd --create-home --uid 10001 ctsim && mkdir -p /opt/ctsim/runs && chown ctsim /opt/ctsim/runs
USER ctsim

CMD ["ctsim", "--help"]

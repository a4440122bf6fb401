# The ctsim component image: the base image of every KFP component in the pipeline.
# kfp and ctsim are installed here, so the compiled components use install_kfp_package=False
# and run the same code on kfp.local's DockerRunner, in docker compose and on a cluster.
#
# The tag is pinned in ONE place, COMPONENT_IMAGE in ctsim/pipeline/components.py; build with:
#   docker build -t "$(python -c 'from ctsim.pipeline.components import COMPONENT_IMAGE; print(COMPONENT_IMAGE)')" .
# Where no registry can be pulled, ci/docker-setup.sh builds a Debian bookworm base locally (debootstrap,
# python3 3.11) and passes it as BASE_IMAGE; it also drops the host's CA bundle into ci/certs/ for pip.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

# A venv, so the same steps work on python:3.11-slim and on Debian's python3 (PEP 668 forbids system pip there).
# ci/certs/ holds an optional extra CA bundle (host-ca.pem) for hosts whose network re-signs TLS.
COPY ci/certs/ /etc/ctsim/certs/
RUN python3 -m venv /opt/venv \
    && if [ -s /etc/ctsim/certs/host-ca.pem ]; then pip config --site set global.cert /etc/ctsim/certs/host-ca.pem; fi

WORKDIR /opt/ctsim
# Dependencies first (pyproject only, a placeholder README), so code and README edits do not reinstall them.
COPY pyproject.toml ./
RUN mkdir ctsim && touch ctsim/__init__.py README.md && pip install . && pip uninstall -y ctsim && rm -rf ctsim build README.md

# The shipped scenarios are package data (ctsim/_data), so copying the package brings them.
COPY ctsim ./ctsim
RUN pip install --no-deps -e . && python -c "import kfp, ctsim.pipeline.tasks" \
    && useradd --create-home --uid 10001 ctsim && mkdir -p /opt/ctsim/runs && chown ctsim /opt/ctsim/runs
USER ctsim

CMD ["ctsim", "--help"]

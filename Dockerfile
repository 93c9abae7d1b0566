# nhi in a container: a slim Python base, a non-root user, `nhi` as the entrypoint and the
# inventory in a volume (/data). See README, "Container image".
#
#   docker build -t nhi .                                   # EXTRAS=all (default: demo)
#   docker run --rm -v nhi-data:/data nhi scan --demo
#   docker run --rm -v nhi-data:/data -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY nhi scan --provider aws

# Build the wheels (nhi-cli and every dependency) in a throwaway stage: the final image gets
# no compiler, no pip cache and no source tree.
FROM python:3.12-slim AS build
ARG EXTRAS=demo
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY nhi_cli ./nhi_cli
COPY connectors ./connectors
COPY fixtures/demo ./fixtures/demo
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[${EXTRAS}]"

FROM python:3.12-slim
ARG EXTRAS=demo
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NHI_DB=/data/nhi.db
COPY --from=build /wheels /tmp/wheels
# Not pinned by version on purpose: --no-index installs the one nhi-cli wheel built above from
# this source tree, with the dependency wheels resolved in the build stage.
# hadolint ignore=DL3013
RUN pip install --no-cache-dir --no-index --find-links /tmp/wheels "nhi-cli[${EXTRAS}]" \
    && rm -rf /tmp/wheels \
    && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin nhi \
    && mkdir -p /data \
    && chown nhi:nhi /data
# The inventory (NHI_DB) and any nhi.yaml live in /data; mount a volume there to keep history.
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
ENTRYPOINT ["nhi"]
CMD ["--help"]

# The lead-memory application image: every worker and the `leadmem` CLI.
# `leadmem migrate` reads migrations/ beside the source, so the project is installed in place
# (editable) under /app rather than copied into site-packages.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, in their own layer: rebuilt only when pyproject.toml changes.
COPY pyproject.toml README.md ./
RUN mkdir -p schemas workers \
    && touch schemas/__init__.py workers/__init__.py \
    && pip install . \
    && pip uninstall -y lead-memory \
    && rm -rf schemas workers build *.egg-info

COPY schemas ./schemas
COPY workers ./workers
COPY migrations ./migrations
RUN pip install --no-deps -e . \
    && useradd --create-home --uid 10001 leadmem

USER leadmem
EXPOSE 9101 9102 9103 9104 9105 9106 9107 9108 9110
CMD ["leadmem", "--help"]

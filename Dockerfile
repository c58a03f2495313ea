# Ecoinspect API image: Python 3.12 (durable_rules does not import on 3.13), the CJK font the PDFs embed,
# a non-root user. Build: docker build -t ecoinspect . ; with MongoDB: docker compose -f deploy/compose.yaml up
# Not built on the machine this was written on (no Docker there): see docs/operations.md, "Containers".

FROM python:3.12-slim AS build
# durable_rules ships no wheel: its C extension is compiled here (gcc and the C library headers).
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/ecoinspect
WORKDIR /src
COPY pyproject.toml README.md ./
COPY api ./api
COPY core ./core
COPY rules ./rules
COPY scheduler ./scheduler
RUN /opt/ecoinspect/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/ecoinspect/bin/pip install --no-cache-dir .

FROM python:3.12-slim
# fonts-wqy-microhei: /usr/share/fonts/truetype/wqy/wqy-microhei.ttc, the font core/pdf.py embeds.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 --user-group ecoinspect
COPY --from=build /opt/ecoinspect /opt/ecoinspect
ENV PATH=/opt/ecoinspect/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ECOINSPECT_DATA_DIR=/home/ecoinspect/var \
    PORT=8000
USER ecoinspect
WORKDIR /home/ecoinspect
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/readyz', timeout=2)"]
CMD ["ecoinspect", "serve", "--host", "0.0.0.0"]

# hand-written test case (not a real input): the secure counterpart of insecure.Dockerfile
# syntax=docker/dockerfile:1
FROM debian:bookworm-slim@sha256:b1211f6d19afd012477bd34fdcabb6b663d680e0f4b0537da6e6b0fd057a3ec3 AS base
ARG NPM_TOKEN
ENV PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3-pip curl \
    && rm -rf /var/lib/apt/lists/*
RUN curl -fsSLo /tmp/install.sh https://example.com/install.sh \
    && echo "24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d  /tmp/install.sh" | sha256sum -c - \
    && sh /tmp/install.sh
RUN pip install flask
RUN --mount=type=cache,target=/var/lib/apt \
    apt-get update && apt-get install -y --no-install-recommends git
COPY app.py /app/
RUN useradd --system app
HEALTHCHECK CMD curl -f http://localhost:8080/healthz || exit 1
USER app

FROM base AS final
CMD ["python3", "/app/app.py"]

# hand-written test case (not a real input): one instance of each insecure pattern, each on its own line
FROM ubuntu:latest
ARG NPM_TOKEN=npm_0123456789abcdef
ENV DB_PASSWORD="s3cr3t" API_KEY=$FROM_BUILD_ARG
RUN apt-get update
RUN apt-get install -y curl && rm -rf /var/lib/apt/lists/*
ADD app.py /app/
ADD https://example.com/tool.tar.gz /tmp/
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/x.tgz /tmp/x.tgz
ADD vendor.tar.gz /opt/
RUN curl -fsSL https://example.com/install.sh | sudo bash
RUN apk update
RUN apk add git
RUN pip3 install flask
RUN python3 -m pip install --no-cache-dir requests
HEALTHCHECK NONE
USER root

# hand-written test case (not a real input): heredocs, exec form, SHELL
FROM alpine:3.20
RUN <<EOF
apk update
apk add --no-cache curl
curl -fsSL https://example.com/x.sh | sh
EOF
RUN python3 <<PY
import os
print("apk add this-is-python-not-shell")
PY
RUN ["/bin/sh", "-c", "sudo apk add git"]
RUN ["apk", "add", "vim"]
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN wget -qO- https://example.com/y.sh | bash -s --

# hand-written test case (not a real input): yum/dnf cache hygiene
FROM registry.access.redhat.com/ubi9/ubi:9.4@sha256:1ee4d8c50d14d9c9e9229d9a039d793fcbc9aa803806d194c957a397cf1d2b17
RUN yum install -y httpd
RUN dnf install -y --setopt=install_weak_deps=False nginx && dnf clean all
RUN --mount=type=cache,target=/var/cache/dnf microdnf install -y git
RUN microdnf install -y jq
USER 1001
HEALTHCHECK CMD curl -f http://localhost/ || exit 1

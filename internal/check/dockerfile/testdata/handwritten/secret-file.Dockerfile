# hand-written test case (not a real input): a secret passed as a file path, the
# *_FILE convention of the official postgres and mysql images, is not a secret value
FROM postgres:17.2
ENV POSTGRES_PASSWORD_FILE=/run/secrets/postgres-password
ARG DB_TOKEN_PATH=/run/secrets/token
ENV API_TOKEN_FILE=hunter2
USER postgres

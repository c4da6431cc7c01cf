# hand-written test case (not a real input): inline suppressions
FROM alpine:3.20
# sightline:ignore SL-DF-012 the index is needed by the entrypoint
RUN apk add git

# sightline:ignore SL-DF-009 legacy build script, tracked in #123
# another comment between the suppression and the instruction
RUN sudo true
RUN echo one \
# sightline:ignore SL-DF-014 comment inside a continued RUN
    && echo two
# sightline:ignore SL-DF-001

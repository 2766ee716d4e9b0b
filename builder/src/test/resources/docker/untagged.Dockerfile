# Bases that are not pinned: no tag at all, and an ARG without a default.
ARG BASE
FROM ubuntu AS one
RUN true
FROM ${BASE} AS two
COPY --from=one /etc/hostname /tmp/h
COPY --from=alpine /etc/alpine-release /tmp/r
USER 0:0
HEALTHCHECK NONE
CMD ["true"]

# syntax=docker/dockerfile:1
# A minimal Dockerfile every rule accepts: stage by index and by name, an image-reference COPY --from,
# a digest-pinned base, an ARG-built tag, a non-root numeric user, and a comment inside a continued RUN.
ARG JRE_TAG=17-jre
FROM --platform=$BUILDPLATFORM eclipse-temurin:17-jdk AS build
WORKDIR /src
RUN mkdir -p target \
    # a comment inside a continuation is dropped
    && echo built > target/app.jar
FROM build AS test
RUN true
FROM eclipse-temurin:${JRE_TAG}
COPY --from=0 /src/target/app.jar /opt/javelin/javelin.jar
COPY --from=busybox:1.36.1 /bin/busybox /bin/busybox
USER 10001:10001
HEALTHCHECK NONE
ENTRYPOINT ["java", "-jar", "/opt/javelin/javelin.jar"]
CMD ["doctor"]

# Deliberately broken: each of the four defects below must be reported by DockerfileRules (DockerfileRulesTest).
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
RUN echo "pretend to build" > app.jar

# defect: "latest" moves under you
FROM ubuntu:latest
# defect: there is no stage called "biuld" (typo of "build")
COPY --from=biuld /src/app.jar /opt/app/app.jar
# defect: root
USER root
HEALTHCHECK NONE
# defect: shell form, so java is not PID 1 and never sees SIGTERM
ENTRYPOINT java -jar /opt/app/app.jar

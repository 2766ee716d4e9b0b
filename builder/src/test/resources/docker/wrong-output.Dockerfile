# Copies paths the Maven build does not produce: a jar name of another build tool, a folder that does not exist,
# and a folder outside the build stage's WORKDIR that no RUN makes. DockerfileLayoutIT expects all three reported.
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -DskipTests package

FROM eclipse-temurin:17-jre AS runtime
COPY --from=build /src/builder/target/javelin-all.jar /opt/javelin/javelin.jar
COPY --from=build /src/builder/target/dependency/ /opt/javelin/lib/
COPY --from=build /out/native/ /opt/javelin/native/
USER 10001
HEALTHCHECK NONE
ENTRYPOINT ["java", "-jar", "/opt/javelin/javelin.jar"]

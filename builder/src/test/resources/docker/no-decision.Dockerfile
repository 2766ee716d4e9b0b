# No USER, no HEALTHCHECK decision, and an entrypoint jar that nothing copies.
FROM eclipse-temurin:17-jre@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ENTRYPOINT ["java", "-jar", "/opt/javelin/javelin.jar"]

# A long-running entrypoint that opts out of health checks, and one that says nothing.
FROM eclipse-temurin:17-jre AS runtime
COPY app/ /opt/javelin/
USER 10001
HEALTHCHECK NONE
ENTRYPOINT ["java", "-jar", "/opt/javelin/javelin.jar"]
CMD ["serve", "--port", "8000"]

# syntax=docker/dockerfile:1
# RecoStream worker image.
#   docker build -t recostream .
#   docker run -d --name recostream -v recostream-data:/var/lib/recostream \
#     -p 127.0.0.1:7464:7464 -p 127.0.0.1:9464:9464 -e RecoStream__Security__Token=change-me-please recostream
# Events and queries go to TCP 7464 (line protocol); /metrics, /recommend/{user}, /healthz, /readyz to 9464.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files alone, so the package layer is cached across code changes.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/RecoStream.Core/RecoStream.Core.csproj src/RecoStream.Core/
COPY src/RecoStream.Storage/RecoStream.Storage.csproj src/RecoStream.Storage/
COPY src/RecoStream.Worker/RecoStream.Worker.csproj src/RecoStream.Worker/
RUN dotnet restore src/RecoStream.Worker/RecoStream.Worker.csproj -r linux-x64
COPY config/ config/
COPY src/ src/
ARG GIT_COMMIT=unknown
RUN dotnet publish src/RecoStream.Worker/RecoStream.Worker.csproj -c Release -r linux-x64 --self-contained false \
      --no-restore -p:SourceRevisionId=$GIT_COMMIT -o /app

# ASP.NET Core runtime (Kestrel serves HTTP) on Debian: RocksDB's bundled native library needs glibc >= 2.34.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
RUN mkdir -p /var/lib/recostream && chown app:app /var/lib/recostream
USER app
VOLUME ["/var/lib/recostream"]
# Inside a container the listeners must bind beyond loopback to be reachable through published ports; the
# worker logs a warning saying so. Publish them on the host's loopback (-p 127.0.0.1:...) or set a token.
ENV RecoStream__Storage__Path=/var/lib/recostream \
    RecoStream__Metrics__Host=* \
    RecoStream__Ingest__Tcp__Host=* \
    RecoStream__Ingest__Tcp__Port=7464 \
    RecoStream__Diagnostics__LogFormat=Json \
    DOTNET_gcServer=0
EXPOSE 7464 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["dotnet", "/app/RecoStream.Worker.dll", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "/app/RecoStream.Worker.dll"]

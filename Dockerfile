# syntax=docker/dockerfile:1
# RecoStream worker image. Build: docker build -t recostream .
# Run (events on stdin): generate | docker run -i --rm -v recostream-data:/var/lib/recostream recostream

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
RUN dotnet publish src/RecoStream.Worker/RecoStream.Worker.csproj -c Release -r linux-x64 --self-contained false \
      --no-restore -o /app

# A glibc (Debian) runtime image: RocksDB's bundled native library needs glibc >= 2.34.
FROM mcr.microsoft.com/dotnet/runtime:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
RUN mkdir -p /var/lib/recostream && chown app:app /var/lib/recostream
USER app
VOLUME ["/var/lib/recostream"]
ENV RecoStream__Storage__Path=/var/lib/recostream \
    RecoStream__Metrics__Host=* \
    DOTNET_gcServer=0
EXPOSE 9464
ENTRYPOINT ["dotnet", "/app/RecoStream.Worker.dll"]

# adstats: multi-stage build on Debian 12, the platform it is developed on.
# Build: docker build -t adstats .     Run: see docker-compose.yml
# The first stage compiles (and embeds openapi.yaml with xxd); the second
# holds only the runtime libraries and `make install`'s output, and runs as
# an unprivileged user. curl is there for health checks (/healthz, /readyz).
# The libraries are the Makefile's PKGS.adstats and PKGS.vastmock: jansson
# is the mock upstream's only (docker-compose.yml runs it from this image).
FROM debian:12-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends make gcc libc6-dev pkg-config \
      libmicrohttpd-dev libhiredis-dev libcurl4-openssl-dev libssl-dev libxml2-dev \
      libevent-dev libjansson-dev xxd \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY include include
COPY src src
COPY endpoints endpoints
COPY dashboard dashboard
COPY tools tools
COPY openapi.yaml adstats.8 ./
COPY deploy/ivt-user-agents.txt deploy/
RUN make all && make install PREFIX=/usr/local DESTDIR=/out

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmicrohttpd12 libhiredis0.14 \
      libcurl4 libssl3 libxml2 libevent-2.1-7 libjansson4 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --no-create-home \
      --shell /usr/sbin/nologin adstats
COPY --from=build /out/usr/local/ /usr/local/
# Numeric, so that schedulers can verify it is not root (runAsNonRoot).
USER 10001:10001
WORKDIR /tmp
EXPOSE 5000
ENTRYPOINT ["/usr/local/bin/adstats"]
CMD ["--port", "5000", "--error-log", "/tmp/backend_errors.log"]

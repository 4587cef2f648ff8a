# twemproxy as Debian 12 packages it (nutcracker 0.5.0), the version
# deploy/local-cluster.sh and tests/cluster are run against. Logs go to
# stderr (-o ""), the stats port (22222) is for `nc twemproxy 22222`.
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nutcracker \
 && rm -rf /var/lib/apt/lists/*
USER nobody
ENTRYPOINT ["/usr/sbin/nutcracker", "-c", "/etc/nutcracker/nutcracker.yml", "-o", "", "-a", "0.0.0.0", "-s", "22222", "-p", "/tmp/nutcracker.pid"]

"""The local cluster (`make cluster`, `make cluster-test`): PostgreSQL, a bundle
server, one OPA sidecar per replica, N service replicas and HAProxy in front, all
on loopback. A leaf like `bench/`: it starts production's parts as processes and
drives them; nothing in production imports it."""

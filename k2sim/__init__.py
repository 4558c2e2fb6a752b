"""k2sim: a Kubernetes API emulator serving several virtual clusters over real HTTPS.

It exists so K2Cloud can be developed and tested against the real Kubernetes API (through
kubectl and the official Python client) on machines that cannot run a real apiserver.
K2Cloud's own code never imports this package; tests, benchmarks and ``make run`` do.
"""

__version__ = "0.1.0"

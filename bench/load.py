"""A bounded load generator: one thread per client posts that client's prepared requests,
in order, on its own keep-alive connection, until they are all sent or `max_seconds` pass;
it reports throughput and latency percentiles. Each client is one WeChat user, as in life
(the webhook handles one message per user at a time). Requests are signed (and encrypted)
before the clock starts, so the generator's own cost stays small and the same for every
server it measures."""
import http.client
import threading
import time
from urllib.parse import urlencode, urlsplit


def percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


def run(base_url: str, clients: list[list[tuple[str, dict, bytes]]], *,
        max_seconds: float = 60) -> dict:
    """POST each client's (path, query, body) requests; returns {"rps", "p50_ms", "p99_ms",
    "errors", "n"}."""
    host = urlsplit(base_url)
    lock = threading.Lock()
    latencies, errors = [], []
    deadline = time.monotonic() + max_seconds

    def client(todo):
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        mine = []
        for path, query, body in todo:
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            try:
                conn.request("POST", f"{path}?{urlencode(query)}", body=body,
                             headers={"Content-Type": "text/xml"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException) as error:
                conn.close()
                conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
                ok, response = False, error
            mine.append(time.perf_counter() - started)
            if not ok:
                with lock:
                    errors.append(getattr(response, "status", repr(response)))
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(todo,)) for todo in clients]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {"n": len(ordered), "rps": len(ordered) / elapsed, "errors": len(errors),
            "p50_ms": percentile(ordered, 0.50) * 1000, "p99_ms": percentile(ordered, 0.99) * 1000}

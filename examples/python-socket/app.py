"""A plain-Python HTTP app that tend runs with zero-downtime reloads (no library needed).

    tend start examples/python-socket/app.py --listen 127.0.0.1:8000 --wait-ready
    tend reload app        # new process on the same socket, ready, then the old one stops

tend opens the socket once and passes it as fd 3 (systemd's LISTEN_FDS protocol, so the same
app runs under systemd socket activation, gunicorn --fd 3 or uvicorn --fd 3 work alike). Run
without tend, it listens on PORT (default 8000) itself.
"""
import http.server
import os
import signal
import socket
import socketserver
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"hello from python, pid {os.getpid()}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = False
    block_on_close = True  # server_close() waits for the requests in flight


def listening_socket():
    # LISTEN_PID guards against a variable inherited by mistake: it must name this process.
    if os.environ.get("LISTEN_PID") == str(os.getpid()) and int(os.environ.get("LISTEN_FDS", "0")) >= 1:
        return socket.socket(fileno=3)
    sock = socket.create_server(("127.0.0.1", int(os.environ.get("PORT", "8000"))))
    return sock


def notify_ready():
    # systemd's readiness protocol: one datagram to NOTIFY_SOCKET (tend sets it with --wait-ready).
    path = os.environ.get("NOTIFY_SOCKET")
    if path:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(b"READY=1", path)


server = Server(("127.0.0.1", 0), Handler, bind_and_activate=False)
server.socket.close()
server.socket = listening_socket()
threading.Thread(target=server.serve_forever, daemon=True).start()
notify_ready()

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
stop.wait()
server.shutdown()      # no new connections: they wait in the socket's backlog for the new process
server.server_close()  # finish the requests in flight, then exit

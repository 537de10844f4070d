"""Local receivers for Tests/scripts/alerts.sh, all on 127.0.0.1.

  receivers.py webhook PORT OUT.jsonl    an HTTP server: every POST body (JSON) is appended as one line
  receivers.py smtp PORT OUT_DIR         aiosmtpd: every accepted message is written to OUT_DIR/N.eml
  receivers.py proxy PORT TARGET_PORT    a TCP forwarder to 127.0.0.1:TARGET_PORT (stop it to cut the link)
  receivers.py stuck PORT SECONDS        a WebSocket client of the gateway on PORT that subscribes to every
                                         topic and then never reads (a 4 KiB receive buffer), for SECONDS
"""
import asyncio
import base64
import http.server
import json
import os
import socket
import sys
import time


def webhook(port, out):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                json.loads(body)
                status = 200
            except ValueError:
                status = 400
            with open(out, "ab") as f:
                f.write(body.replace(b"\n", b" ") + b"\n")
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def smtp(port, out_dir):
    from aiosmtpd.controller import Controller

    os.makedirs(out_dir, exist_ok=True)

    class Handler:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            Handler.count += 1
            path = os.path.join(out_dir, "%03d.eml" % Handler.count)
            with open(path + ".tmp", "wb") as f:
                f.write(("X-Envelope-From: %s\r\nX-Envelope-To: %s\r\n" % (
                    envelope.mail_from, ",".join(envelope.rcpt_tos))).encode())
                f.write(envelope.original_content)
            os.rename(path + ".tmp", path)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


def proxy(port, target):
    async def pipe(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def handle(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", port, reuse_address=True)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def stuck(port, seconds):
    """A slow consumer as the gateway meets them: the handshake and one subscribe, then no reads at all,
    so that the kernel buffers fill and the client's gateway.ws_client_queue overflows."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window stays small
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            sys.exit("the gateway closed the connection during the handshake")
        head += chunk
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        sys.exit(f"the gateway refused the upgrade: {head.decode(errors='replace')}")
    payload = json.dumps({"op": "subscribe", "topics": ["trades.*.*", "ticker.*.*", "book.*.*", "candles.*.*"]}).encode()
    mask = os.urandom(4)
    frame = bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(frame)
    print("subscribed; not reading", flush=True)
    time.sleep(seconds)
    sock.close()


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "stuck":
        stuck(port, float(sys.argv[3]))
    else:
        {"webhook": webhook, "smtp": smtp}.get(mode, lambda p, a: proxy(p, int(a)))(port, sys.argv[3])

"""Local receivers for Tests/scripts/alerts.sh, all on 127.0.0.1.

  receivers.py webhook PORT OUT.jsonl    an HTTP server: every POST body (JSON) is appended as one line
  receivers.py smtp PORT OUT_DIR         aiosmtpd: every accepted message is written to OUT_DIR/N.eml
  receivers.py proxy PORT TARGET_PORT    a TCP forwarder to 127.0.0.1:TARGET_PORT (stop it to cut the link)
"""
import asyncio
import http.server
import json
import os
import sys


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


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    {"webhook": webhook, "smtp": smtp}.get(mode, lambda p, a: proxy(p, int(a)))(port, sys.argv[3])

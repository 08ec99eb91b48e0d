"""Stand-ins for `kiqlab mailcatcher` and `kiqlab tagger`, used by run.sh
only when this build of kiqlab lacks those subcommands: a minimal SMTP
server that accepts and discards mail, and an OpenCalais-shaped tagger
whose social tags are the text's most frequent words.

    python3 stubs.py smtp PORT
    python3 stubs.py tagger PORT
"""
import asyncio
import collections
import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


async def smtp_session(reader, writer):
    writer.write(b"220 stub ESMTP\r\n")
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = line.decode(errors="replace").strip().upper()
        if cmd.startswith("EHLO"):
            writer.write(b"250-stub\r\n250 8BITMIME\r\n")
        elif cmd == "DATA":
            writer.write(b"354 go ahead\r\n")
            await writer.drain()
            while (await reader.readline()) not in (b".\r\n", b".\n", b""):
                pass
            writer.write(b"250 OK\r\n")
        elif cmd.startswith("QUIT"):
            writer.write(b"221 bye\r\n")
            await writer.drain()
            break
        else:
            writer.write(b"250 OK\r\n")
        await writer.drain()
    writer.close()


async def smtp(port):
    server = await asyncio.start_server(smtp_session, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


class Tagger(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode(errors="replace")
        if not self.headers.get("X-AG-Access-Token"):
            return self.answer(401, {"error": "missing X-AG-Access-Token"})
        if self.headers.get("Content-Type", "").startswith("application/json"):
            body = json.loads(body).get("text", "")
        words = [w for w in re.findall(r"[a-z]{4,}", body.lower())]
        out = {"doc": {"meta": {"language": "English"}}}
        for i, (w, _) in enumerate(collections.Counter(words).most_common(3)):
            out[f"http://d.opencalais.com/social/{i}"] = {
                "_typeGroup": "socialTag", "name": w.capitalize(), "importance": str(i + 1)}
        self.answer(200, out)

    def answer(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    kind, port = sys.argv[1], int(sys.argv[2])
    if kind == "smtp":
        asyncio.run(smtp(port))
    else:
        ThreadingHTTPServer(("127.0.0.1", port), Tagger).serve_forever()

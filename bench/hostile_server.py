#!/usr/bin/env python3
"""A hostile feed server for bench/hostile-rss.sh, on 127.0.0.1 only.
   /bomb     1 GiB of zeros as a ~1 MB gzip body (Content-Encoding: gzip)
   /endless  a body that never ends
   /good     a small valid RSS feed
   /dense    a valid feed built to find quadratic paths: a 500 KB title, a 2 MB
             body of &nbsp;, 300 000 bare &, markup nested 20 000 deep, a 2 MB href
Usage: hostile_server.py PORT (serves until killed)."""
import http.server, socketserver, struct, sys, zlib

def gzip_bomb():
    zeros = bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(zeros, crc)
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + chunk * 1024 + b"\x03\x00"
            + struct.pack("<II", crc, (1 << 30) & 0xFFFFFFFF))

BOMB = gzip_bomb()
GOOD = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Tốt</title>'
        '<link>https://good.example.vn/</link><item><title>Tin tốt</title>'
        '<link>https://good.example.vn/1.html</link><guid>1</guid></item></channel></rss>').encode()

DENSE = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Dày</title>'
         '<link>https://dense.example.vn/</link>'
         '<item><title>UBND tỉnh ' + 'họp ' * 125000 + '</title><link>https://dense.example.vn/1.html</link></item>'
         '<item><title>Nbsp</title><link>https://dense.example.vn/2.html</link><description>'
         + '&amp;nbsp;' * 200000 + '</description></item>'
         '<item><title>Amp</title><link>https://dense.example.vn/3.html</link><description>'
         + 'a & ' * 300000 + '</description></item>'
         '<item><title>Deep</title><link>https://dense.example.vn/4.html</link><description><![CDATA['
         + '<ul><li></p>' * 20000 + ']]></description></item>'
         '<item><title>Href</title><link>https://dense.example.vn/5.html</link><description><![CDATA[<a href="https://a.vn/'
         + '\u00bb\u00bf' * 500000 + '">x</a>]]></description></item></channel></rss>').encode()

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def do_GET(self):
        if self.path == "/bomb":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(BOMB)))
            self.end_headers()
            self.wfile.write(BOMB)
        elif self.path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            block = b"<" * 65536
            try:
                while True:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
            except (BrokenPipeError, ConnectionResetError):
                pass
        else:
            body = DENSE if self.path == "/dense" else GOOD
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()

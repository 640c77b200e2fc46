"""A mail relay on loopback for the mail-outage test (tests/submissions/test_outbox_smtp.py),
run as its own process: `python smtp_stub.py PORT MAILBOX [--refuse | --silent]`.

It speaks just enough SMTP for Django's SMTP backend (greeting, EHLO/HELO, MAIL, RCPT,
DATA, RSET, NOOP, QUIT) and appends each message it takes to MAILBOX as one JSON line.
With --refuse it answers every connection "421 service not available" and hangs up, as
a relay does when it is overloaded or shutting down; with --silent it takes the
connection and never says a word, as a relay that hangs. It prints "ready" once it
listens."""

import json
import socketserver
import sys


class Relay(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        if self.server.silent:
            self.rfile.read()  # until the client gives up and closes
            return
        if self.server.refuse:
            self.reply("421 stub.test Service not available, closing transmission channel")
            return
        self.reply("220 stub.test ESMTP")
        sender, recipients = None, []
        while line := self.rfile.readline():
            command = line.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 stub.test")
            elif verb == "MAIL":
                sender, recipients = command[10:].strip(), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command[8:].strip())
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                with open(self.server.mailbox, "a", encoding="utf-8") as mailbox:
                    record = {"from": sender, "to": recipients, "data": b"".join(data).decode()}
                    mailbox.write(json.dumps(record) + "\n")
                self.reply("250 OK: queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    port, mailbox = int(sys.argv[1]), sys.argv[2]
    with Server(("127.0.0.1", port), Relay) as server:
        server.mailbox, server.refuse = mailbox, "--refuse" in sys.argv
        server.silent = "--silent" in sys.argv
        print("ready", flush=True)
        server.serve_forever()
